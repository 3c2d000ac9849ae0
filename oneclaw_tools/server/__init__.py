"""``oneclaw-tools serve``: a local 1Claw-compatible REST server over the embedded vault.

Needs the ``server`` extra (starlette, uvicorn, pyjwt, jinja2). Files kept next to the vault file
``<vault>``: ``<vault>.agents`` (agents and user keys, hashed, 0600),
``<vault>.jwt-key`` (the Ed25519 token-signing key, 0600) and ``<vault>.approvals`` (pending
approvals and secret requests, decided on the approval page at ``/approvals``, see
:mod:`.approval_page`). :func:`open_server` builds the
app from a vault path; :class:`ServerThread` runs it on a free port for tests and demos.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

try:
    import jinja2  # noqa: F401
    import jwt  # noqa: F401
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        'The local server needs the "server" extra: pip install "oneclaw-tools[server]"'
    ) from exc

from starlette.applications import Starlette

from ..backends.local import LocalVault
from ..hitl import HitlStore, store_path
from .agents import AgentRecord, AgentStore, agents_path_for
from .app import create_app
from .approval_page import ApprovalPage
from .thread import ServerThread
from .tokens import TokenIssuer, key_path_for, load_or_create_key

__all__ = [
    "AgentRecord",
    "AgentStore",
    "ApprovalPage",
    "LocalServer",
    "ServerThread",
    "TokenIssuer",
    "create_app",
    "open_server",
]


@dataclass
class LocalServer:
    """The parts of one local server; ``close()`` releases the databases."""

    app: Starlette
    vault: LocalVault
    agents: AgentStore
    issuer: TokenIssuer
    page: ApprovalPage | None = None

    def close(self) -> None:
        if self.page is not None:
            self.page.store.close()
        self.agents.close()
        self.vault.close()


def open_server(
    vault_path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    key: bytes | None = None,
    token_ttl: float = 900.0,
    clock: Callable[[], float] = time.time,
    vault_clock: Callable[[], datetime] | None = None,
    max_body: int | None = None,
) -> LocalServer:
    """Open (or create) the vault, the principal store and the signing key; build the app."""
    vault_path = Path(vault_path)
    vault = LocalVault(vault_path, env=env, key=key, clock=vault_clock)
    vault.initialize()
    agents = AgentStore(agents_path_for(vault_path))
    issuer = TokenIssuer(load_or_create_key(key_path_for(vault_path)), ttl=token_ttl, clock=clock)
    kwargs = {} if max_body is None else {"max_body": max_body}
    app = create_app(vault, agents, issuer, **kwargs)
    page = ApprovalPage(HitlStore(store_path(env, vault_path=vault_path)), vault)
    app.mount("/approvals", page.app)
    return LocalServer(app, vault, agents, issuer, page)
