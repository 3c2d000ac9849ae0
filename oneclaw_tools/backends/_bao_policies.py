"""1Claw policies on OpenBao / Vault: grant a principal permissions on a vault's paths.

Policies are a document per vault (``<prefix>/v/<vault id>/policies``, see :mod:`._bao_core`),
changed by check-and-set, so two writers never lose each other's change, and enforced by the
backend for a non-owner principal; globs are 1Claw's (``*`` one segment, ``**`` any depth).
Only the vault's creator or the owner may create or delete one; any principal lists the
policies naming it (an admin lists all). Arguments are checked before anything is read.
"""

from __future__ import annotations

import uuid
from typing import Any, Unpack

from ..errors import InvalidArgument, NotFound
from ..models import PolicyInfo
from ..validation import parse_datetime, validate_pattern, validate_permissions
from ._bao_core import BaoCore, check_vault_id, iso, policy_from
from ._local_core import check_future, check_id
from .base import PolicyOptions, complete_options

__all__ = ["PoliciesMixin"]


class PoliciesMixin(BaoCore):
    """create, list and delete a vault's policies."""

    def create_policy(self, vault_id: str, **options: Unpack[PolicyOptions]) -> PolicyInfo:
        o = complete_options(PolicyOptions, "create_policy", options)
        principal_type, principal_id = o["principal_type"], o["principal_id"]
        secret_path_pattern, permissions, expires_at = (
            o["secret_path_pattern"],
            o["permissions"],
            o["expires_at"],
        )
        vault_id = check_vault_id(vault_id)
        if principal_type not in ("user", "agent"):
            raise InvalidArgument("principal_type", "must be 'user' or 'agent'")
        raw = {
            "principal_type": principal_type, "principal_id": check_id(principal_id, "principal_id"),
            "pattern": validate_pattern(secret_path_pattern), "permissions": list(validate_permissions(permissions)),
            "expires_at": iso(check_future(parse_datetime(expires_at), self._now(), "expires_at")),
            "created_by": str(self._principal), "created_at": iso(self._now()),
        }  # fmt: skip
        self._require_admin(vault_id)
        policy_id = str(uuid.uuid4())

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, None]:
            return {**doc, "policies": {**(doc.get("policies") or {}), policy_id: raw}}, None

        self._kv.update_doc(self._policies_key(vault_id), change, what="creating a policy")
        return policy_from(vault_id, policy_id, raw)

    def list_policies(self, vault_id: str) -> list[PolicyInfo]:
        vault_id = check_vault_id(vault_id)
        admin = self._is_admin(self._vault(vault_id))
        p = self._principal
        policies = [
            pol
            for pol in self._policies(vault_id)
            if admin or (pol.principal_type, pol.principal_id) == (p.type, p.id)
        ]
        return sorted(policies, key=lambda pol: (str(pol.created_at), pol.id))

    def delete_policy(self, vault_id: str, policy_id: str) -> None:
        vault_id, policy_id = check_vault_id(vault_id), check_id(policy_id, "policy_id")
        self._require_admin(vault_id)

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, None]:
            policies = dict(doc.get("policies") or {})
            if policies.pop(policy_id, None) is None:
                raise NotFound("policy not found.", action="List the vault's policies.")
            return {**doc, "policies": policies}, None

        self._kv.update_doc(self._policies_key(vault_id), change, what="deleting a policy")

    def _require_admin(self, vault_id: str) -> None:
        if not self._is_admin(self._vault(vault_id)):
            self._deny(vault_id, None, "only the vault's creator or the owner may do this.")
