"""Fixtures for the LlamaIndex adapter tests: a seeded embedded vault, the local API, a recorder.

The recorder's handlers are added to the global root dispatcher and removed after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_index_instrumentation import get_dispatcher
from llamaindex_recorder import Recorder

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import Canaries, LocalApi, local_api, scenario_policy, seed_canaries


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    root = get_dispatcher()
    root.add_event_handler(rec.events)
    root.add_span_handler(rec.spans)
    try:
        yield rec
    finally:
        root.event_handlers = [h for h in root.event_handlers if h is not rec.events]
        root.span_handlers = [h for h in root.span_handlers if h is not rec.spans]


@pytest.fixture
def api() -> Iterator[LocalApi]:
    with local_api() as running:
        yield running


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with Session.local(tmp_path / "vault.db", policy=scenario_policy()) as s:
        yield s


@pytest.fixture
def canaries(session: Session, api: LocalApi) -> Canaries:
    seeded = seed_canaries(session, api_host=api.host)
    api.token = seeded.api_token
    return seeded
