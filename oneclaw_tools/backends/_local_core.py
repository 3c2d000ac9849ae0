"""The machinery every :class:`~oneclaw_tools.backends.local.LocalVault` operation shares.

A :class:`Core` is one principal's access to one :class:`~._local_store.Store`: it holds the
only state the operation groups (:class:`Part` subclasses: vaults, secrets, policies, shares,
admin) share, and they reach it explicitly as ``self.core``. ``Core.acting_as`` gives another
principal's core over the same store (no new connection).

One operation = argument checks (before any I/O), then one ``BEGIN IMMEDIATE`` transaction
holding the access check, the work and an ``ok`` audit row. A typed failure rolls the work
back and is audited on its own (``denied`` for 403, ``error`` otherwise) with the error
code, never the offending value; an argument that failed validation is never written to
the audit log either (a model may have put a value where a path belongs).

Access rules for a non-owner principal (an agent or a user): an agent bound to
``vault_ids`` reaches only those vaults and the vaults it created (403 elsewhere); the
creator of a vault may do anything in it; anyone else needs an unexpired policy whose glob
matches the path and whose permissions include the one required (``rotate`` and
``delete`` are also granted by ``write``, as 1Claw's docs say).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from ..errors import (
    Gone,
    IntegrityError,
    InvalidArgument,
    NotFound,
    OneClawError,
    PermissionDenied,
    ServerError,
)
from ..models import Principal, SecretMeta, VaultInfo
from ..validation import glob_match
from ._local_store import Store, parse_ts

__all__ = ["OWNER", "Core", "NeedsWrite", "Note", "Part"]

T = TypeVar("T")

#: The local operator: full access to every vault of the file.
OWNER = Principal(type="user", id="owner", is_owner=True)

_GRANTED_BY: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"write"}),
    "delete": frozenset({"delete", "write"}),
    "rotate": frozenset({"rotate", "write"}),
}
_RESTORE = "The operator must restore it from a backup (or point ONECLAW_LOCAL_VAULT at the right file)."
META_COLUMNS = (
    "vault_id, path, version, secret_id, type, metadata, created_by, created_at, expires_at, "
    "max_access_count, access_count, is_disabled"
)


class Note:
    """What the ``ok`` audit row of an operation should say besides the action.

    ``writable`` is False while ``work`` runs in a read transaction: work that finds it must
    write (a read it has to count) raises :class:`NeedsWrite`, and runs again in a write one.
    """

    __slots__ = ("detail", "path", "vault_id", "version", "writable")

    def __init__(self, *, writable: bool = True) -> None:
        self.writable = writable
        self.vault_id: str | None = None
        self.version: int | None = None
        self.detail: str | None = None
        self.path: str | None = None


class NeedsWrite(Exception):
    """Raised by ``work`` in a read transaction when it has to write after all."""


class Core:
    """One principal's access to a store: the operation runner and the access checks."""

    __slots__ = ("principal", "store")

    def __init__(self, store: Store, principal: Principal) -> None:
        self.store = store
        self.principal = principal

    def acting_as(self, principal: Principal) -> Core:
        """The same store, acting as ``principal``."""
        return Core(self.store, principal)

    def now(self) -> datetime:
        return self.store.clock()

    # -- the operation runner -------------------------------------------------------------
    def run(
        self,
        action: str,
        work: Callable[[sqlite3.Connection, Note], T],
        *,
        vault_id: str | None = None,
        path: str | None = None,
        reads: bool = False,
    ) -> T:
        """Run ``work`` and audit it; a typed failure is audited on its own and raised.

        With ``reads``, ``work`` first runs in a read transaction (no write lock) and its audit
        row goes to the read log (:mod:`._local_audit_log`); if it raises :class:`NeedsWrite`,
        it runs again in a ``BEGIN IMMEDIATE`` transaction with its audit row, as every write.
        """
        store = self.store
        with store.lock:
            try:
                try:
                    if reads:
                        note = Note(writable=False)
                        try:
                            with store.read() as conn:
                                result = work(conn, note)
                        except NeedsWrite:
                            pass
                        else:
                            self._audit_ok(None, action, note, vault_id, path)
                            return result
                    note = Note()
                    with store.write() as conn:
                        result = work(conn, note)
                        self._audit_ok(conn, action, note, vault_id, path)
                    return result
                except sqlite3.OperationalError as exc:
                    if "decode" in str(exc):  # a text value where a ciphertext belongs: edited by hand
                        raise IntegrityError(
                            f"the vault file {store.path} is damaged or was altered.", action=_RESTORE
                        ) from None
                    raise ServerError("the vault database is busy or unavailable.") from None
                except sqlite3.DatabaseError:
                    raise IntegrityError(
                        f"the vault file {store.path} is damaged or is not a vault.", action=_RESTORE
                    ) from None
            except OneClawError as exc:
                self.audit_failure(action, exc, vault_id=vault_id, path=path, reads=reads)
                raise

    def _audit_ok(
        self, conn: sqlite3.Connection | None, action: str, note: Note, vault_id: str | None, path: str | None
    ) -> None:
        self.store.audit(
            conn, self.principal, action, vault_id=note.vault_id or vault_id, path=note.path or path,
            version=note.version, detail=note.detail,
        )  # fmt: skip

    def audit_failure(
        self, action: str, exc: OneClawError, *, vault_id: str | None, path: str | None, reads: bool = False
    ) -> None:
        """Audit a typed failure: a read's in the read log, any other in the vault file."""
        outcome = "denied" if isinstance(exc, PermissionDenied) else "error"
        detail = exc.code
        if isinstance(exc, InvalidArgument):
            detail = f"{exc.code}:{exc.argument}"
        try:
            if reads:
                self.store.audit(
                    None, self.principal, action, outcome, vault_id=vault_id, path=path, detail=detail
                )
                return
            with self.store.write() as conn:
                self.store.audit(
                    conn, self.principal, action, outcome, vault_id=vault_id, path=path, detail=detail
                )
        except (sqlite3.Error, OneClawError, RuntimeError):
            pass  # the original error matters more; an unwritable log is reported by it

    @contextlib.contextmanager
    def checking(self, action: str) -> Iterator[None]:
        """Argument checks: a rejection is audited without the rejected value, then raised."""
        try:
            yield
        except InvalidArgument as exc:
            with self.store.lock:
                self.audit_failure(action, exc, vault_id=None, path=None)
            raise

    # -- access control -----------------------------------------------------------------
    def vault_row(self, conn: sqlite3.Connection, vault_id: str) -> sqlite3.Row:
        p = self.principal
        row: sqlite3.Row | None = conn.execute("SELECT * FROM vaults WHERE id = ?", (vault_id,)).fetchone()
        bound_out = not p.is_owner and p.vault_ids is not None and vault_id not in p.vault_ids
        if row is None:  # unknown or deleted: 404 for everyone, as 1Claw answers
            raise NotFound("vault not found.", action="Check the vault id with list_vaults.")
        if bound_out and row["created_by"] != str(p):
            raise PermissionDenied("this agent is not bound to that vault.")
        return row

    def is_admin(self, vault: sqlite3.Row) -> bool:
        return self.principal.is_owner or vault["created_by"] == str(self.principal)

    def grants(self, conn: sqlite3.Connection, vault_id: str) -> list[tuple[str, frozenset[str]]]:
        p = self.principal
        now = self.now()
        out: list[tuple[str, frozenset[str]]] = []
        for row in conn.execute(
            "SELECT pattern, permissions, expires_at, effect FROM policies "
            "WHERE vault_id = ? AND principal_type = ? AND principal_id = ?",
            (vault_id, p.type, p.id),
        ):
            expires = parse_ts(row["expires_at"])
            if row["effect"] != "allow" or (expires is not None and expires <= now):
                continue
            out.append((row["pattern"], frozenset(json.loads(row["permissions"]))))
        return out

    def require(self, conn: sqlite3.Connection, vault_id: str, perm: str, path: str) -> sqlite3.Row:
        vault = self.vault_row(conn, vault_id)
        if self.is_admin(vault):
            return vault
        wanted = _GRANTED_BY[perm]
        for pattern, perms in self.grants(conn, vault_id):
            if wanted & perms and glob_match(pattern, path):
                return vault
        raise PermissionDenied(f"Insufficient permissions: no policy grants '{perm}' on '{path}'.")

    def readable_filter(self, conn: sqlite3.Connection, vault: sqlite3.Row) -> Callable[[str], bool]:
        if self.is_admin(vault):
            return lambda _path: True
        patterns = [pat for pat, perms in self.grants(conn, vault["id"]) if "read" in perms]
        return lambda path: any(glob_match(pat, path) for pat in patterns)

    def require_owner(self, what: str) -> None:
        if not self.principal.is_owner:
            raise PermissionDenied(f"only the vault owner may {what}.")

    def require_admin(self, conn: sqlite3.Connection, vault_id: str) -> sqlite3.Row:
        vault = self.vault_row(conn, vault_id)
        if not self.is_admin(vault):
            raise PermissionDenied("only the vault's creator or the owner may do this.")
        return vault

    # -- secrets lookups ------------------------------------------------------------------
    @staticmethod
    def live(conn: sqlite3.Connection, vault_id: str, path: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM secrets WHERE vault_id = ? AND path = ? AND deleted_at IS NULL", (vault_id, path)
        ).fetchone()
        if row is not None:
            return row
        if conn.execute(
            "SELECT 1 FROM secrets WHERE vault_id = ? AND path = ? LIMIT 1", (vault_id, path)
        ).fetchone():
            raise Gone(f"the secret '{path}' was deleted.")
        raise NotFound(f"no secret at '{path}'.")

    @staticmethod
    def version_row(conn: sqlite3.Connection, live: sqlite3.Row, version: int | None) -> sqlite3.Row:
        """The requested (or current) version of a live secret; 404 if absent, 410 if disabled."""
        path = live["path"]
        if version is None:
            if live["current"] is None:
                raise Gone(f"every version of '{path}' is disabled.")
            version = live["current"]
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM versions WHERE vault_id = ? AND path = ? AND version = ?",
            (live["vault_id"], path, version),
        ).fetchone()
        if row is None:
            raise NotFound(
                f"'{path}' has no version {version}.", action="List its versions with list_versions."
            )
        if row["secret_id"] != live["id"]:
            raise Gone(f"version {version} of '{path}' was deleted.")
        if row["is_disabled"]:
            raise Gone(f"version {version} of '{path}' is disabled.")
        return row

    def check_readable(self, version: sqlite3.Row) -> None:
        path = version["path"]
        expires = parse_ts(version["expires_at"])
        if expires is not None and expires <= self.now():
            raise Gone(f"the secret '{path}' has expired.")
        limit = version["max_access_count"]
        if limit and version["access_count"] >= limit:
            raise Gone(f"the secret '{path}' has reached its maximum access count.")

    @staticmethod
    def meta(row: sqlite3.Row, *, access_count: int | None = None) -> SecretMeta:
        return SecretMeta(
            id=row["secret_id"],
            vault_id=row["vault_id"],
            path=row["path"],
            type=row["type"],
            version=row["version"],
            metadata={} if row["metadata"] == "{}" else json.loads(row["metadata"]),
            created_at=parse_ts(row["created_at"]),
            expires_at=parse_ts(row["expires_at"]),
            max_access_count=row["max_access_count"],
            access_count=row["access_count"] if access_count is None else access_count,
            is_disabled=bool(row["is_disabled"]),
            created_by=row["created_by"],
        )

    @staticmethod
    def vault_info(row: sqlite3.Row) -> VaultInfo:
        return VaultInfo(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            created_by=row["created_by"],
            created_at=parse_ts(row["created_at"]),
        )


