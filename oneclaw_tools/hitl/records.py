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
from dataclasses import dataclass, fields
from typing import Any, Literal, Self

__all__ = ["ApprovalRecord", "SecretRequest"]


class _Record:
    """A record whose fields are the columns of its row, of the same names (``action`` is stored
    as JSON)."""

    __slots__ = ()

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Self:
        def column(name: str) -> Any:
            return json.loads(row[name]) if name == "action" else row[name]

        return cls(*(column(f.name) for f in fields(cls)))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        if "action" in out:
            out["action"] = dict(out["action"])
        return out


@dataclass(frozen=True, slots=True)
class ApprovalRecord(_Record):
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


@dataclass(frozen=True, slots=True)
class SecretRequest(_Record):
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
