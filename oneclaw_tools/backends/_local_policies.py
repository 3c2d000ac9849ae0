"""Policies of the embedded vault (1Claw reference §4).

A policy grants a principal (an agent or a user) permissions (``read``, ``write``,
``delete``, ``rotate``) on the paths a glob matches, optionally until an expiry. Only the
vault's creator or the owner creates or deletes policies; a grantee lists only its own. How
policies are applied is :meth:`~._local_core.Core.require`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from typing import Unpack

from ..errors import InvalidArgument, NotFound
from ..models import PolicyInfo
from ..validation import parse_datetime, validate_pattern, validate_permissions
from ._local_core import Note, Part, check_future, check_id
from ._local_store import fmt_ts, parse_ts
from .base import PolicyOptions, complete_options

__all__ = ["Policies"]


class Policies(Part):
    """create, list and delete policies."""

    def create_policy(self, vault_id: str, **options: Unpack[PolicyOptions]) -> PolicyInfo:
        o = complete_options(PolicyOptions, "create_policy", options)
        principal_type, principal_id = o["principal_type"], o["principal_id"]
        with self.core.checking("create_policy"):
            vault_id = check_id(vault_id, "vault_id")
            if principal_type not in ("user", "agent"):
                raise InvalidArgument("principal_type", "must be 'user' or 'agent'")
            principal_id = check_id(principal_id, "principal_id")
            pattern = validate_pattern(o["secret_path_pattern"])
            perms = validate_permissions(o["permissions"])
            expires = check_future(parse_datetime(o["expires_at"]), self.core.now(), "expires_at")

        def work(conn: sqlite3.Connection, note: Note) -> PolicyInfo:
            self.core.require_admin(conn, vault_id)
            policy = PolicyInfo(
                id=str(uuid.uuid4()), vault_id=vault_id, principal_type=principal_type,
                principal_id=principal_id, secret_path_pattern=pattern, permissions=perms,
                created_by=str(self.core.principal), created_at=self.core.now(), expires_at=expires,
            )  # fmt: skip
            conn.execute(
                "INSERT INTO policies (id, vault_id, principal_type, principal_id, pattern, permissions, effect, "
                "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'allow', ?, ?, ?)",
                (
                    policy.id, vault_id, principal_type, principal_id, pattern, json.dumps(list(perms)),
                    policy.created_by, fmt_ts(policy.created_at), fmt_ts(expires),
                ),
            )  # fmt: skip
            note.detail = (
                f"policy {policy.id} for {principal_type}:{principal_id} on {pattern}: {','.join(perms)}"
            )
            return policy

        return self.core.run("create_policy", work, vault_id=vault_id)

    def list_policies(self, vault_id: str) -> list[PolicyInfo]:
        """Every policy of the vault for its owner or creator; a grantee sees its own."""
        with self.core.checking("list_policies"):
            vault_id = check_id(vault_id, "vault_id")

        def work(conn: sqlite3.Connection, note: Note) -> list[PolicyInfo]:
            vault = self.core.vault_row(conn, vault_id)
            rows = conn.execute(
                "SELECT * FROM policies WHERE vault_id = ? ORDER BY created_at, id", (vault_id,)
            )
            p = self.core.principal
            return [
                PolicyInfo(
                    id=r["id"],
                    vault_id=r["vault_id"],
                    principal_type=r["principal_type"],
                    principal_id=r["principal_id"],
                    secret_path_pattern=r["pattern"],
                    permissions=tuple(json.loads(r["permissions"])),
                    effect=r["effect"],
                    created_by=r["created_by"],
                    created_at=parse_ts(r["created_at"]),
                    expires_at=parse_ts(r["expires_at"]),
                )
                for r in rows
                if self.core.is_admin(vault) or (r["principal_type"], r["principal_id"]) == (p.type, p.id)
            ]

        return self.core.run("list_policies", work, vault_id=vault_id, reads=True)

    def update_policy(
        self,
        vault_id: str,
        policy_id: str,
        *,
        permissions: list[str] | tuple[str, ...] | None = None,
        secret_path_pattern: str | None = None,
        expires_at: datetime | str | None = None,
    ) -> PolicyInfo:
        """Change a policy's permissions, glob or expiry in place (its id stays); owner or creator."""
        with self.core.checking("update_policy"):
            vault_id = check_id(vault_id, "vault_id")
            policy_id = check_id(policy_id, "policy_id")
            perms = None if permissions is None else validate_permissions(permissions)
            pattern = None if secret_path_pattern is None else validate_pattern(secret_path_pattern)
            expires = check_future(parse_datetime(expires_at), self.core.now(), "expires_at")

        def work(conn: sqlite3.Connection, note: Note) -> PolicyInfo:
            self.core.require_admin(conn, vault_id)
            row = conn.execute(
                "SELECT * FROM policies WHERE id = ? AND vault_id = ?", (policy_id, vault_id)
            ).fetchone()
            if row is None:
                raise NotFound("policy not found.", action="List the vault's policies.")
            conn.execute(
                "UPDATE policies SET permissions = ?, pattern = ?, expires_at = ? WHERE id = ?",
                (
                    row["permissions"] if perms is None else json.dumps(list(perms)),
                    row["pattern"] if pattern is None else pattern,
                    row["expires_at"] if expires is None else fmt_ts(expires),
                    policy_id,
                ),
            )
            note.detail = f"policy {policy_id}"
            r = conn.execute("SELECT * FROM policies WHERE id = ?", (policy_id,)).fetchone()
            return PolicyInfo(
                id=r["id"], vault_id=r["vault_id"], principal_type=r["principal_type"],
                principal_id=r["principal_id"], secret_path_pattern=r["pattern"],
                permissions=tuple(json.loads(r["permissions"])), effect=r["effect"], created_by=r["created_by"],
                created_at=parse_ts(r["created_at"]), expires_at=parse_ts(r["expires_at"]),
            )  # fmt: skip

        return self.core.run("update_policy", work, vault_id=vault_id)

    def delete_policy(self, vault_id: str, policy_id: str) -> None:
        with self.core.checking("delete_policy"):
            vault_id = check_id(vault_id, "vault_id")
            policy_id = check_id(policy_id, "policy_id")

        def work(conn: sqlite3.Connection, note: Note) -> None:
            self.core.require_admin(conn, vault_id)
            cur = conn.execute("DELETE FROM policies WHERE id = ? AND vault_id = ?", (policy_id, vault_id))
            if cur.rowcount == 0:
                raise NotFound("policy not found.", action="List the vault's policies.")
            note.detail = f"policy {policy_id}"

        self.core.run("delete_policy", work, vault_id=vault_id)
