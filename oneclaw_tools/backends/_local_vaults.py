"""Vaults of the embedded vault (1Claw reference §3).

``default_vault_id`` is the principal's first bound vault, else the vault named ``default``
(created on first use). Vault names are unique (409). An agent bound to vaults sees those
and the vaults it created; a principal not bound sees the vaults its policies name. Only the
owner or the vault's creator deletes a vault, with all its secrets, policies and shares.
"""

from __future__ import annotations

import sqlite3
import uuid

from ..errors import Conflict, InvalidArgument, NotFound, PermissionDenied
from ..models import VaultInfo
from ._local_core import OWNER, Note, Part, check_id, check_text
from ._local_store import fmt_ts

__all__ = ["Vaults"]

_DEFAULT_VAULT = "default"


class Vaults(Part):
    """default, create, list, get, delete and resolve vaults."""

    def default_vault_id(self) -> str:
        p = self.core.principal
        if not p.is_owner and p.vault_ids:
            return p.vault_ids[0]

        def work(conn: sqlite3.Connection, note: Note) -> str:
            row = conn.execute("SELECT id FROM vaults WHERE name = ?", (_DEFAULT_VAULT,)).fetchone()
            if row is not None:
                return str(row["id"])
            vault_id = str(uuid.uuid4())
            conn.execute(
                "INSERT INTO vaults (id, name, description, created_by, created_at) VALUES (?, ?, ?, ?, ?)",
                (vault_id, _DEFAULT_VAULT, "created on first use", str(OWNER), fmt_ts(self.core.now())),
            )
            note.detail = "created default vault"
            return vault_id

        with self.core.store.lock:
            row = self.core.store.conn.execute(
                "SELECT id FROM vaults WHERE name = ?", (_DEFAULT_VAULT,)
            ).fetchone()
            if row is not None:
                return str(row["id"])
            return self.core.run("create_vault", work)

    def create_vault(self, name: str, description: str = "") -> VaultInfo:
        with self.core.checking("create_vault"):
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
                (vault_id, name, description, str(self.core.principal), fmt_ts(self.core.now())),
            )
            note.detail = f"vault {vault_id}"
            return self.core.vault_info(
                conn.execute("SELECT * FROM vaults WHERE id = ?", (vault_id,)).fetchone()
            )

        return self.core.run("create_vault", work)

    def list_vaults(self) -> list[VaultInfo]:
        def work(conn: sqlite3.Connection, note: Note) -> list[VaultInfo]:
            rows = conn.execute("SELECT * FROM vaults ORDER BY created_at, name").fetchall()
            p = self.core.principal
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
            return [self.core.vault_info(r) for r in rows]

        return self.core.run("list_vaults", work, reads=True)

    def get_vault(self, vault_id: str) -> VaultInfo:
        with self.core.checking("get_vault"):
            vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> VaultInfo:
            vault = self.core.vault_row(conn, vault_id)
            p = self.core.principal
            if not self.core.is_admin(vault) and p.vault_ids is None and not self.core.grants(conn, vault_id):
                raise PermissionDenied("no policy grants access to that vault.")
            return self.core.vault_info(vault)

        return self.core.run("get_vault", work, vault_id=vault_id, reads=True)

    def delete_vault(self, vault_id: str) -> None:
        """Delete a vault with all its secrets, policies and shares (owner or creator only)."""
        with self.core.checking("delete_vault"):
            vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self.core.require_admin(conn, vault_id)
            for table in ("versions", "secrets", "policies", "shares"):
                conn.execute(f"DELETE FROM {table} WHERE vault_id = ?", (vault_id,))  # noqa: S608
            conn.execute("DELETE FROM vaults WHERE id = ?", (vault_id,))

        self.core.run("delete_vault", work, vault_id=vault_id)

    def resolve_vault(self, name_or_id: str) -> str:
        """A vault id from an id or a name (for the command line)."""
        with self.core.checking("get_vault"):
            name_or_id = check_text(name_or_id, "vault", max_len=256, allow_empty=False)

        def work(conn: sqlite3.Connection, note: Note) -> str:
            row = conn.execute(
                "SELECT id FROM vaults WHERE id = ? UNION ALL SELECT id FROM vaults WHERE name = ? LIMIT 1",
                (name_or_id, name_or_id),
            ).fetchone()
            if row is None:
                raise NotFound("vault not found.", action="Check the name with list_vaults.")
            return str(self.core.vault_row(conn, row["id"])["id"])

        return self.core.run("get_vault", work, reads=True)
