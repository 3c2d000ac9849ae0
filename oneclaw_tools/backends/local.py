"""The embedded vault: an encrypted SQLite file that keeps 1Claw's semantics.

``LocalVault(path)`` works on a fresh machine with no account. It acts as the local owner
(full access); :meth:`LocalVault.acting_as` returns a cheap view of the same database that
enforces vault bindings and policies for an agent or a user, which is what a local
1Claw-compatible server needs per request. Storage and durability are described in
:mod:`._local_store`, the access rules in :mod:`._local_core`, policies and shares in
:mod:`._local_shares`, audit, export and key rotation in :mod:`._local_admin`, encryption
in :mod:`oneclaw_tools.crypto`.

Choices where 1Claw's contract is silent: a put with ``expires_at`` in the past is refused
(400); deleting an already deleted path is 410; a server-side rotation keeps the type,
metadata and ``max_access_count`` of the latest version but not its ``expires_at``;
``list_secrets`` lists expired and used-up secrets (their metadata says so) and shows, for
each path, the latest version that is not disabled.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Unpack

from .. import crypto
from ..errors import Conflict, Gone, InvalidArgument, NotFound, PermissionDenied
from ..kek import KEK_KINDS
from ..models import Principal, Secret, SecretMeta, SecretValue, VaultInfo
from ..validation import (
    ROTATE_CHARSETS,
    parse_datetime,
    validate_max_access_count,
    validate_metadata,
    validate_path,
    validate_prefix,
    validate_secret_type,
    validate_value,
)
from ._local_admin import AdminMixin
from ._local_core import (
    META_COLUMNS,
    OWNER,
    Note,
    canonical_json,
    check_future,
    check_id,
    check_text,
    check_version,
)
from ._local_shares import SharesMixin
from ._local_store import Store, fmt_ts
from .base import SecretOptions, VaultBackend, complete_options

__all__ = ["OWNER", "LocalVault"]

_DEFAULT_VAULT = "default"
_LIST_SQL = (
    "SELECT v.vault_id, v.path, v.version, v.secret_id, v.type, v.metadata, v.created_by, v.created_at, "
    "v.expires_at, v.max_access_count, v.access_count, v.is_disabled "
    "FROM secrets s JOIN versions v ON v.vault_id = s.vault_id AND v.path = s.path "
    "AND v.version = COALESCE(s.current, s.latest) "
    "WHERE s.vault_id = ? AND s.deleted_at IS NULL"
)


class LocalVault(SharesMixin, AdminMixin, VaultBackend):
    """An encrypted, audited, multi-process-safe vault in one SQLite file.

    ``env`` supplies ``ONECLAW_LOCAL_VAULT_KEY`` and the KEK providers' settings (default:
    ``os.environ``); ``key`` gives the key-encryption key directly (tests, embedding);
    otherwise the key file ``<path>.key`` is used, and created with the database on first
    use. ``kek`` (``file``, ``pkcs11``, ``transit``) picks the KEK provider of a new vault and
    must match the one an existing vault records; ``None`` takes the recorded one (``file``
    for a new vault). ``clock`` returns an aware UTC datetime and decides expiry.
    """

    kind = "local"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        env: Mapping[str, str] | None = None,
        key: bytes | None = None,
        principal: Principal | None = None,
        clock: Callable[[], datetime] | None = None,
        kek: str | None = None,
    ) -> None:
        if key is not None and (not isinstance(key, bytes) or len(key) != 32):
            raise InvalidArgument("key", "must be 32 bytes")
        if kek is not None and kek not in KEK_KINDS:
            raise InvalidArgument("kek", f"must be one of {', '.join(KEK_KINDS)}")
        if key is not None and kek not in (None, "file"):
            raise InvalidArgument("key", "an explicit key is a 'file' key-encryption key")
        self._store = Store(
            Path(path).expanduser(), env=os.environ if env is None else env, key=key, clock=clock, kek=kek
        )
        self._principal = principal or OWNER
        self._is_root = True

    def acting_as(self, principal: Principal) -> LocalVault:
        """A view of the same database acting as ``principal`` (no new connection)."""
        if not isinstance(principal, Principal):
            raise InvalidArgument("principal", "must be a Principal")
        return self._view(principal)

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def key_file(self) -> Path:
        return self._store.key_file

    @property
    def kek(self) -> dict[str, str]:
        """The KEK provider this vault uses: its kind and labels (never a secret)."""
        with self._store.lock:
            _ = self._store.conn
            assert self._store.ring is not None
            return self._store.ring.describe()

    def initialize(self) -> None:
        """Create the database, its schema and (without an env key) the key file now."""
        with self._store.lock:
            _ = self._store.conn

    def __repr__(self) -> str:
        return f"LocalVault(path={str(self._store.path)!r}, principal={str(self._principal)!r})"

    # -- vaults -------------------------------------------------------------------------
    def default_vault_id(self) -> str:
        p = self._principal
        if not p.is_owner and p.vault_ids:
            return p.vault_ids[0]

        def work(conn: sqlite3.Connection, note: Note) -> str:
            row = conn.execute("SELECT id FROM vaults WHERE name = ?", (_DEFAULT_VAULT,)).fetchone()
            if row is not None:
                return str(row["id"])
            vault_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO vaults (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                (vault_id, _DEFAULT_VAULT, "created on first use", str(OWNER), fmt_ts(self._now())),
            )
            note.detail = "created default vault"
            return vault_id

        with self._store.lock:
            row = self._store.conn.execute(
                "SELECT id FROM vaults WHERE name = ?", (_DEFAULT_VAULT,)
            ).fetchone()
            if row is not None:
                return str(row["id"])
            return self._run("create_vault", work)

    def create_vault(self, name: str, description: str = "") -> VaultInfo:
        with self._checking("create_vault"):
            name = check_text(name, "name", max_len=128, allow_empty=False).strip()
            if not name:
                raise InvalidArgument("name", "must not be blank")
            description = check_text(description, "description", max_len=1024)

        def work(conn: sqlite3.Connection, note: Note) -> VaultInfo:
            if conn.execute("SELECT 1 FROM vaults WHERE name = ?", (name,)).fetchone():
                raise Conflict(f"a vault named '{name}' already exists.")
            vault_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO vaults (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                (vault_id, name, description, str(self._principal), fmt_ts(self._now())),
            )
            note.detail = f"vault {vault_id}"
            return self._vault_info(conn.execute("SELECT * FROM vaults WHERE id = ?", (vault_id,)).fetchone())

        return self._run("create_vault", work)

    def list_vaults(self) -> list[VaultInfo]:
        def work(conn: sqlite3.Connection, note: Note) -> list[VaultInfo]:
            rows = conn.execute("SELECT * FROM vaults ORDER BY created_at, name").fetchall()
            p = self._principal
            if not p.is_owner:
                mine = {
                    r["vault_id"]
                    for r in conn.execute(
                        "SELECT DISTINCT vault_id FROM policies WHERE principal_type = ? AND principal_id = ?",
                        (p.type, p.id),
                    )
                }
                allowed = set(p.vault_ids) if p.vault_ids is not None else mine
                rows = [r for r in rows if r["id"] in allowed or r["created_by"] == str(p)]
            return [self._vault_info(r) for r in rows]

        return self._run("list_vaults", work)

    def get_vault(self, vault_id: str) -> VaultInfo:
        with self._checking("get_vault"):
            vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> VaultInfo:
            vault = self._vault_row(conn, vault_id)
            p = self._principal
            if not self._is_admin(vault) and p.vault_ids is None and not self._grants(conn, vault_id):
                raise PermissionDenied("no policy grants access to that vault.")
            return self._vault_info(vault)

        return self._run("get_vault", work, vault_id=vault_id)

    def delete_vault(self, vault_id: str) -> None:
        """Delete a vault with all its secrets, policies and shares (owner or creator only)."""
        with self._checking("delete_vault"):
            vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self._require_admin(conn, vault_id)
            for table in ("versions", "secrets", "policies", "shares"):
                conn.execute(f"DELETE FROM {table} WHERE vault_id = ?", (vault_id,))  # noqa: S608
            conn.execute("DELETE FROM vaults WHERE id = ?", (vault_id,))

        self._run("delete_vault", work, vault_id=vault_id)

    def resolve_vault(self, name_or_id: str) -> str:
        """A vault id from an id or a name (for the command line)."""
        with self._checking("get_vault"):
            name_or_id = check_text(name_or_id, "vault", max_len=256, allow_empty=False)

        def work(conn: sqlite3.Connection, note: Note) -> str:
            row = conn.execute(
                "SELECT id FROM vaults WHERE id = ? UNION ALL SELECT id FROM vaults WHERE name = ? LIMIT 1",
                (name_or_id, name_or_id),
            ).fetchone()
            if row is None:
                raise NotFound("vault not found.", action="Check the name with list_vaults.")
            return str(self._vault_row(conn, row["id"])["id"])

        return self._run("get_vault", work)

    # -- secrets ------------------------------------------------------------------------
    def put_secret(
        self, vault_id: str, path: str, value: str, **options: Unpack[SecretOptions]
    ) -> SecretMeta:
        o = complete_options(SecretOptions, "put_secret", options)
        with self._checking("put_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            validate_value(value)
            type_ = validate_secret_type(o["type"])
            meta_json = canonical_json(validate_metadata(o["metadata"]))
            expires = check_future(parse_datetime(o["expires_at"]), self._now(), "expires_at")
            max_access = validate_max_access_count(o["max_access_count"])

        def work(conn: sqlite3.Connection, note: Note) -> SecretMeta:
            self._require(conn, vault_id, "write", path)
            meta = self._insert_version(conn, vault_id, path, value, type_, meta_json, expires, max_access)
            note.version = meta.version
            return meta

        return self._run("put_secret", work, vault_id=vault_id, path=path)

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
        now = fmt_ts(self._now())
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
                (secret_id, vault_id, path, version, version, str(self._principal), now),
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
            "created_by": str(self._principal),
            "created_at": now,
            "expires_at": fmt_ts(expires),
            "max_access_count": max_access,
            "access_count": 0,
            "is_disabled": 0,
        }
        sealed = self._store.seal(conn, value.encode("utf-8"), self._store.aad(row))
        conn.execute(
            "INSERT INTO versions (vault_id, path, version, secret_id, type, metadata, created_by, created_at, "
            "expires_at, max_access_count, kek_id, wrapped_dek, ciphertext) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                vault_id, path, version, secret_id, type_, meta_json, row["created_by"], now,
                row["expires_at"], max_access, sealed.kek_id, sealed.wrapped_dek, sealed.ciphertext,
            ),
        )  # fmt: skip
        return self._meta(row)  # type: ignore[arg-type]

    def _version_row(self, conn: sqlite3.Connection, live: sqlite3.Row, version: int | None) -> sqlite3.Row:
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

    def get_secret(self, vault_id: str, path: str, version: int | None = None) -> Secret:
        with self._checking("get_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            if version is not None:
                version = check_version(version)

        def work(conn: sqlite3.Connection, note: Note) -> Secret:
            self._require(conn, vault_id, "read", path)
            row = self._version_row(conn, self._live(conn, vault_id, path), version)
            self._check_readable(row)
            value = self._store.open(row)
            conn.execute("UPDATE versions SET access_count = access_count + 1 WHERE id = ?", (row["id"],))
            note.version = row["version"]
            return Secret(self._meta(row, access_count=row["access_count"] + 1), SecretValue(value))

        return self._run("get_secret", work, vault_id=vault_id, path=path)

    def describe_secret(self, vault_id: str, path: str) -> SecretMeta:
        with self._checking("describe_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)

        def work(conn: sqlite3.Connection, note: Note) -> SecretMeta:
            self._require(conn, vault_id, "read", path)
            row = self._version_row(conn, self._live(conn, vault_id, path), None)
            self._check_readable(row)
            note.version = row["version"]
            return self._meta(row)

        return self._run("describe_secret", work, vault_id=vault_id, path=path)

    def list_secrets(self, vault_id: str, prefix: str = "") -> list[SecretMeta]:
        with self._checking("list_secrets"):
            vault_id = check_id(vault_id, "vault_id")
            prefix = validate_prefix(prefix)

        def work(conn: sqlite3.Connection, note: Note) -> list[SecretMeta]:
            readable = self._readable_filter(conn, self._vault_row(conn, vault_id))
            sql = _LIST_SQL
            args: tuple[str, ...] = (vault_id,)
            if prefix:
                sql += " AND s.path >= ? AND s.path < ?"
                args += (prefix, prefix + "\x7f")
            rows = conn.execute(sql + " ORDER BY s.path", args).fetchall()
            out = [self._meta(r) for r in rows if readable(r["path"])]
            note.detail = f"{len(out)} listed" + (f", prefix {prefix}" if prefix else "")
            return out

        return self._run("list_secrets", work, vault_id=vault_id)

    def list_versions(self, vault_id: str, path: str) -> list[SecretMeta]:
        with self._checking("list_versions"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)

        def work(conn: sqlite3.Connection, note: Note) -> list[SecretMeta]:
            self._require(conn, vault_id, "read", path)
            live = self._live(conn, vault_id, path)
            rows = conn.execute(
                f"SELECT {META_COLUMNS} FROM versions WHERE vault_id = ? AND path = ? AND secret_id = ? "  # noqa: S608
                "ORDER BY version DESC",
                (vault_id, path, live["id"]),
            ).fetchall()
            return [self._meta(r) for r in rows]

        return self._run("list_versions", work, vault_id=vault_id, path=path)

    def disable_version(self, vault_id: str, path: str, version: int) -> None:
        with self._checking("disable_version"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            version = check_version(version)

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self._require(conn, vault_id, "write", path)
            live = self._live(conn, vault_id, path)
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

        self._run("disable_version", work, vault_id=vault_id, path=path)

    def delete_secret(self, vault_id: str, path: str) -> None:
        with self._checking("delete_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self._require(conn, vault_id, "delete", path)
            live = self._live(conn, vault_id, path)
            conn.execute("UPDATE secrets SET deleted_at = ? WHERE id = ?", (fmt_ts(self._now()), live["id"]))
            note.version = live["latest"]

        self._run("delete_secret", work, vault_id=vault_id, path=path)

    def rotate_secret(
        self,
        vault_id: str,
        path: str,
        *,
        length: int = 32,
        charset: str = "hex",
        type: str | None = None,
    ) -> SecretMeta:
        with self._checking("rotate_secret"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            if isinstance(length, bool) or not isinstance(length, int) or not 8 <= length <= 1024:
                raise InvalidArgument("length", "must be a whole number from 8 to 1024")
            if charset not in ROTATE_CHARSETS:
                raise InvalidArgument("charset", "must be one of " + ", ".join(ROTATE_CHARSETS))
            type_ = None if type is None else validate_secret_type(type)

        def work(conn: sqlite3.Connection, note: Note) -> SecretMeta:
            self._require(conn, vault_id, "rotate", path)
            live = self._live(conn, vault_id, path)
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

        return self._run("rotate_secret", work, vault_id=vault_id, path=path)
