"""A small SQLite file of the operator's: the approvals store and the local server's principals.

Contract: the file is created owner-only (mode 0600, and set so if it already existed), its
schema applied with ``CREATE … IF NOT EXISTS`` statements; one connection is shared by the
process's threads behind one lock; :meth:`SqliteFile.tx` is a ``BEGIN IMMEDIATE`` transaction
committed on success and rolled back on any exception, so another process sees all of it or
nothing; :meth:`SqliteFile.one` and :meth:`SqliteFile.all` read outside any transaction.
``wal=True`` journals in WAL with ``synchronous=FULL``: readers (a CLI listing, a page) never
block a writer, and each commit is on disk when it returns. These files hold no secret values.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["SqliteFile"]


class SqliteFile:
    """One SQLite file, one connection, one lock (thread- and process-safe)."""

    def __init__(
        self, path: str | os.PathLike[str], schema: str, *, timeout: float = 30.0, wal: bool = False
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        os.chmod(self.path, 0o600)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            self.path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            if wal:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.executescript(schema)

    def __repr__(self) -> str:
        return f"SqliteFile({self.path.name!r})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """The first row ``sql`` selects (or None), read under the lock."""
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Every row ``sql`` selects, read under the lock."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()
