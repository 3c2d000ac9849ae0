"""Fixtures for the LlamaIndex adapter tests: a seeded embedded vault, the local API, a recorder.

The recorder's handlers are added to the global root dispatcher and removed after each test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_index.tools.oneclaw.testing.recorder import Recorder

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import Canaries, LocalApi, local_api, scenario_policy, seed_canaries


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder().attached() as rec:
        yield rec


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
