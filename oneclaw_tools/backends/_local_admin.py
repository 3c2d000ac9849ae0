"""Audit, the operator-only export, key rotation and KEK migration of the embedded vault.

Kept apart from the secret operations because they act on the whole file: the audit log
(every row value-free), ``export_latest_unsafe`` for the operator's ``scrub`` command, and
``rotate_key``, whose crash-safe order of steps is described on the method.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

from .. import crypto
from ..errors import InvalidArgument, PermissionDenied
from ..kek import KEK_KINDS, KekProvider
from ..kek.providers import record_for, same_record
from ..kek.transit import TransitKek
from ..models import AuditEvent, SecretValue
from ._local_core import Note, Part, check_id
from ._local_store import fmt_ts, parse_ts

__all__ = ["Admin"]

_CHUNK = 250  # data keys per batch while re-wrapping a whole vault
#: row id -> (the KEK id and wrapped key it had, the same data key re-wrapped for the target)
_Prepared = dict[int, tuple[str, bytes, crypto.Sealed]]


class Admin(Part):
    """The audit log, the operator's export, key rotation and KEK migration."""

    # -- audit --------------------------------------------------------------------------
    def record_audit(self, event: AuditEvent) -> None:
        """Store a session-level event as given (it must carry no value), in the read log."""
        if not isinstance(event, AuditEvent):
            raise InvalidArgument("event", "must be an AuditEvent")
        self.core.store.audit(
            None, event.principal, event.action, event.outcome, vault_id=event.vault_id, path=event.path,
            version=event.version, detail=event.detail, tool=event.tool, ts=event.ts,
        )  # fmt: skip

    def audit_events(self, limit: int = 100) -> list[AuditEvent]:
        """The newest ``limit`` events of both logs, oldest first; a non-owner sees only its own.

        Rows of the vault file carry their ``id``; rows of the read log have none."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgument("limit", "must be a whole number of at least 1")
        store, p = self.core.store, self.core.principal
        sql = "SELECT * FROM audit"
        args: tuple[Any, ...] = ()
        if not p.is_owner:
            sql += " WHERE principal = ?"
            args = (str(p),)
        with store.lock:
            writes = store.conn.execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
            reads = store.reads.newest(limit, None if p.is_owner else str(p))
        # a read-log row follows the vault file's row it saw last (after_id): no clock decides
        keyed = [((r["id"], 0, 0), self._event(r, r["id"])) for r in writes]
        keyed += [((r["after_id"], 1, r["id"]), self._event(r, None)) for r in reads]
        keyed.sort(key=lambda item: item[0])
        return [event for _, event in keyed[-limit:]]

    def _event(self, r: sqlite3.Row, id_: int | None) -> AuditEvent:
        return AuditEvent(
            ts=parse_ts(r["ts"]) or self.core.now(), principal=r["principal"], action=r["action"],
            outcome=r["outcome"], vault_id=r["vault_id"], path=r["path"], version=r["version"], tool=r["tool"],
            detail=r["detail"], id=id_,
        )  # fmt: skip

    # -- operator-only ------------------------------------------------------------------
    def export_latest_unsafe(self, vault_id: str | None = None) -> Iterator[tuple[str, SecretValue]]:
        """Every live path's latest readable value, WITHOUT counting an access (owner only).

        For the operator's ``scrub`` command, which must know every value to find it in
        logs. The export itself is audited; expired and used-up secrets are included.
        """
        with self.core.checking("export_latest_unsafe"):
            if vault_id is not None:
                vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> list[sqlite3.Row]:
            self.core.require_owner("export values")
            sql = (
                "SELECT v.* FROM secrets s JOIN versions v "
                "ON v.vault_id = s.vault_id AND v.path = s.path AND v.version = s.current "
                "WHERE s.deleted_at IS NULL"
            )
            if vault_id is not None:
                self.core.vault_row(conn, vault_id)
                rows = conn.execute(sql + " AND s.vault_id = ? ORDER BY s.path", (vault_id,)).fetchall()
            else:
                rows = conn.execute(sql + " ORDER BY s.vault_id, s.path").fetchall()
            note.detail = f"{len(rows)} values exported"
            return rows

        rows = self.core.run("export_latest_unsafe", work, vault_id=vault_id)

        def values() -> Iterator[tuple[str, SecretValue]]:
            for row in rows:
                with self.core.store.lock:
                    value = self.core.store.open(row)
                yield row["path"], SecretValue(value)

        return values()

    def export_all_versions_unsafe(
        self, vault_id: str | None = None
    ) -> Iterator[tuple[str, int, SecretValue]]:
        """Every version ever stored, disabled and soft-deleted ones included, WITHOUT counting
        an access (owner only): ``(path, version, value)``.

        For ``scrub --all-versions``: a log written before a leaked key was rotated holds the
        old value. The export itself is audited.
        """
        with self.core.checking("export_all_versions_unsafe"):
            if vault_id is not None:
                vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> list[sqlite3.Row]:
            self.core.require_owner("export values")
            if vault_id is not None:
                self.core.vault_row(conn, vault_id)
                rows = conn.execute(
                    "SELECT * FROM versions WHERE vault_id = ? ORDER BY path, version", (vault_id,)
                ).fetchall()
            else:
                rows = conn.execute("SELECT * FROM versions ORDER BY vault_id, path, version").fetchall()
            note.detail = f"{len(rows)} versions exported"
            return rows

        rows = self.core.run("export_all_versions_unsafe", work, vault_id=vault_id)

        def values() -> Iterator[tuple[str, int, SecretValue]]:
            for row in rows:
                with self.core.store.lock:
                    value = self.core.store.open(row)
                yield row["path"], int(row["version"]), SecretValue(value)

        return values()

    def rotate_key(self, to: str | None = None) -> dict[str, Any]:
        """Re-wrap every data key under a new key-encryption key (owner only).

        ``to`` (``file``, ``pkcs11``, ``transit``) migrates to another provider; ``None`` or
        the vault's own provider rotates within it. With a key file: (1) the new key is
        appended to the key file, (2) every data key is re-wrapped in one transaction, (3) the
        old keys are dropped from the file. A crash after (1) or (2) leaves both keys in the
        file, so the vault stays readable; running ``rotate_key`` again finishes the job. With
        ``ONECLAW_LOCAL_VAULT_KEY`` (or an explicit key) the newest given key becomes the only
        wrapping key; put the new key last in the variable, rotate, then remove the old one.
        A transit key is rotated on the server, then every data key re-wrapped. A migration is
        described on :meth:`_migrate`.
        """
        store = self.core.store
        if not self.core.principal.is_owner:
            denied = PermissionDenied("only the vault owner may rotate the vault key.")
            with store.lock:
                self.core.audit_failure("rotate_key", denied, vault_id=None, path=None)
            raise denied
        if to is not None and to not in KEK_KINDS:
            raise InvalidArgument("to", f"must be one of {', '.join(KEK_KINDS)}")
        with store.lock:
            _ = store.conn
            store.reload_ring()
            ring = store.ring
            assert ring is not None
            current = ring.describe()
            target = record_for(to or ring.kind, store.env, current)
            if not same_record(target, current):
                return self._migrate(target)
            cleaned = self._drop_stale_key_file()
            if ring.kind == "transit":
                assert isinstance(ring, TransitKek)
                ring.rotate()
                ready = self._prepare(ring, ring)
                count = self.core.run(
                    "rotate_key", lambda conn, note: self._rewrap_every_row(conn, note, ready)
                )
            elif ring.kind == "pkcs11":
                count = 0  # one key per label: a new key is a migration to a new label
            else:
                assert isinstance(ring, crypto.KeyRing)
                if ring.source == "file":
                    crypto.write_key_file(store.key_file, [*ring.keys(), crypto.generate_key()])
                    store.reload_ring()
                count = self.core.run("rotate_key", self._rewrap_all)
                ring = store.ring
                assert isinstance(ring, crypto.KeyRing)
                if ring.source == "file":
                    crypto.write_key_file(store.key_file, [ring.keys()[-1]])
                    store.reload_ring()
            result: dict[str, Any] = {
                "key_id": ring.newest_id, "rewrapped": count, "key_source": ring.source, "kek": ring.describe(),
            }  # fmt: skip
            if ring.kind == "pkcs11":
                result["note"] = (
                    "a PKCS#11 key is rotated by migrating to a new key: set ONECLAW_PKCS11_KEY_LABEL to a "
                    "new label and run rotate-key --to pkcs11"
                )
            if cleaned:
                result["removed_key_file"] = str(store.key_file)
            return result

    def _migrate(self, target_record: dict[str, str]) -> dict[str, Any]:
        """Move every data key to another KEK provider, crash-safe.

        (1) The target KEK is reached (and made, if it does not exist: a token key, a transit
        key, a fresh key file), and every data key is re-wrapped for it in memory, in batches,
        outside the write lock. (2) One transaction stores them (re-doing rows that changed
        meanwhile), replaces the ``keks`` rows and records the target
        in ``vault_meta``: a crash before its commit leaves the vault as it was, a crash after
        it leaves a vault fully on the target. (3) A key file the vault no longer uses is
        removed; if a crash prevents that, the next ``rotate_key`` removes it.
        """
        store = self.core.store
        source = store.ring
        assert source is not None
        target = store.provider(target_record, create=True, fresh=target_record["kind"] == "file")
        try:
            ready = self._prepare(source, target)

            def work(conn: sqlite3.Connection, note: Note) -> int:
                count = self._rewrap_rows(conn, source, target, ready)
                newest = target.newest_id
                conn.execute("DELETE FROM keks")
                conn.execute(
                    "INSERT INTO keks (id, check_blob, created_at) VALUES (?, ?, ?)",
                    (newest, target.check_blob(newest), fmt_ts(store.clock())),
                )
                conn.execute(
                    "INSERT OR REPLACE INTO vault_meta (key, value) VALUES ('kek', ?)",
                    (json.dumps(target.describe(), sort_keys=True),),
                )
                note.detail = f"{count} data keys moved from {source.kind} to {target.kind} ({newest})"
                return count

            count = self.core.run("rotate_key", work)
        except BaseException:
            target.close()
            raise
        store.ring = target
        source.close()
        result: dict[str, Any] = {
            "key_id": target.newest_id, "rewrapped": count, "key_source": target.source,
            "kek": target.describe(), "from": source.describe(),
        }  # fmt: skip
        if self._drop_stale_key_file():
            result["removed_key_file"] = str(store.key_file)
        if source.source == "env":
            result["note"] = (
                "the vault no longer uses ONECLAW_LOCAL_VAULT_KEY; remove it from the environment"
            )
        return result

    def _drop_stale_key_file(self) -> bool:
        """Remove the key file of a vault whose KEK is elsewhere (it wraps nothing any more)."""
        store = self.core.store
        assert store.ring is not None
        if store.ring.kind == "file" or not store.key_file.exists():
            return False
        store.key_file.unlink()
        crypto.fsync_dir(store.key_file.parent)
        return True

    def _prepare(self, source: KekProvider, target: KekProvider) -> _Prepared:
        """Every data key re-wrapped for ``target`` *before* the write transaction, so other
        processes are not held up by a slow provider (a transit call per batch); the
        transaction then redoes only the rows that changed meanwhile."""
        rows = self.core.store.conn.execute("SELECT * FROM versions").fetchall()
        return self._rewrap_batches(rows, source, target)

    def _rewrap_batches(self, rows: list[sqlite3.Row], source: KekProvider, target: KekProvider) -> _Prepared:
        store = self.core.store
        out: _Prepared = {}
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            items = [
                (crypto.Sealed(r["kek_id"], bytes(r["wrapped_dek"]), bytes(r["ciphertext"])), store.aad(r))
                for r in chunk
            ]
            deks = crypto.unwrap_deks(source, items)
            fresh = crypto.wrap_deks(
                target,
                [(dek, aad, sealed.ciphertext) for dek, (sealed, aad) in zip(deks, items, strict=True)],
            )
            for row, (sealed, _), new in zip(chunk, items, fresh, strict=True):
                out[row["id"]] = (sealed.kek_id, sealed.wrapped_dek, new)
        return out

    def _rewrap_rows(
        self,
        conn: sqlite3.Connection,
        source: KekProvider,
        target: KekProvider,
        prepared: _Prepared | None = None,
    ) -> int:
        """Inside the write transaction: every row gets its re-wrapped key (prepared, or made now)."""
        rows = conn.execute("SELECT id, kek_id, wrapped_dek FROM versions").fetchall()
        ready = dict(prepared or {})
        changed = [
            r["id"]
            for r in rows
            if ready.get(r["id"], ("", b""))[:2] != (r["kek_id"], bytes(r["wrapped_dek"]))
        ]
        if changed:
            marks = ",".join("?" * len(changed))
            stale = conn.execute(f"SELECT * FROM versions WHERE id IN ({marks})", changed).fetchall()  # noqa: S608
            ready.update(self._rewrap_batches(stale, source, target))
        for row in rows:
            fresh = ready[row["id"]][2]
            conn.execute(
                "UPDATE versions SET kek_id = ?, wrapped_dek = ? WHERE id = ?",
                (fresh.kek_id, fresh.wrapped_dek, row["id"]),
            )
        return len(rows)

    def _rewrap_every_row(
        self, conn: sqlite3.Connection, note: Note, prepared: _Prepared | None = None
    ) -> int:
        ring = self.core.store.ring
        assert ring is not None
        count = self._rewrap_rows(conn, ring, ring, prepared)
        note.detail = f"{count} data keys re-wrapped under the new version of {ring.newest_id}"
        return count

    def _rewrap_all(self, conn: sqlite3.Connection, note: Note) -> int:
        store = self.core.store
        ring = store.ring
        assert ring is not None
        newest = ring.newest_id
        store.ensure_wrapping_key(conn)
        count = 0
        rows = conn.execute("SELECT * FROM versions WHERE kek_id != ?", (newest,)).fetchall()
        for row in rows:
            sealed = crypto.Sealed(row["kek_id"], bytes(row["wrapped_dek"]), bytes(row["ciphertext"]))
            fresh = crypto.rewrap(ring, sealed, store.aad(row), newest)
            conn.execute(
                "UPDATE versions SET kek_id = ?, wrapped_dek = ? WHERE id = ?",
                (newest, fresh.wrapped_dek, row["id"]),
            )
            count += 1
        conn.execute("DELETE FROM keks WHERE id != ?", (newest,))
        note.detail = f"{count} data keys re-wrapped under {newest}"
        return count
