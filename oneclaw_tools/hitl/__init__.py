"""A human in the loop: approvals bound to the exact action, and secrets supplied out of band.

* :mod:`.action`: what is approved (value-free fields and a digest);
* :mod:`.store`: the SQLite file of pending approvals and secret requests that the CLI, the
  approval page and every adapter share;
* :mod:`oneclaw_tools.approvals`: what a session checks before a tool that needs approval.

:func:`fulfil` is the one way a human's value reaches a requested path (CLI and page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .action import VALUE_ARGS, Action, action_for
from .store import ApprovalRecord, HitlStore, SecretRequest, store_path

if TYPE_CHECKING:
    from ..backends.base import VaultBackend
    from ..models import SecretValue

__all__ = [
    "VALUE_ARGS",
    "Action",
    "ApprovalRecord",
    "HitlStore",
    "SecretRequest",
    "action_for",
    "fulfil",
    "store_path",
]


def fulfil(
    store: HitlStore, backend: VaultBackend, request_id: str, value: SecretValue, *, by: str
) -> SecretRequest:
    """Store a human's ``value`` at the path of a pending request and mark it fulfilled.

    The value goes only to the vault; the store records the version, who fulfilled it and when.
    """
    from ..errors import InvalidArgument

    req = store.open_request(request_id)
    plain = value.reveal_unsafe()
    if not plain:
        raise InvalidArgument("value", "must not be empty")
    meta = backend.put_secret(req.vault_id, req.path, plain, type=req.type)
    del plain
    return store.mark_fulfilled(req.id, version=meta.version, by=by)
