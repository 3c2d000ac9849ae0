"""Value objects shared by every backend and the session.

Metadata objects are plain frozen dataclasses with a ``to_dict()`` that is safe to show a
model. A plaintext value only ever lives inside :class:`SecretValue`, whose ``repr`` and
``str`` are masked; getting the plaintext out takes the loudly named ``reveal_unsafe()``.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

__all__ = [
    "SECRET_TYPES",
    "AuditEvent",
    "PolicyInfo",
    "Principal",
    "Secret",
    "SecretMeta",
    "SecretType",
    "SecretValue",
    "ShareInfo",
    "VaultInfo",
]

#: The union of the secret types 1Claw's spec, docs and MCP server accept.
SecretType = Literal[
    "generic",
    "password",
    "api_key",
    "private_key",
    "certificate",
    "file",
    "note",
    "ssh_key",
    "env_bundle",
    "env",
]
SECRET_TYPES: tuple[str, ...] = get_args(SecretType)

PrincipalType = Literal["user", "agent"]


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


class SecretValue:
    """A plaintext secret that does not print itself.

    ``repr``, ``str`` and ``format`` show a mask; pickling is refused. Compare with ``==``
    (constant time). Application code reads the plaintext with :meth:`reveal_unsafe`.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("SecretValue holds a str")
        self._value = value

    def reveal_unsafe(self) -> str:
        """The plaintext. Never pass it to a model, a log or an exception."""
        return self._value

    def __len__(self) -> int:
        return len(self._value)

    def __repr__(self) -> str:
        return "SecretValue('**********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SecretValue):
            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("SecretValue", self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a SecretValue cannot be pickled")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who acts: the vault owner (local operator), a user or an agent."""

    type: PrincipalType
    id: str
    vault_ids: tuple[str, ...] | None = None  # None: not bound to particular vaults
    is_owner: bool = False

    def __str__(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass(frozen=True, slots=True)
class VaultInfo:
    id: str
    name: str
    description: str = ""
    created_by: str = ""
    created_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class SecretMeta:
    """Everything about one secret version except its value."""

    id: str
    vault_id: str
    path: str
    type: str
    version: int
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    expires_at: datetime | None = None
    max_access_count: int = 0
    access_count: int = 0
    is_disabled: bool = False
    created_by: str = ""

    @property
    def uses_left(self) -> int | None:
        """Reads left before 410; ``None`` means unlimited."""
        if not self.max_access_count:
            return None
        return max(0, self.max_access_count - self.access_count)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vault_id": self.vault_id,
            "path": self.path,
            "type": self.type,
            "version": self.version,
            "metadata": self.metadata,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
            "max_access_count": self.max_access_count,
            "uses_left": self.uses_left,
            "is_disabled": self.is_disabled,
        }


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret version with its value (masked when printed)."""

    meta: SecretMeta
    value: SecretValue


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    id: str
    vault_id: str
    principal_type: str
    principal_id: str
    secret_path_pattern: str
    permissions: tuple[str, ...]
    effect: str = "allow"
    created_by: str = ""
    created_at: datetime | None = None
    expires_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "vault_id": self.vault_id,
            "principal_type": self.principal_type,
            "principal_id": self.principal_id,
            "secret_path_pattern": self.secret_path_pattern,
            "permissions": list(self.permissions),
            "effect": self.effect,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
        }


@dataclass(frozen=True, slots=True)
class ShareInfo:
    """A share. ``share_url`` is itself a credential: it is a :class:`SecretValue`."""

    id: str
    secret_id: str
    vault_id: str
    path: str
    recipient_type: str
    expires_at: datetime | None
    share_url: SecretValue | None = None
    recipient_id: str | None = None
    email: str | None = None
    max_access_count: int = 0
    access_count: int = 0
    created_by: str = ""
    created_at: datetime | None = None
    is_accepted: bool = False
    is_revoked: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Safe for a model: the share URL is left out."""
        return {
            "id": self.id,
            "path": self.path,
            "recipient_type": self.recipient_type,
            "recipient_id": self.recipient_id,
            "email": self.email,
            "expires_at": _iso(self.expires_at),
            "max_access_count": self.max_access_count,
            "access_count": self.access_count,
            "is_accepted": self.is_accepted,
        }


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audited access or change. Never a value."""

    ts: datetime
    principal: str
    action: str
    outcome: str = "ok"
    vault_id: str | None = None
    path: str | None = None
    version: int | None = None
    tool: str | None = None
    detail: str | None = None
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": _iso(self.ts),
            "principal": self.principal,
            "action": self.action,
            "outcome": self.outcome,
            "vault_id": self.vault_id,
            "path": self.path,
            "version": self.version,
            "tool": self.tool,
            "detail": self.detail,
        }
