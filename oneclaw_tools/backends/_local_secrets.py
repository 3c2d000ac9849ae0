"""Secrets of the embedded vault (1Claw reference §4): versions, reads, rotation.

Every put creates version ``n+1`` of a path (versions are contiguous, a deleted path's
numbering continues); a read returns the current (latest readable) version and counts one
access; ``describe``/``list`` never return values nor count. The value is sealed with a fresh
data key (:mod:`oneclaw_tools.crypto`) bound to the row's immutable fields.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime
from typing import Any, Unpack

from .. import crypto
from ..errors import NotFound
from ..models import Secret, SecretMeta, SecretValue
from ..validation import (
    parse_datetime,
    validate_max_access_count,
    validate_metadata,
    validate_path,
    validate_prefix,
    validate_rotation,
    validate_secret_type,
    validate_value,
)
from ._local_core import (
    META_COLUMNS,
    NeedsWrite,
    Note,
    Part,
    canonical_json,
    check_future,
    check_id,
    check_version,
)
from ._local_store import fmt_ts
from .base import SecretOptions, complete_options

__all__ = ["Secrets"]

_LIST_SQL = (
    "SELECT v.vault_id, v.path, v.version, v.secret_id, v.type, v.metadata, v.created_by, v.created_at, "
    "v.expires_at, v.max_access_count, v.access_count, v.is_disabled "
    "FROM secrets s JOIN versions v ON v.vault_id = s.vault_id AND v.path = s.path "
    "AND v.version = COALESCE(s.current, s.latest) "
    "WHERE s.vault_id = ? AND s.deleted_at IS NULL"
)


class Secrets(Part):
    """put, get, describe, list, disable, delete and rotate secrets."""

    def _checked(self, action: str, vault_id: str, path: str) -> tuple[str, str]:
        """The checked ``vault_id`` and ``path`` of ``action`` (a rejection is audited, without them)."""
        with self.core.checking(action):
            return check_id(vault_id, "vault_id"), validate_path(path)

    def put_secret(
        self, vault_id: str, path: str, value: str, **options: Unpack[SecretOptions]
    ) -> SecretMeta:
        o = complete_options(SecretOptions, "put_secret", options)
        with self.core.checking("put_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            validate_value(value)
            type_ = validate_secret_type(o["type"])
            meta_json = canonical_json(validate_metadata(o["metadata"]))
            expires = check_future(parse_datetime(o["expires_at"]), self.core.now(), "expires_at")
            max_access = validate_max_access_count(o["max_access_count"])

        def work(conn: sqlite3.Connection, note: Note) -> SecretMeta:
            self.core.require(conn, vault_id, "write", path)
            meta = self._insert_version(conn, vault_id, path, value, type_, meta_json, expires, max_access)
            note.version = meta.version
            return meta

        return self.core.run("put_secret", work, vault_id=vault_id, path=path)

    def _insert_version(
        self,
        conn: sqlite3.Connection,
        vault_id: str,
        path: str,
        value: str,
        type_: str,
        meta_json: str,
        expires: datetime | None,
        max_access: int,
    ) -> SecretMeta:
        now = fmt_ts(self.core.now())
        live = conn.execute(
            "SELECT id, latest FROM secrets WHERE vault_id = ? AND path = ? AND deleted_at IS NULL",
            (vault_id, path),
        ).fetchone()
        if live is None:
            previous = conn.execute(
                "SELECT MAX(version) FROM versions WHERE vault_id = ? AND path = ?", (vault_id, path)
            ).fetchone()[0]
            secret_id, version = str(uuid.uuid4()), (previous or 0) + 1
            conn.execute(
                "INSERT INTO secrets (id, vault_id, path, latest, current, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (secret_id, vault_id, path, version, version, str(self.core.principal), now),
            )
        else:
            secret_id, version = live["id"], live["latest"] + 1
            conn.execute(
                "UPDATE secrets SET latest = ?, current = ? WHERE id = ?", (version, version, secret_id)
            )
        row: dict[str, Any] = {
            "vault_id": vault_id,
            "path": path,
            "version": version,
            "secret_id": secret_id,
            "type": type_,
            "metadata": meta_json,
            "created_by": str(self.core.principal),
            "created_at": now,
            "expires_at": fmt_ts(expires),
            "max_access_count": max_access,
            "access_count": 0,
            "is_disabled": 0,
        }
        sealed = self.core.store.seal(conn, value.encode("utf-8"), self.core.store.aad(row))
        conn.execute(
            "INSERT INTO versions (vault_id, path, version, secret_id, type, metadata, created_by, created_at, "
            "expires_at, max_access_count, kek_id, wrapped_dek, ciphertext) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                vault_id, path, version, secret_id, type_, meta_json, row["created_by"], now,
                row["expires_at"], max_access, sealed.kek_id, sealed.wrapped_dek, sealed.ciphertext,
            ),
        )  # fmt: skip
        return self.core.meta(row)  # type: ignore[arg-type]

    def get_secret(self, vault_id: str, path: str, version: int | None = None) -> Secret:
        with self.core.checking("get_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            if version is not None:
                version = check_version(version)

        def work(conn: sqlite3.Connection, note: Note) -> Secret:
            self.core.require(conn, vault_id, "read", path)
            row = self.core.version_row(conn, self.core.live(conn, vault_id, path), version)
            self.core.check_readable(row)
            counted = bool(row["max_access_count"])  # only a limit the user set is counted
            if counted and not note.writable:
                raise NeedsWrite
            value = self.core.store.open(row)
            if counted:
                conn.execute("UPDATE versions SET access_count = access_count + 1 WHERE id = ?", (row["id"],))
            note.version = row["version"]
            return Secret(self.core.meta(row, access_count=row["access_count"] + counted), SecretValue(value))

        return self.core.run("get_secret", work, vault_id=vault_id, path=path, reads=True)

    def describe_secret(self, vault_id: str, path: str) -> SecretMeta:
        vault_id, path = self._checked("describe_secret", vault_id, path)

        def work(conn: sqlite3.Connection, note: Note) -> SecretMeta:
            self.core.require(conn, vault_id, "read", path)
            row = self.core.version_row(conn, self.core.live(conn, vault_id, path), None)
            self.core.check_readable(row)
            note.version = row["version"]
            return self.core.meta(row)

        return self.core.run("describe_secret", work, vault_id=vault_id, path=path, reads=True)

    def list_secrets(self, vault_id: str, prefix: str = "") -> list[SecretMeta]:
        with self.core.checking("list_secrets"):
            vault_id = check_id(vault_id, "vault_id")
            prefix = validate_prefix(prefix)

        def work(conn: sqlite3.Connection, note: Note) -> list[SecretMeta]:
            readable = self.core.readable_filter(conn, self.core.vault_row(conn, vault_id))
            sql = _LIST_SQL
            args: tuple[str, ...] = (vault_id,)
            if prefix:
                sql += " AND s.path >= ? AND s.path < ?"
                args += (prefix, prefix + "\x7f")
            rows = conn.execute(sql + " ORDER BY s.path", args).fetchall()
            out = [self.core.meta(r) for r in rows if readable(r["path"])]
            note.detail = f"{len(out)} listed" + (f", prefix {prefix}" if prefix else "")
            return out

        return self.core.run("list_secrets", work, vault_id=vault_id, reads=True)

    def list_versions(self, vault_id: str, path: str) -> list[SecretMeta]:
        vault_id, path = self._checked("list_versions", vault_id, path)

        def work(conn: sqlite3.Connection, note: Note) -> list[SecretMeta]:
            self.core.require(conn, vault_id, "read", path)
            live = self.core.live(conn, vault_id, path)
            rows = conn.execute(
                f"SELECT {META_COLUMNS} FROM versions WHERE vault_id = ? AND path = ? AND secret_id = ? "  # noqa: S608
                "ORDER BY version DESC",
                (vault_id, path, live["id"]),
            ).fetchall()
            return [self.core.meta(r) for r in rows]

        return self.core.run("list_versions", work, vault_id=vault_id, path=path, reads=True)

    def disable_version(self, vault_id: str, path: str, version: int) -> None:
        with self.core.checking("disable_version"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            version = check_version(version)

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self.core.require(conn, vault_id, "write", path)
            live = self.core.live(conn, vault_id, path)
            row = conn.execute(
                "SELECT id FROM versions WHERE vault_id = ? AND path = ? AND version = ? AND secret_id = ?",
                (vault_id, path, version, live["id"]),
            ).fetchone()
            if row is None:
                raise NotFound(
                    f"'{path}' has no version {version}.", action="List its versions with list_versions."
                )
            conn.execute("UPDATE versions SET is_disabled = 1 WHERE id = ?", (row["id"],))
            conn.execute(
                "UPDATE secrets SET current = (SELECT MAX(version) FROM versions "
                "WHERE vault_id = ? AND path = ? AND secret_id = ? AND is_disabled = 0) WHERE id = ?",
                (vault_id, path, live["id"], live["id"]),
            )
            note.version = version

        self.core.run("disable_version", work, vault_id=vault_id, path=path)

    def delete_secret(self, vault_id: str, path: str) -> None:
        vault_id, path = self._checked("delete_secret", vault_id, path)

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self.core.require(conn, vault_id, "delete", path)
            live = self.core.live(conn, vault_id, path)
            conn.execute(
                "UPDATE secrets SET deleted_at = ? WHERE id = ?", (fmt_ts(self.core.now()), live["id"])
            )
            note.version = live["latest"]

        self.core.run("delete_secret", work, vault_id=vault_id, path=path)

    def rotate_secret(
        self, vault_id: str, path: str, *, length: int = 32, charset: str = "hex", type: str | None = None
    ) -> SecretMeta:
        with self.core.checking("rotate_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            validate_rotation(length, charset)
            type_ = None if type is None else validate_secret_type(type)

        def work(conn: sqlite3.Connection, note: Note) -> SecretMeta:
            self.core.require(conn, vault_id, "rotate", path)
            live = self.core.live(conn, vault_id, path)
            last = conn.execute(
                "SELECT type, metadata, max_access_count FROM versions WHERE vault_id = ? AND path = ? AND version = ?",
                (vault_id, path, live["latest"]),
            ).fetchone()
            value = crypto.generate_value(length, charset)
            meta = self._insert_version(
                conn,
                vault_id,
                path,
                value,
                type_ or last["type"],
                last["metadata"],
                None,
                last["max_access_count"],
            )
            note.version = meta.version
            note.detail = f"generated {length} {charset} characters"
            return meta

        return self.core.run("rotate_secret", work, vault_id=vault_id, path=path)
