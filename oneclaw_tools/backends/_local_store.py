"""Storage for :class:`~oneclaw_tools.backends.local.LocalVault`: one SQLite file, WAL mode.

Durability: WAL with ``synchronous=NORMAL`` writes every committed transaction into the WAL
file before ``COMMIT`` returns, so it survives a crash of the process (not necessarily a
power cut, which would need ``synchronous=FULL``). Every write runs in ``BEGIN IMMEDIATE``
with a busy timeout, so several processes can write one file and version numbers stay
contiguous. A read that changes nothing runs in a plain read transaction (:meth:`Store.read`),
which in WAL mode neither waits for a writer nor blocks one; its audit row goes to the read log
(:mod:`._local_audit_log`). One connection per vault object, guarded by a re-entrant lock, serves threads.

The key-encryption key comes from the provider the vault records in ``vault_meta.kek``
(:mod:`oneclaw_tools.kek`: a key file, a PKCS#11 token or a transit key; a vault without a
record is a ``file`` vault). It is checked against the ``keks`` table when the store opens: a
key that never wrapped anything in a non-empty vault is refused at once, instead of writing
rows no other process could read. The KEK is made (key file, token key, transit key) only
while the vault has wrapped nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import crypto
from ..audit import current_tool
from ..errors import IntegrityError, InvalidArgument, NotFound
from ..kek import KekProvider
from ..kek.providers import load_record, open_provider, record_for, same_record
from ..models import Principal
from ._local_audit_log import ReadLog
from ._local_sql import SCHEMA, SCHEMA_VERSION, fmt_ts, parse_ts, set_wal, utcnow

__all__ = ["SCHEMA_VERSION", "Store", "fmt_ts", "parse_ts"]

_AAD_FORMAT = "oneclaw-tools-local/1"


def _mismatch(ring: KekProvider) -> IntegrityError:
    if ring.kind == "file":
        return IntegrityError(
            "the vault key does not match this vault (wrong ONECLAW_LOCAL_VAULT_KEY or key file)."
        )
    where = ", ".join(f"{k} '{v}'" for k, v in ring.describe().items() if k != "kind")
    return IntegrityError(f"the vault key does not match this vault (the {ring.kind} key: {where}).")


class Store:
    """The shared state behind a vault and all its principal views."""

    def __init__(
        self,
        path: Path,
        *,
        env: Mapping[str, str],
        key: bytes | None,
        clock: Callable[[], datetime] | None,
        kek: str | None = None,
        create: bool = True,
    ) -> None:
        self.path = path
        self.create = create
        self.key_file = path.with_name(path.name + ".key")
        self.clock: Callable[[], datetime] = clock or utcnow
        self.lock = threading.RLock()
        self._env = env
        self._explicit_key = key
        self._kek_kind = "file" if key is not None and kek is None else kek
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self.ring: KekProvider | None = None
        self.instance_id = ""
        self.reads = ReadLog(path.with_name(path.name + ".audit"))

    @property
    def env(self) -> Mapping[str, str]:
        return self._env

    # -- opening ------------------------------------------------------------------------
    def provider(
        self, record: Mapping[str, str], *, create: bool = False, fresh: bool = False
    ) -> KekProvider:
        """The KEK provider ``record`` names (see :func:`oneclaw_tools.kek.providers.open_provider`)."""
        return open_provider(
            record, self._env, self.key_file, create=create, explicit_key=self._explicit_key,
            fresh_key_file=fresh,
        )  # fmt: skip

    @staticmethod
    def kek_record(conn: sqlite3.Connection) -> dict[str, str] | None:
        row = conn.execute("SELECT value FROM vault_meta WHERE key = 'kek'").fetchone()
        return load_record(None if row is None else row[0])

    def _settle_record(self, conn: sqlite3.Connection, has_keys: bool) -> dict[str, str]:
        """The vault's KEK record; a vault without one gets the requested kind (default ``file``).

        While nothing is wrapped yet (an ``init`` that failed to reach its provider, say), a
        requested kind replaces the recorded one: there is nothing to migrate.
        """
        record = self.kek_record(conn)
        wanted = self._kek_kind or "file"
        if record is None and has_keys and wanted != "file":  # from before KEK providers: a file vault
            record = {"kind": "file"}
        elif record is None or (not has_keys and self._kek_kind not in (None, record["kind"])):
            verb = "INSERT OR IGNORE" if record is None else "INSERT OR REPLACE"
            conn.execute("BEGIN IMMEDIATE")
            try:
                if record is None or not conn.execute("SELECT 1 FROM keks LIMIT 1").fetchone():
                    conn.execute(
                        f"{verb} INTO vault_meta (key, value) VALUES ('kek', ?)",
                        (json.dumps(record_for(wanted, self._env), sort_keys=True),),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            record = self.kek_record(conn)  # another process may have recorded first
            assert record is not None
        if self._kek_kind is not None and self._kek_kind != record["kind"]:
            raise InvalidArgument(
                "kek",
                f"this vault's key-encryption key is '{record['kind']}', not '{self._kek_kind}'; "
                f"migrate with 'oneclaw-tools rotate-key --to {self._kek_kind}'",
            )
        return record

    def reload_ring(self) -> bool:
        """Another process may have rotated the key file or migrated the vault to another KEK
        provider: follow it. True if the KEKs changed."""
        ring = self.ring
        if ring is None or self._conn is None:
            return False
        record = self.kek_record(self._conn) or {"kind": "file"}
        if not same_record(record, ring.describe()):
            self.ring = self.provider(record)
            ring.close()
            return True
        if ring.source != "file":
            return False
        self.ring = self.provider(record)
        return self.ring.ids != ring.ids

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._open()
        assert self._conn is not None
        return self._conn

    def _open(self) -> None:
        if self._closed:
            raise RuntimeError("this vault has been closed")
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        if fresh and not self.create:
            raise NotFound(
                f"there is no vault at {self.path}.",
                action="The operator creates it with `oneclaw-tools init`, or points "
                "ONECLAW_LOCAL_VAULT at the existing vault file.",
            )
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if fresh:
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA busy_timeout = 30000")
            set_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA secure_delete = ON")
            conn.execute("PRAGMA wal_autocheckpoint = 4000")  # fewer checkpoint fsyncs than the default 1000
            conn.execute("PRAGMA mmap_size = 268435456")  # reads of a large vault without a syscall per page
            conn.execute("PRAGMA cache_size = -16384")
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                        for statement in SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(
                            "INSERT OR IGNORE INTO vault_meta (key, value) VALUES ('instance_id', ?)",
                            (str(uuid.uuid4()),),
                        )
                        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.chmod(self.path.with_name(self.path.name + suffix), 0o600)
            self.instance_id = conn.execute(
                "SELECT value FROM vault_meta WHERE key = 'instance_id'"
            ).fetchone()[0]
            has_keys = conn.execute("SELECT 1 FROM keks LIMIT 1").fetchone() is not None
            ring = self.provider(self._settle_record(conn, has_keys), create=not has_keys)
            try:
                self._check_ring(conn, ring)
            except BaseException:
                ring.close()
                raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise
            raise IntegrityError(
                f"the vault file {self.path} is damaged or is not a vault.",
                action="The operator must restore it from a backup (or point ONECLAW_LOCAL_VAULT "
                "at the right file).",
            ) from None
        except BaseException:
            conn.close()
            raise
        self.ring = ring
        self._conn = conn

    @staticmethod
    def _check_ring(conn: sqlite3.Connection, ring: KekProvider) -> None:
        known = {r[0]: bytes(r[1]) for r in conn.execute("SELECT id, check_blob FROM keks")}
        if known and not set(known) & set(ring.ids):
            raise _mismatch(ring)
        for kid, blob in known.items():
            if kid in ring.ids and not ring.verify_check(kid, blob):
                raise IntegrityError(crypto.INTEGRITY_MESSAGE)

    def close(self) -> None:
        with self.lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self.ring is not None:
                self.ring.close()
            self.reads.close()
            self._closed = True

    # -- transactions -------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""
        with self.lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot; in WAL mode it neither waits for nor
        blocks a writer. Nothing may be written in it."""
        with self.lock:
            conn = self.conn
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def audit(
        self,
        conn: sqlite3.Connection | None,
        principal: Principal | str,
        action: str,
        outcome: str = "ok",
        *,
        vault_id: str | None = None,
        path: str | None = None,
        version: int | None = None,
        detail: str | None = None,
        tool: str | None = None,
        ts: datetime | None = None,
    ) -> None:
        """One audit row: in ``conn``'s write transaction, or (``conn`` None) in the read log."""
        row = (
            fmt_ts(ts or self.clock()), str(principal), action, outcome, vault_id, path, version,
            tool if tool is not None else current_tool(), detail,
        )  # fmt: skip
        if conn is None:
            after = self.conn.execute("SELECT MAX(id) FROM audit").fetchone()[0] or 0
            self.reads.append((*row, after))
            return
        conn.execute(
            "INSERT INTO audit (ts, principal, action, outcome, vault_id, path, version, tool, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    # -- envelope encryption ------------------------------------------------------------
    def aad(self, row: Mapping[str, Any] | sqlite3.Row) -> bytes:
        """Associated data: the row's identity and every field that never changes after a put."""
        return json.dumps(
            [
                _AAD_FORMAT,
                self.instance_id,
                row["vault_id"],
                row["secret_id"],
                row["path"],
                row["version"],
                row["type"],
                row["metadata"],
                row["expires_at"],
                row["max_access_count"],
                row["created_at"],
            ],
            separators=(",", ":"),
        ).encode()

    def seal(self, conn: sqlite3.Connection, plaintext: bytes, aad: bytes) -> crypto.Sealed:
        self.ensure_wrapping_key(conn)
        assert self.ring is not None
        return crypto.seal(self.ring, plaintext, aad)

    def ensure_wrapping_key(self, conn: sqlite3.Connection) -> None:
        """Register the newest KEK in ``keks`` (inside the caller's write transaction)."""
        assert self.ring is not None
        newest = self.ring.newest_id
        if conn.execute("SELECT 1 FROM keks WHERE id = ?", (newest,)).fetchone():
            return
        if self.reload_ring():  # another process rotated the key file under us
            self.ensure_wrapping_key(conn)
            return
        known = {row[0] for row in conn.execute("SELECT id FROM keks")}
        if known and not known & set(self.ring.ids):  # a key this vault never used, e.g. a wrong env key
            raise _mismatch(self.ring)
        conn.execute(
            "INSERT INTO keks (id, check_blob, created_at) VALUES (?, ?, ?)",
            (newest, self.ring.check_blob(newest), fmt_ts(self.clock())),
        )

    def open(self, row: Mapping[str, Any] | sqlite3.Row) -> str:
        """Decrypt one version row, or raise :class:`IntegrityError`."""
        assert self.ring is not None
        sealed = crypto.Sealed(row["kek_id"], bytes(row["wrapped_dek"]), bytes(row["ciphertext"]))
        if sealed.kek_id not in self.ring.ids:
            self.reload_ring()
        plaintext = crypto.open_sealed(self.ring, sealed, self.aad(row))
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - authenticated bytes we wrote ourselves
            raise IntegrityError(crypto.INTEGRITY_MESSAGE) from None
