"""What a tool handler may use: the narrow :class:`ToolContext`, not the whole session.

A handler is ``handler(ctx, args) -> dict`` (see :class:`~oneclaw_tools.tools.base.ToolSpec`).
Everything it may touch is listed here, so a reviewer can see a tool's reach at a glance: the
backend and the operator's policy (read only), the session's handles, the checks that keep the
policy out of the model's reach (``check_path``, ``vault_for``), handle issue, the guard's
registration and output scrubbing, one HTTP client, and the audit. A handler never sees the
dispatcher (``call``, approvals, ``reveal_unsafe``). The session's implementation is
:class:`oneclaw_tools.services.Services`; tests may pass any object of this shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from ..backends.base import VaultBackend
    from ..handles import Handle, HandleStore
    from ..hitl.store import HitlStore
    from ..models import Secret, SecretValue
    from ..policy import OperatorPolicy

__all__ = ["ToolContext"]


class ToolContext(Protocol):
    """The services a tool handler receives (one per session)."""

    @property
    def backend(self) -> VaultBackend:
        """The vault backend (every call is audited by the backend itself)."""
        ...

    @property
    def policy(self) -> OperatorPolicy:
        """The operator's policy, fixed for the session; a handler must never widen it."""
        ...

    @property
    def handles(self) -> HandleStore:
        """The session's handles (``consume`` checks tool, host, expiry and uses)."""
        ...

    @property
    def agent(self) -> str:
        """Who the session acts as (``type:id``): binds approvals and secret requests to it."""
        ...

    @property
    def hitl_store(self) -> HitlStore:
        """Pending approvals and secret requests (``request_secret`` files into it; no values)."""
        ...

    def vault_for(self, vault_id: str | None) -> str:
        """The vault to act on: the session's own, or the model's ``vault_id`` if the policy's
        vault scope includes it (otherwise an audited refusal)."""
        ...

    def vault_allowed(self, vault_id: str) -> bool:
        """Is ``vault_id`` within the session's vault scope (``list_vaults`` shows only those)?"""
        ...

    def check_path(self, path: str, argument: str = "path") -> str:
        """A valid path the policy allows; otherwise an audited, clear refusal naming ``argument``."""
        ...

    def allowed_hosts(self, path: str, metadata: Mapping[str, Any] | None) -> list[str]:
        """Where a secret at ``path`` may be sent: its own metadata plus the operator's bindings."""
        ...

    def allowed_tools(self, path: str, metadata: Mapping[str, Any] | None) -> list[str]:
        """Which third-party tools may receive a secret at ``path``."""
        ...

    def issue_handle(
        self, secret: Secret, *, key: str | None = None, value: SecretValue | None = None
    ) -> Handle:
        """A handle for ``secret`` (or one ``value`` of it, named ``key``), known to the guard."""
        ...

    def register_value(self, value: str) -> str:
        """Teach the guard a value the session saw (stored, rotated, a share link); the mask."""
        ...

    def preview(self, value: SecretValue) -> str:
        """A masked preview: the length, and the first four characters only of long values."""
        ...

    def http_client(self) -> httpx.Client:
        """The session's HTTP client: no redirects, no proxies from the environment."""
        ...

    def scrub_output(self, obj: Any) -> Any:
        """Scrub what goes back to the model (quarantining detected credentials with ``capture``)."""
        ...

    def audit(
        self,
        action: str,
        *,
        outcome: str = "ok",
        detail: str | None = None,
        tool: str | None = None,
        path: str | None = None,
    ) -> None:
        """Record a session-level event; ``detail`` passes the guard, never carry a value in it."""
        ...
