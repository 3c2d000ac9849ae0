"""Fixtures for the MCP adapter: a seeded embedded vault behind the scenario's local API.

``mcp_world`` starts the local API on 127.0.0.1, stores the canaries in an embedded vault in
``tmp_path`` (then closes that seeding session: each MCP session opens its own) and gives a
session factory with the scenario's policy. Every session the factory makes is kept, so a test
can check that the server closed it when the MCP session ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_helpers import World

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import local_api, scenario_policy, seed_canaries


@pytest.fixture
def mcp_world(tmp_path: Path) -> Iterator[World]:
    vault = tmp_path / "vault.db"
    with local_api() as api:
        with Session.local(vault, policy=scenario_policy()) as seeding:
            canaries = seed_canaries(seeding, api_host=api.host)
        api.token = canaries.api_token
        world = World(vault=vault, canaries=canaries, api=api)
        try:
            yield world
        finally:
            for session in world.sessions:
                if not session.closed:
                    session.close()
