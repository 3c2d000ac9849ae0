"""Reading 1Claw REST answers into the core's value objects (for :mod:`._calls`).

Every reader takes the decoded JSON of one answer and returns a value object, or raises
``KeyError``/``TypeError``/``ValueError`` for an answer of the wrong shape (the exchange turns
that into one clear error). Optional fields of the wrong type read as empty, never as text the
server chose; a secret value becomes a :class:`~oneclaw_tools.models.SecretValue` at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from ..models import PolicyInfo, Secret, SecretMeta, SecretValue, ShareInfo, VaultInfo
from ._http import parse_time

__all__ = ["as_int", "as_str", "items", "meta", "obj", "policy", "secret", "share", "vault"]


def as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def as_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def obj(response: httpx.Response) -> dict[str, Any]:
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


def items(response: httpx.Response, key: str) -> list[dict[str, Any]]:
    items = obj(response)[key]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("not a list of objects")
    return items


def vault(d: Mapping[str, Any]) -> VaultInfo:
    return VaultInfo(
        id=str(d["id"]),
        name=str(d["name"]),
        description=as_str(d.get("description")),
        created_by=as_str(d.get("created_by")),
        created_at=parse_time(d.get("created_at")),
    )


def meta(d: Mapping[str, Any], vault_id: str) -> SecretMeta:
    metadata = d.get("metadata")
    return SecretMeta(
        id=str(d["id"]),
        vault_id=as_str(d.get("vault_id")) or vault_id,
        path=str(d["path"]),
        type=as_str(d.get("type")) or "generic",
        version=int(d["version"]),
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        created_at=parse_time(d.get("created_at")),
        expires_at=parse_time(d.get("expires_at")),
        max_access_count=as_int(d.get("max_access_count")),
        access_count=as_int(d.get("access_count")),
        is_disabled=d.get("is_disabled") is True,
        created_by=as_str(d.get("created_by")),
    )


def secret(d: Mapping[str, Any], vault_id: str) -> Secret:
    value = d["value"]
    if not isinstance(value, str):
        raise TypeError("value is not a string")
    return Secret(meta=meta(d, vault_id), value=SecretValue(value))


def policy(d: Mapping[str, Any]) -> PolicyInfo:
    perms = d.get("permissions")
    return PolicyInfo(
        id=str(d["id"]),
        vault_id=str(d["vault_id"]),
        principal_type=str(d["principal_type"]),
        principal_id=str(d["principal_id"]),
        secret_path_pattern=str(d["secret_path_pattern"]),
        permissions=tuple(str(p) for p in perms) if isinstance(perms, list) else (),
        effect=as_str(d.get("effect")) or "allow",
        created_by=as_str(d.get("created_by")),
        created_at=parse_time(d.get("created_at")),
        expires_at=parse_time(d.get("expires_at")),
    )


def share(d: Mapping[str, Any], vault_id: str = "", path: str = "", secret_id: str = "") -> ShareInfo:
    url = d.get("share_url")
    return ShareInfo(
        # a local server's link-share id carries its token after a "." (it opens the share, like the
        # link): keep only the id part, which lists and revoke use; the link stays in share_url
        id=str(d["id"]).partition(".")[0],
        secret_id=as_str(d.get("secret_id")) or secret_id,
        vault_id=as_str(d.get("vault_id")) or vault_id,
        path=as_str(d.get("secret_path")) or as_str(d.get("path")) or path,
        recipient_type=str(d["recipient_type"]),
        expires_at=parse_time(d.get("expires_at")),
        share_url=SecretValue(url) if isinstance(url, str) and url else None,
        recipient_id=d.get("recipient_id") if isinstance(d.get("recipient_id"), str) else None,
        email=d.get("recipient_email") if isinstance(d.get("recipient_email"), str) else None,
        max_access_count=as_int(d.get("max_access_count")),
        access_count=as_int(d.get("access_count")),
        created_by=as_str(d.get("created_by")),
        created_at=parse_time(d.get("created_at")),
        is_accepted=d.get("is_accepted") is True,
        is_revoked=d.get("is_revoked") is True,
    )
