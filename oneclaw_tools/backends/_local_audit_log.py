"""The read log of the embedded vault: audit rows of operations that change nothing.

A read that changes nothing the user asked to count (``get_secret`` of a secret without
``max_access_count``, ``describe``, the ``list_*`` calls) runs in a plain read transaction on
the vault file, which in WAL mode never waits for a writer and never makes one wait. Its audit
row goes here: ``<vault>.audit``, a SQLite file of its own (WAL, ``synchronous=NORMAL``, mode
0600), committed before the read returns its result, so a read is audited as durably as a
write (it survives a crash of the process) without taking the vault's write lock. Readers
queue only behind each other's one-row inserts. Session-level events (``record_audit``) are
written here too. A write keeps its audit row in the vault file, in its own transaction.

``LocalVault.audit_events`` merges both logs: a read-log row comes after the vault file's row
whose id it recorded as ``after_id`` (the newest the read could see), so the order does not
depend on clocks.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..errors import ServerError
from ._local_sql import set_wal

__all__ = ["ReadLog"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, principal TEXT NOT NULL,
    action TEXT NOT NULL, outcome TEXT NOT NULL, vault_id TEXT, path TEXT, version INTEGER,
    tool TEXT, detail TEXT, after_id INTEGER NOT NULL)
"""


class ReadLog:
    """One SQLite file of audit rows, opened on first use; safe for threads (one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._conn is None:
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA busy_timeout = 30000")
                set_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(_SCHEMA)
                conn.row_factory = sqlite3.Row
                for suffix in ("-wal", "-shm"):
                    with contextlib.suppress(OSError):
                        os.chmod(self.path.with_name(self.path.name + suffix), 0o600)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def append(self, row: tuple[Any, ...]) -> None:
        """Commit one row (the values of ``ts, principal, action, outcome, vault_id, path,
        version, tool, detail, after_id``) before returning; an unwritable log is a ``ServerError``.

        ``after_id`` is the newest audit id of the vault file the read saw: it places the row
        between the vault file's rows, whatever the clocks say."""
        with self._lock:
            try:
                self._open().execute(
                    "INSERT INTO audit (ts, principal, action, outcome, vault_id, path, version, tool, detail, "
                    "after_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
            except sqlite3.Error:
                raise ServerError("the vault's audit log is busy or unavailable.") from None

    def newest(self, limit: int, principal: str | None) -> list[sqlite3.Row]:
        """The newest ``limit`` rows (of ``principal`` only, if given), newest first."""
        if not self.path.exists():
            return []
        sql = "SELECT * FROM audit"
        args: tuple[str, ...] = ()
        if principal is not None:
            sql, args = sql + " WHERE principal = ?", (principal,)
        with self._lock:
            return self._open().execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
