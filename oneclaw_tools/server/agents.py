"""The local server's principals: agents (``ocv_`` keys) and users (``1ck_`` keys).

They live in a SQLite file next to the vault, ``<vault file>.agents`` (mode 0600), kept
apart from the vault's own schema. Only a SHA-256 hash of each key is stored: a key is 32
random bytes, so a fast hash is enough, and a stolen file opens nothing. A key is shown
once, by :meth:`AgentStore.create_agent` / :meth:`AgentStore.create_user`.

An agent is either bound to ``vault_ids`` (it also reaches vaults it creates itself, which
the vault enforces) or unbound (``vault_ids`` NULL: policies alone decide); a user is bound to no vault list and, like any non-owner, needs a policy
or must have created the vault. The vault's owner is never reachable over HTTP: the
operator administers locally.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..errors import InvalidArgument, NotFound
from ..models import Principal, SecretValue
from ..sqlite_file import SqliteFile

__all__ = ["AgentRecord", "AgentStore", "agents_path_for"]

AGENT_PREFIX = "ocv_"
USER_PREFIX = "1ck_"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS principals (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('agent', 'user')), name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE, vault_ids TEXT, is_active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL);
"""


def agents_path_for(vault_path: str | os.PathLike[str]) -> Path:
    """Where the server keeps its principals for a given vault file."""
    p = Path(vault_path)
    return p.with_name(p.name + ".agents")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: str
    kind: Literal["agent", "user"]
    name: str
    vault_ids: tuple[str, ...] | None
    is_active: bool
    created_at: str

    @property
    def principal(self) -> Principal:
        return Principal(type=self.kind, id=self.id, vault_ids=self.vault_ids)


class AgentStore:
    """Agents and user keys of one local server (thread-safe)."""

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], datetime] | None = None) -> None:
        self._file = SqliteFile(path, _SCHEMA, timeout=30.0)
        self.path = self._file.path
        self._clock = clock or (lambda: datetime.now(UTC))

    def close(self) -> None:
        self._file.close()

    def _create(
        self, kind: Literal["agent", "user"], name: str, vault_ids: tuple[str, ...] | None
    ) -> tuple[AgentRecord, SecretValue]:
        if not isinstance(name, str) or not name.strip() or len(name) > 128 or not name.isprintable():
            raise InvalidArgument("name", "must be 1-128 printable characters")
        key = (AGENT_PREFIX if kind == "agent" else USER_PREFIX) + secrets.token_urlsafe(32)
        record = AgentRecord(
            id=str(uuid.uuid4()),
            kind=kind,
            name=name.strip(),
            vault_ids=vault_ids,
            is_active=True,
            created_at=self._clock().isoformat().replace("+00:00", "Z"),
        )
        with self._file.tx() as conn:
            conn.execute(
                "INSERT INTO principals (id, kind, name, key_hash, vault_ids, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    kind,
                    record.name,
                    _hash(key),
                    None if vault_ids is None else json.dumps(list(vault_ids)),
                    record.created_at,
                ),
            )
        return record, SecretValue(key)

    def create_agent(
        self, name: str, vault_ids: list[str] | tuple[str, ...] | None = None
    ) -> tuple[AgentRecord, SecretValue]:
        """A new agent and its ``ocv_`` key (the only time it is shown).

        With ``vault_ids`` the agent is bound to those vaults (plus any it creates); with
        ``None`` it is unbound and reaches exactly the vaults where a policy names it.
        """
        ids = None if vault_ids is None else tuple(vault_ids)
        if ids is not None and not all(isinstance(v, str) and v for v in ids):
            raise InvalidArgument("vault_ids", "must be vault ids")
        return self._create("agent", name, ids)

    def create_user(self, name: str) -> tuple[AgentRecord, SecretValue]:
        """A new local user and its ``1ck_`` key (the only time it is shown)."""
        return self._create("user", name, None)

    @staticmethod
    def _record(row: sqlite3.Row) -> AgentRecord:
        ids = row["vault_ids"]
        return AgentRecord(
            id=row["id"],
            kind=row["kind"],
            name=row["name"],
            vault_ids=None if ids is None else tuple(json.loads(ids)),
            is_active=bool(row["is_active"]),
            created_at=row["created_at"],
        )

    def authenticate(self, key: str, *, kind: Literal["agent", "user"]) -> AgentRecord | None:
        """The active principal holding ``key``, or None."""
        prefix = AGENT_PREFIX if kind == "agent" else USER_PREFIX
        if not isinstance(key, str) or not key.startswith(prefix) or len(key) > 256:
            return None
        digest = _hash(key)
        row = self._file.one("SELECT * FROM principals WHERE key_hash = ?", (digest,))
        if row is None or not hmac.compare_digest(row["key_hash"], digest) or row["kind"] != kind:
            return None
        record = self._record(row)
        return record if record.is_active else None

    def get(self, principal_id: str) -> AgentRecord | None:
        row = self._file.one("SELECT * FROM principals WHERE id = ?", (principal_id,))
        return None if row is None else self._record(row)

    def list(self) -> list[AgentRecord]:
        rows = self._file.all("SELECT * FROM principals ORDER BY created_at, id")
        return [self._record(r) for r in rows]

    def set_active(self, principal_id: str, active: bool) -> None:
        with self._file.tx() as conn:
            cur = conn.execute(
                "UPDATE principals SET is_active = ? WHERE id = ?", (int(active), principal_id)
            )
            if cur.rowcount == 0:
                raise NotFound("agent not found.")
