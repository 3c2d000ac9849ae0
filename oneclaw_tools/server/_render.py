"""How the local server renders vaults, secrets, policies and shares: 1Claw's JSON shapes.

Times are RFC 3339 with ``Z``; fields 1Claw has and the local server does not use carry
1Claw's neutral values (``cmek_enabled: false``, ``priority: 0``). ``secret_json`` is the one
place a value leaves the server, in a response to a caller allowed to read it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import PolicyInfo, Secret, SecretMeta, ShareInfo, VaultInfo

__all__ = ["iso", "meta_json", "policy_json", "secret_json", "share_json", "vault_json"]


def iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def vault_json(v: VaultInfo) -> dict[str, Any]:
    creator_type = v.created_by.partition(":")[0] if ":" in v.created_by else "user"
    return {
        "id": v.id, "name": v.name, "description": v.description, "created_by": v.created_by,
        "created_by_type": creator_type, "created_at": iso(v.created_at), "cmek_enabled": False,
    }  # fmt: skip


def meta_json(m: SecretMeta) -> dict[str, Any]:
    return {
        "id": m.id, "vault_id": m.vault_id, "path": m.path, "type": m.type, "version": m.version,
        "metadata": m.metadata, "created_by": m.created_by, "created_at": iso(m.created_at),
        "expires_at": iso(m.expires_at), "max_access_count": m.max_access_count,
        "access_count": m.access_count, "is_disabled": m.is_disabled,
    }  # fmt: skip


def secret_json(s: Secret) -> dict[str, Any]:
    body = meta_json(s.meta)
    body["value"] = s.value.reveal_unsafe()  # the one place a value leaves the server: the response
    body["cmek_encrypted"] = False
    return body


def policy_json(p: PolicyInfo) -> dict[str, Any]:
    return {
        "id": p.id, "vault_id": p.vault_id, "principal_type": p.principal_type, "principal_id": p.principal_id,
        "secret_path_pattern": p.secret_path_pattern, "permissions": list(p.permissions), "effect": p.effect,
        "priority": 0, "conditions": None, "created_by": p.created_by, "created_by_type": "user",
        "created_at": iso(p.created_at), "expires_at": iso(p.expires_at),
    }  # fmt: skip


def share_json(s: ShareInfo, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": s.id, "secret_id": s.secret_id, "vault_id": s.vault_id, "secret_path": s.path,
        "recipient_type": s.recipient_type, "recipient_id": s.recipient_id, "recipient_email": s.email,
        "expires_at": iso(s.expires_at), "max_access_count": s.max_access_count,
        "access_count": s.access_count, "created_by": s.created_by, "created_at": iso(s.created_at),
        "is_accepted": s.is_accepted,
        "is_expired": bool(now and s.expires_at and s.expires_at <= now),
    }  # fmt: skip
