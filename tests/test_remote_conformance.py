"""The backend conformance suite on OneClawVault, over real HTTP.

One `oneclaw-tools serve` app runs on 127.0.0.1 for the module; each test gets a fresh agent
with a full-access policy on a fresh vault. The agent is not bound to a vault list: a bound
agent gets 403 (not 404) for any vault outside its list, including one it created and then
deleted, which the suite's vault-lifecycle test reads as 404.
A failure here with the local suite passing means the client or the server translates a
1Claw rule wrongly: reproduce it with the same calls on LocalVault, then compare the HTTP
exchange (status, ProblemDetails type) with §3-§7 of the REST reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from oneclaw_tools.backends.base import VaultBackend
from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.server import LocalServer
from oneclaw_tools.server.testing import make_agent, running_server
from oneclaw_tools.testing.backend import BackendConformanceTests, SettableClock

_STATE: dict[str, object] = {}
#: the server decides expiry: it reads the one clock every test of the module moves
_CLOCK = SettableClock()


@pytest.fixture(scope="module", autouse=True)
def _server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with running_server(tmp_path_factory.mktemp("remote-conformance"), vault_clock=_CLOCK) as (server, url):
        _STATE.update(server=server, url=url)
        yield
        _STATE.clear()


def _agent() -> tuple[str, str, str]:
    server = _STATE["server"]
    assert isinstance(server, LocalServer)
    _agent_id, key, vault_id = make_agent(server, "conf-" + uuid.uuid4().hex[:10], bind=False)
    return key.reveal_unsafe(), str(_STATE["url"]), vault_id


class TestOneClawVaultConformance(BackendConformanceTests):
    def make_clock(self) -> SettableClock:
        return _CLOCK

    def make_backend(self, tmp_path: Path) -> VaultBackend:
        key, url, _ = _agent()
        return OneClawVault(key, base_url=url, clock=self.clock.timestamp)
