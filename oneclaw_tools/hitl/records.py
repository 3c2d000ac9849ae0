"""What the approvals store hands out: an approval request and a secret request, as a human sees them.

Both are frozen, value-free records read from the store's rows (:mod:`.store`); ``to_dict`` is
the shape the CLI prints as JSON and the approval page renders. Neither ever holds a secret
value: an approval carries the action's value-free fields and its digest, a secret request the
path, the reason and, once fulfilled, the version stored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ApprovalRecord", "SecretRequest"]


@dataclass(frozen=True, slots=True)
class ApprovalRecord:
    """One approval request as a human sees it (no values)."""

    id: str
    digest: str
    tool: str
    summary: str
    action: Mapping[str, Any]
    status: Literal["pending", "approved", "denied", "used"]
    created_at: str
    expires_at: str
    decided_by: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ApprovalRecord:
        return cls(
            row["id"], row["digest"], row["tool"], row["summary"], json.loads(row["action"]),
            row["status"], row["created_at"], row["expires_at"], row["decided_by"],
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "tool": self.tool, "summary": self.summary, "action": dict(self.action),
            "digest": self.digest, "status": self.status, "created_at": self.created_at,
            "expires_at": self.expires_at, "decided_by": self.decided_by,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class SecretRequest:
    """A path an agent asked a human to fill (never the value)."""

    id: str
    vault_id: str
    path: str
    reason: str
    type: str
    requested_by: str
    status: Literal["pending", "fulfilled", "cancelled"]
    created_at: str
    expires_at: str
    version: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SecretRequest:
        return cls(
            row["id"], row["vault_id"], row["path"], row["reason"], row["type"], row["requested_by"],
            row["status"], row["created_at"], row["expires_at"], row["version"],
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "vault_id": self.vault_id, "path": self.path, "reason": self.reason,
            "type": self.type, "requested_by": self.requested_by, "status": self.status,
            "created_at": self.created_at, "expires_at": self.expires_at, "version": self.version,
        }  # fmt: skip