class Part:
    """A group of operations (vaults, secrets, policies, shares, admin) over one :class:`Core`."""

    __slots__ = ("core",)

    def __init__(self, core: Core) -> None:
        self.core = core


def check_id(value: object, argument: str) -> str:
    """An opaque identifier (vault, policy, share, principal id): short printable ASCII."""
    if not isinstance(value, str):
        raise InvalidArgument(argument, "must be a string")
    if not value or len(value) > 256 or not value.isascii() or not value.isprintable():
        raise InvalidArgument(argument, "must be 1-256 printable ASCII characters")
    return value


def check_text(value: object, argument: str, *, max_len: int, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(argument, "must be a string")
    if not value and not allow_empty:
        raise InvalidArgument(argument, "must not be empty")
    if len(value) > max_len:
        raise InvalidArgument(argument, f"must be at most {max_len} characters")
    if any(ord(ch) < 32 and ch not in "\t\n" for ch in value) or "\x7f" in value:
        raise InvalidArgument(argument, "must not contain control characters")
    return value


def check_version(value: object, argument: str = "version") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(argument, "must be a whole number (1 or more)")
    if not 1 <= value <= 2**31 - 1:
        raise InvalidArgument(argument, "must be between 1 and 2147483647")
    return value


def check_future(value: datetime | None, now: datetime, argument: str) -> datetime | None:
    if value is not None and value <= now:
        raise InvalidArgument(argument, "must be in the future")
    return value


def canonical_json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
