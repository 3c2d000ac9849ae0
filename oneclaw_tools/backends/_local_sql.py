"""The embedded vault's SQLite plumbing: its schema, its timestamp format, switching to WAL.

Timestamps are stored as ISO 8601 text in UTC with microseconds, so they sort as text.
:func:`set_wal` is shared by the vault file and its read log (:mod:`._local_audit_log`).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

__all__ = ["SCHEMA", "SCHEMA_VERSION", "fmt_ts", "parse_ts", "set_wal", "utcnow"]

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS vault_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS keks (id TEXT PRIMARY KEY, check_blob BLOB NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vaults (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (
    id TEXT PRIMARY KEY, vault_id TEXT NOT NULL, path TEXT NOT NULL,
    latest INTEGER NOT NULL, current INTEGER,
    created_by TEXT NOT NULL, created_at TEXT NOT NULL, deleted_at TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS secrets_live ON secrets (vault_id, path) WHERE deleted_at IS NULL;
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY, vault_id TEXT NOT NULL, path TEXT NOT NULL, version INTEGER NOT NULL,
    secret_id TEXT NOT NULL, type TEXT NOT NULL, metadata TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT,
    max_access_count INTEGER NOT NULL, access_count INTEGER NOT NULL DEFAULT 0,
    is_disabled INTEGER NOT NULL DEFAULT 0,
    kek_id TEXT NOT NULL, wrapped_dek BLOB NOT NULL, ciphertext BLOB NOT NULL,
    UNIQUE (vault_id, path, version));
CREATE TABLE IF NOT EXISTS policies (
    id TEXT PRIMARY KEY, vault_id TEXT NOT NULL, principal_type TEXT NOT NULL,
    principal_id TEXT NOT NULL, pattern TEXT NOT NULL, permissions TEXT NOT NULL,
    effect TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT);
CREATE INDEX IF NOT EXISTS policies_principal ON policies (vault_id, principal_type, principal_id);
CREATE TABLE IF NOT EXISTS shares (
    id TEXT PRIMARY KEY, secret_id TEXT NOT NULL, vault_id TEXT NOT NULL, path TEXT NOT NULL,
    recipient_type TEXT NOT NULL, recipient_id TEXT, email TEXT, expires_at TEXT NOT NULL,
    max_access_count INTEGER NOT NULL, access_count INTEGER NOT NULL DEFAULT 0,
    passphrase_hash BLOB, token_hash BLOB NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0, declined INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, principal TEXT NOT NULL,
    action TEXT NOT NULL, outcome TEXT NOT NULL, vault_id TEXT, path TEXT, version INTEGER,
    tool TEXT, detail TEXT);
"""


def fmt_ts(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat(timespec="microseconds")


def parse_ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def utcnow() -> datetime:
    return datetime.now(UTC)


def set_wal(conn: sqlite3.Connection, deadline_s: float = 30.0) -> None:
    """Switch to WAL. When several processes open a fresh file at once, SQLite can answer
    "database is locked" here without calling the busy handler, so retry until a deadline."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)
