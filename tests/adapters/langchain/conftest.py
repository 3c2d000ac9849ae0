"""Fixtures for the LangChain adapter: a seeded embedded vault behind the local API.

``lc_world`` starts the scenario's local API on 127.0.0.1, opens an embedded vault in
``tmp_path`` with the scenario's policy (loopback HTTP allowed), stores the canaries and hands
the test everything it needs. ``haystack`` renders whatever a test recorded into texts the
canary search can read: ``repr``, ``str`` and, for pydantic objects (messages, runs), the JSON
dump, so a value hidden in a field that ``repr`` omits is still found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.globals import set_debug, set_verbose

from oneclaw_tools import Session
from oneclaw_tools.testing.driver import rendered
from oneclaw_tools.testing.scenario import Canaries, LocalApi, local_api, scenario_policy, seed_canaries


@dataclass
class World:
    session: Session
    canaries: Canaries
    api: LocalApi


@pytest.fixture
def lc_world(tmp_path: Any) -> Iterator[World]:
    with local_api() as api:
        session = Session.local(tmp_path / "vault.db", policy=scenario_policy())
        try:
            canaries = seed_canaries(session, api_host=api.host)
            api.token = canaries.api_token
            yield World(session=session, canaries=canaries, api=api)
        finally:
            session.close()


@pytest.fixture(autouse=True)
def _reset_langchain_globals() -> Iterator[None]:
    """``set_debug``/``set_verbose`` are process-wide; never let one test change another."""
    yield
    set_debug(False)
    set_verbose(False)


@pytest.fixture
def lc_haystack() -> Any:
    """``lc_haystack(*recorded)``: the texts the canary search reads."""
    return rendered
