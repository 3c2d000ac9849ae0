"""Pending approvals and secret requests, in a small SQLite file another process can decide.

Why its own file and not a table in the vault: approvals are needed with every backend (the
hosted 1Claw API and OpenBao have no local vault file); deciding one must not need the vault's
key-encryption key (``oneclaw-tools approve`` opens only this file); and its rows hold no
values, so they need no encryption. The file sits beside the embedded vault
(``<vault>.approvals``, mode 0600) or where ``ONECLAW_APPROVALS`` says (see :func:`store_path`).

Rows:

* ``approvals``: one per exact action (:class:`~oneclaw_tools.hitl.action.Action`): its digest,
  a value-free summary, ``pending`` → ``approved``/``denied`` (by whom, through which channel)
  → ``used``. An approved grant is consumed at most once, only by an action with the same
  digest, and only before it expires; the consuming ``UPDATE`` checks all three in one
  statement, so two processes cannot both use one grant.
* ``secret_requests``: a path an agent asked a human to fill, its reason and type, and once
  fulfilled the version stored. The value itself goes into the vault, never here.
* ``hitl_audit``: every request, decision, use and fulfilment (ids, summaries, no values).

The records handed out are in :mod:`.records`; the file itself (0600, one connection behind a
lock, ``BEGIN IMMEDIATE`` transactions) is a :class:`~oneclaw_tools.sqlite_file.SqliteFile`.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import Conflict, Gone, InvalidArgument, NotFound, ResourceLimitExceeded
from ..sqlite_file import SqliteFile
from .action import Action
from .records import ApprovalRecord, SecretRequest

__all__ = ["ApprovalRecord", "HitlStore", "SecretRequest", "store_path"]

APPROVAL_TTL = timedelta(minutes=15)  # a request not decided by then expires
GRANT_TTL = timedelta(minutes=5)  # an approval not used by then expires
REQUEST_TTL = timedelta(hours=24)  # a secret request not fulfilled by then expires
MAX_PENDING_APPROVALS = 100  # a model cannot bury the human's list under requests
MAX_PENDING_REQUESTS = 20  # open secret requests per agent

_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # no i, l, o, u: easy to read and type

_SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
    id TEXT PRIMARY KEY, digest TEXT NOT NULL, tool TEXT NOT NULL, summary TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'used')),
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    decided_at TEXT, decided_by TEXT, used_at TEXT);
CREATE INDEX IF NOT EXISTS approvals_by_digest ON approvals (digest, status);
CREATE TABLE IF NOT EXISTS secret_requests (
    id TEXT PRIMARY KEY, vault_id TEXT NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL,
    type TEXT NOT NULL, requested_by TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'fulfilled', 'cancelled')),
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
    fulfilled_at TEXT, fulfilled_by TEXT, version INTEGER);
CREATE TABLE IF NOT EXISTS hitl_audit (
    ts TEXT NOT NULL, event TEXT NOT NULL, ref TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL);
"""


def store_path(
    env: Mapping[str, str] | None = None, vault_path: str | os.PathLike[str] | None = None
) -> Path:
    """``ONECLAW_APPROVALS``, else ``<vault>.approvals`` beside the embedded vault file."""
    from ..config import default_local_vault_path

    env = os.environ if env is None else env
    explicit = env.get("ONECLAW_APPROVALS")
    if explicit:
        return Path(explicit).expanduser()
    base = Path(vault_path) if vault_path is not None else default_local_vault_path(env)
    return base.with_name(base.name + ".approvals")


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat()


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _no_approval(approval_id: str) -> NotFound:
    return NotFound(
        f"no approval request '{str(approval_id)[:40]}'.", action="List them with `oneclaw-tools approvals`."
    )


