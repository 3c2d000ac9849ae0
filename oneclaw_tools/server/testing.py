"""A real local server for tests and demos: a fresh vault served on a free 127.0.0.1 port.

``with running_server(tmp_path) as (server, base_url): ...`` and :func:`make_agent` to get
an agent key the way ``oneclaw-tools agent create`` makes one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..models import SecretValue
from . import LocalServer, ServerThread, open_server

__all__ = ["ALL_PERMISSIONS", "make_agent", "running_server"]

ALL_PERMISSIONS = ["read", "write", "delete", "rotate"]


@contextmanager
def running_server(tmp_path: Path, **kwargs: Any) -> Iterator[tuple[LocalServer, str]]:
    """A fresh vault served on a free 127.0.0.1 port."""
    server = open_server(tmp_path / "vault.db", env={}, **kwargs)
    thread = ServerThread(server.app)
    try:
        yield server, thread.start()
    finally:
        thread.stop()
        server.close()


def make_agent(server: LocalServer, name: str, permissions: list[str] | None = None,
                pattern: str = "**", *, bind: bool = True) -> tuple[str, SecretValue, str]:  # fmt: skip
    """What `oneclaw-tools agent create NAME --vault NAME` makes: (agent id, key, vault id).

    With ``bind=False`` the agent is not bound to the vault: only the policy lets it in.
    """
    vault = server.vault.create_vault(name + "-vault")
    record, key = server.agents.create_agent(name, [vault.id] if bind else None)
    if permissions is None:
        permissions = ALL_PERMISSIONS
    if permissions:
        server.vault.create_policy(
            vault.id, principal_type="agent", principal_id=record.id, secret_path_pattern=pattern,
            permissions=permissions,
        )  # fmt: skip
    return record.id, key, vault.id
