"""The base of the backend conformance suite: the clock, the hooks and the fixtures.

See :mod:`oneclaw_tools.testing.backend` for how a backend uses the suite.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ..backends.base import VaultBackend
from ..models import ShareInfo

__all__ = ["CHARSET_ALPHABETS", "BackendBase", "SettableClock", "new_canary"]

CHARSET_ALPHABETS = {
    "hex": set("0123456789abcdefABCDEF"),
    "base64": set(string.ascii_letters + string.digits + "+/=-_"),
    "alphanumeric": set(string.ascii_letters + string.digits),
    "ascii": {chr(c) for c in range(33, 127)},
}


def new_canary() -> str:
    return "cnry-" + uuid.uuid4().hex


class SettableClock:
    """An aware UTC clock that moves only when told (``clock()`` a datetime, ``timestamp()`` a float)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def __repr__(self) -> str:
        return f"SettableClock({self.now.isoformat()})"


class BackendBase:
    """Hooks, fixtures and helpers of the suite (the tests are in its two halves)."""

    #: The test's clock (set before :meth:`make_backend` is called); wire it into the backend.
    clock: SettableClock

    def make_backend(self, tmp_path: Path) -> VaultBackend:
        """Return a fresh backend acting as a principal with full access, deciding time by ``self.clock``."""
        raise NotImplementedError("implement make_backend(tmp_path) in your test class")

    def make_clock(self) -> SettableClock:
        """The clock of one test: a fresh one at the real time, unless the backend's lives elsewhere."""
        return SettableClock()

    def _in(self, seconds: float) -> str:
        return (self.clock() + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    def share_ref(self, share: ShareInfo) -> str:
        """What opens a link share with ``access_share``: the share URL the backend returned."""
        assert share.share_url is not None, "create_share must return a share_url for a link share"
        return share.share_url.reveal_unsafe()

    # -- fixtures -----------------------------------------------------------------------
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[VaultBackend]:
        self.clock = self.make_clock()
        b = self.make_backend(tmp_path)
        try:
            yield b
        finally:
            b.close()

    @pytest.fixture
    def vault_id(self, backend: VaultBackend) -> str:
        return backend.create_vault("conformance-" + uuid.uuid4().hex[:12], "conformance suite").id

    @staticmethod
    def _snapshot(backend: VaultBackend, vault_id: str) -> Any:
        secrets = [m.to_dict() for m in backend.list_secrets(vault_id)]
        versions = {
            m["path"]: [(v.version, v.is_disabled) for v in backend.list_versions(vault_id, m["path"])]
            for m in secrets
        }
        vaults = sorted(v.name for v in backend.list_vaults())
        policies = sorted(p.id for p in backend.list_policies(vault_id))
        return secrets, versions, vaults, policies