class HitlStore:
    """The approvals and secret requests of one operator (thread- and process-safe)."""

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], datetime] | None = None) -> None:
        # WAL: one sync per commit, and readers (the CLI listing, the page) never block a
        # decision; FULL keeps each committed decision and each used grant on disk.
        self._file = SqliteFile(path, _SCHEMA, timeout=10.0, wal=True)
        self.path = self._file.path
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"HitlStore({self.path.name!r})"

    def close(self) -> None:
        self._file.close()

    def _audit(self, db: sqlite3.Connection, event: str, ref: str, actor: str, detail: str) -> None:
        db.execute(
            "INSERT INTO hitl_audit (ts, event, ref, actor, detail) VALUES (?, ?, ?, ?, ?)",
            (_iso(self._clock()), event, ref, actor, detail),
        )

    def audit_log(self) -> list[dict[str, str]]:
        return [dict(row) for row in self._file.all("SELECT * FROM hitl_audit ORDER BY rowid")]

    # -- approvals ---------------------------------------------------------------------------
    def request(self, action: Action, summary: str, *, ttl: timedelta = APPROVAL_TTL) -> ApprovalRecord:
        """The pending request for ``action``: the open one with the same digest, or a new one."""
        now = self._clock()
        digest = action.digest
        with self._file.tx() as db:
            row = db.execute(
                "SELECT * FROM approvals WHERE digest = ? AND status = 'pending' AND expires_at > ? "
                "ORDER BY created_at DESC LIMIT 1",
                (digest, _iso(now)),
            ).fetchone()
            if row is not None:
                return ApprovalRecord.from_row(row)
            (open_count,) = db.execute(
                "SELECT COUNT(*) FROM approvals WHERE status = 'pending' AND expires_at > ?", (_iso(now),)
            ).fetchone()
            if open_count >= MAX_PENDING_APPROVALS:
                raise ResourceLimitExceeded(
                    f"{open_count} actions already wait for a human's approval.",
                    action="Wait until the user decided the pending ones; do not file more.",
                )
            new_id = _new_id("apr_")
            db.execute(
                "INSERT INTO approvals (id, digest, tool, summary, action, status, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                (new_id, digest, action.tool, summary, action.to_json(), _iso(now), _iso(now + ttl)),
            )
            self._audit(db, "approval_requested", new_id, str(action.fields.get("agent", "-")), summary)
            row = db.execute("SELECT * FROM approvals WHERE id = ?", (new_id,)).fetchone()
        return ApprovalRecord.from_row(row)

    def get(self, approval_id: str) -> ApprovalRecord:
        row = self._file.one("SELECT * FROM approvals WHERE id = ?", (str(approval_id),))
        if row is None:
            raise _no_approval(approval_id)
        return ApprovalRecord.from_row(row)

    def pending(self) -> list[ApprovalRecord]:
        rows = self._file.all(
            "SELECT * FROM approvals WHERE status = 'pending' AND expires_at > ? ORDER BY created_at",
            (_iso(self._clock()),),
        )
        return [ApprovalRecord.from_row(r) for r in rows]

    def decide(
        self, approval_id: str, *, approve: bool, by: str, digest: str | None = None
    ) -> ApprovalRecord:
        """Approve or deny a pending request. ``digest`` (when given) must match: a decision made
        for one action cannot land on another."""
        now = self._clock()
        with self._file.tx() as db:
            row = db.execute("SELECT * FROM approvals WHERE id = ?", (str(approval_id),)).fetchone()
            if row is None:
                raise _no_approval(approval_id)
            if digest is not None and row["digest"] != digest:
                raise Conflict(
                    "that decision was made for another action.",
                    action="Decide the request shown for this action.",
                )
            if row["status"] != "pending":
                raise Conflict(
                    f"approval request {row['id']} is already {row['status']}.", action="Nothing to do."
                )
            if row["expires_at"] <= _iso(now):
                raise Gone(f"approval request {row['id']} expired.", action="Let the agent ask again.")
            status = "approved" if approve else "denied"
            expires = min(row["expires_at"], _iso(now + GRANT_TTL)) if approve else row["expires_at"]
            db.execute(
                "UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, expires_at = ? WHERE id = ?",
                (status, _iso(now), by, expires, row["id"]),
            )
            self._audit(db, f"approval_{status}", row["id"], by, row["summary"])
            row = db.execute("SELECT * FROM approvals WHERE id = ?", (row["id"],)).fetchone()
        return ApprovalRecord.from_row(row)

    def has_grant(self, digest: str) -> bool:
        row = self._file.one(
            "SELECT 1 FROM approvals WHERE digest = ? AND status = 'approved' AND expires_at > ?",
            (digest, _iso(self._clock())),
        )
        return row is not None

    def consume(self, digest: str, *, by: str) -> ApprovalRecord | None:
        """Use one approved, unexpired grant for exactly this digest; None when there is none."""
        if not self.has_grant(digest):  # the common case, answered without a write transaction
            return None
        now = _iso(self._clock())
        with self._file.tx() as db:
            row = db.execute(
                "SELECT * FROM approvals WHERE digest = ? AND status = 'approved' AND expires_at > ? "
                "ORDER BY decided_at LIMIT 1",
                (digest, now),
            ).fetchone()
            if row is None:
                return None
            cur = db.execute(
                "UPDATE approvals SET status = 'used', used_at = ? "
                "WHERE id = ? AND status = 'approved' AND digest = ? AND expires_at > ?",
                (now, row["id"], digest, now),
            )
            if cur.rowcount != 1:  # pragma: no cover - the transaction makes this unreachable
                return None
            self._audit(db, "approval_used", row["id"], by, row["summary"])
        return ApprovalRecord.from_row(row)

    # -- secret requests ---------------------------------------------------------------------
    def request_secret(
        self,
        *,
        vault_id: str,
        path: str,
        reason: str,
        type: str,
        requested_by: str,
        ttl: timedelta = REQUEST_TTL,
    ) -> SecretRequest:
        now = self._clock()
        new_id = _new_id("req_")
        with self._file.tx() as db:
            (open_count,) = db.execute(
                "SELECT COUNT(*) FROM secret_requests WHERE status = 'pending' AND requested_by = ? AND expires_at > ?",
                (requested_by, _iso(now)),
            ).fetchone()
            if open_count >= MAX_PENDING_REQUESTS:
                raise ResourceLimitExceeded(
                    f"{open_count} secret requests of this agent are still open.",
                    action="Wait until the user supplied them (check_secret_request); do not ask again.",
                )
            db.execute(
                "INSERT INTO secret_requests (id, vault_id, path, reason, type, requested_by, status, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                (new_id, vault_id, path, reason, type, requested_by, _iso(now), _iso(now + ttl)),
            )
            self._audit(db, "secret_requested", new_id, requested_by, f"{vault_id}/{path}: {reason}")
            row = db.execute("SELECT * FROM secret_requests WHERE id = ?", (new_id,)).fetchone()
        return SecretRequest.from_row(row)

    def get_request(self, request_id: str) -> SecretRequest:
        row = self._file.one("SELECT * FROM secret_requests WHERE id = ?", (str(request_id),))
        if row is None:
            raise NotFound(
                f"no secret request '{str(request_id)[:40]}'.", action="Use the id request_secret returned."
            )
        return SecretRequest.from_row(row)

    def pending_requests(self) -> list[SecretRequest]:
        rows = self._file.all(
            "SELECT * FROM secret_requests WHERE status = 'pending' AND expires_at > ? ORDER BY created_at",
            (_iso(self._clock()),),
        )
        return [SecretRequest.from_row(r) for r in rows]

    def expired(self, req: SecretRequest) -> bool:
        return req.expires_at <= _iso(self._clock())

    def open_request(self, request_id: str) -> SecretRequest:
        """The request, checked to be pending and unexpired (before a value is stored for it)."""
        req = self.get_request(request_id)
        if req.status != "pending":
            raise Conflict(f"secret request {req.id} is already {req.status}.", action="Nothing to do.")
        if req.expires_at <= _iso(self._clock()):
            raise Gone(f"secret request {req.id} expired.", action="Let the agent ask again.")
        return req

    def cancel_request(self, request_id: str, *, by: str) -> SecretRequest:
        """Refuse a pending secret request: the agent's ``check_secret_request`` then says so."""
        with self._file.tx() as db:
            cur = db.execute(
                "UPDATE secret_requests SET status = 'cancelled', fulfilled_at = ?, fulfilled_by = ? "
                "WHERE id = ? AND status = 'pending'",
                (_iso(self._clock()), by, str(request_id)),
            )
            if cur.rowcount != 1:
                raise NotFound(
                    f"no pending secret request '{str(request_id)[:40]}'.",
                    action="List them with `oneclaw-tools requests`.",
                )
            row = db.execute("SELECT * FROM secret_requests WHERE id = ?", (str(request_id),)).fetchone()
            self._audit(db, "secret_request_cancelled", row["id"], by, f"{row['vault_id']}/{row['path']}")
        return SecretRequest.from_row(row)

    def mark_fulfilled(self, request_id: str, *, version: int, by: str) -> SecretRequest:
        if not isinstance(version, int) or version < 1:
            raise InvalidArgument("version", "must be a stored version number")
        with self._file.tx() as db:
            cur = db.execute(
                "UPDATE secret_requests SET status = 'fulfilled', fulfilled_at = ?, fulfilled_by = ?, "
                "version = ? WHERE id = ? AND status = 'pending'",
                (_iso(self._clock()), by, version, str(request_id)),
            )
            if cur.rowcount != 1:
                raise Conflict(
                    f"secret request {str(request_id)[:40]} is not pending.", action="Nothing to do."
                )
            row = db.execute("SELECT * FROM secret_requests WHERE id = ?", (str(request_id),)).fetchone()
            self._audit(
                db, "secret_fulfilled", row["id"], by, f"{row['vault_id']}/{row['path']} version {version}"
            )
        return SecretRequest.from_row(row)
