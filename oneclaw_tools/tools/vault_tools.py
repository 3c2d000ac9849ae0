"""The vault tools: the seed's eleven plus ``list_versions`` (the vault and grant tools are
defined in :mod:`.vaults`, the share tools in :mod:`.share_tools`; :data:`VAULT_TOOLS` lists the
seed's in their public order).

Descriptions are written for a model and teach a careful agent's habits: list to discover,
describe before get, fetch just in time (a handle, never a value), rotate right after
regenerating a key, share by email when a human needs a credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..errors import InvalidArgument
from ..models import SecretType, SecretValue
from ..run import parse_env_bundle
from ..validation import (
    ROTATE_CHARSETS,
    parse_datetime,
    validate_metadata,
    validate_prefix,
)
from .base import PATH_FIELD, VAULT_FIELD, Args, ToolSpec
from .share_tools import SHARE_SECRET
from .vaults import CREATE_VAULT, GRANT_ACCESS, LIST_VAULTS

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["MAX_PAGE", "VAULT_TOOLS"]

#: the largest page ``list_secrets`` returns (the default is 100)
MAX_PAGE = 1000


class ListSecretsArgs(Args):
    prefix: str = Field("", description="Only paths starting with this prefix, e.g. 'prod/'.")
    limit: int = Field(100, description="At most this many secrets per page (1-1000).")
    cursor: str | None = Field(None, description="The next_cursor of the previous page, to continue.")
    vault_id: str | None = VAULT_FIELD


class PathArgs(Args):
    path: str = PATH_FIELD
    vault_id: str | None = VAULT_FIELD


class GetSecretArgs(Args):
    path: str = PATH_FIELD
    version: int | None = Field(None, description="A specific version; omit for the latest.")
    vault_id: str | None = VAULT_FIELD


class PutSecretArgs(Args):
    path: str = PATH_FIELD
    value: str = Field(description="The secret value to store. It is never echoed back.")
    type: SecretType = Field("generic", description="Kind of secret.")
    expires_at: str | None = Field(None, description="RFC 3339 expiry, e.g. '2030-01-31T00:00:00Z'.")
    max_access_count: int = Field(0, description="Reads allowed before the secret is gone; 0 = unlimited.")
    metadata: dict[str, Any] | None = Field(
        None,
        description="Free-form JSON. 'allowed_hosts' (list) binds where the secret may be sent; "
        "'allowed_tools' (list) names tools that may receive it.",
    )
    vault_id: str | None = VAULT_FIELD


class RotateArgs(Args):
    path: str = PATH_FIELD
    value: str | None = Field(
        None,
        description="The new value you just obtained (e.g. a regenerated key). Omit to let the vault generate one.",
    )
    length: int = Field(32, description="Length of a generated value (8-1024).")
    charset: Literal["hex", "base64", "alphanumeric", "ascii"] = Field(
        "alphanumeric", description="Characters of a generated value."
    )
    vault_id: str | None = VAULT_FIELD


def _meta_for_model(s: ToolContext, meta: Any) -> dict[str, Any]:
    data = dict(meta.to_dict())
    data["allowed_hosts"] = s.allowed_hosts(meta.path, meta.metadata)
    data["allowed_tools"] = s.allowed_tools(meta.path, meta.metadata)
    return data


def list_secrets(s: ToolContext, a: ListSecretsArgs) -> dict[str, Any]:
    prefix = validate_prefix(a.prefix)
    if not 1 <= a.limit <= MAX_PAGE:
        raise InvalidArgument("limit", f"must be between 1 and {MAX_PAGE}")
    if a.cursor is not None and not 0 < len(a.cursor) <= 1024:
        raise InvalidArgument("cursor", "must be the next_cursor of a previous page")
    vault_id = s.vault_for(a.vault_id)
    metas = [
        m
        for m in s.backend.list_secrets(vault_id, prefix)
        if s.policy.path_allowed(m.path) and (a.cursor is None or m.path > a.cursor)
    ]
    metas.sort(key=lambda m: m.path)
    page, more = metas[: a.limit], len(metas) > a.limit
    return {
        "vault_id": vault_id,
        "count": len(page),
        "secrets": [
            {
                "path": m.path,
                "type": m.type,
                "version": m.version,
                "expires_at": m.to_dict()["expires_at"],
                "uses_left": m.uses_left,
            }
            for m in page
        ],
        "next_cursor": page[-1].path if more else None,
    }


def describe_secret(s: ToolContext, a: PathArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    return _meta_for_model(s, s.backend.describe_secret(s.vault_for(a.vault_id), path))


def get_secret(s: ToolContext, a: GetSecretArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    if a.version is not None and a.version < 1:
        raise InvalidArgument("version", "must be 1 or more")
    secret = s.backend.get_secret(s.vault_for(a.vault_id), path, a.version)
    handle = s.issue_handle(secret)
    meta = secret.meta
    return {
        "handle": handle.id,
        "placeholder": "{{secret:" + handle.id + "}}",
        "path": meta.path,
        "type": meta.type,
        "version": meta.version,
        "preview": s.preview(secret.value),
        "expires_at": meta.to_dict()["expires_at"],
        "uses_left": meta.uses_left,
        "handle_expires_at": handle.describe()["expires_at"],
        "handle_uses_left": handle.uses_left,
        "allowed_hosts": list(handle.allowed_hosts),
        "allowed_tools": list(handle.allowed_tools),
        "how_to_use": "Pass the placeholder where the credential belongs, e.g. the header "
        "'Authorization: Bearer {{secret:" + handle.id + "}}' in http_request. It is resolved only "
        "toward the allowed hosts and tools. The value itself is never shown.",
    }


def put_secret(s: ToolContext, a: PutSecretArgs) -> dict[str, Any]:
    s.register_value(a.value)
    path = s.check_path(a.path)
    meta = s.backend.put_secret(
        s.vault_for(a.vault_id),
        path,
        a.value,
        type=a.type,
        metadata=validate_metadata(a.metadata),
        expires_at=parse_datetime(a.expires_at),
        max_access_count=a.max_access_count,
    )
    return _meta_for_model(s, meta)


def delete_secret(s: ToolContext, a: PathArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    vault_id = s.vault_for(a.vault_id)
    s.backend.delete_secret(vault_id, path)
    return {
        "deleted": True,
        "path": path,
        "vault_id": vault_id,
        "note": "Soft delete: reads now give 410; an administrator can restore it.",
    }


def rotate_and_store(s: ToolContext, a: RotateArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    vault_id = s.vault_for(a.vault_id)
    if a.value is not None:
        s.register_value(a.value)
        current = s.backend.describe_secret(vault_id, path)
        meta = s.backend.put_secret(
            vault_id,
            path,
            a.value,
            type=current.type,
            metadata=current.metadata,
            expires_at=current.expires_at,
            max_access_count=current.max_access_count,
        )
        generated = False
    else:
        if not 8 <= a.length <= 1024:
            raise InvalidArgument("length", "must be between 8 and 1024")
        if a.charset not in ROTATE_CHARSETS:  # pragma: no cover - pydantic checks first
            raise InvalidArgument("charset", "must be one of " + ", ".join(ROTATE_CHARSETS))
        meta = s.backend.rotate_secret(vault_id, path, length=a.length, charset=a.charset)
        generated = True
    data = _meta_for_model(s, meta)
    data["generated"] = generated
    data["note"] = "New version stored; the value is not shown. Call get_secret for a fresh handle."
    return data


def get_env_bundle(s: ToolContext, a: PathArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    secret = s.backend.get_secret(s.vault_for(a.vault_id), path)
    if secret.meta.type not in ("env_bundle", "env"):
        raise InvalidArgument("path", "must name a secret of type env_bundle")
    s.register_value(secret.value.reveal_unsafe())
    variables = []
    for key, value in parse_env_bundle(secret.value.reveal_unsafe()).items():
        handle = s.issue_handle(secret, key=key, value=SecretValue(value))
        variables.append({"key": key, "handle": handle.id, "preview": s.preview(handle.value)})
    return {
        "path": secret.meta.path,
        "version": secret.meta.version,
        "variables": variables,
        "allowed_hosts": s.allowed_hosts(path, secret.meta.metadata),
        "allowed_tools": s.allowed_tools(path, secret.meta.metadata),
        "note": "Each variable has its own handle; values are never shown.",
    }


def list_versions(s: ToolContext, a: PathArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    versions = s.backend.list_versions(s.vault_for(a.vault_id), path)
    return {
        "path": path,
        "versions": [
            {
                "version": m.version,
                "created_at": m.to_dict()["created_at"],
                "expires_at": m.to_dict()["expires_at"],
                "is_disabled": m.is_disabled,
            }
            for m in versions
        ],
    }


VAULT_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_secrets",
        "List the secrets in a vault: paths, types, versions and expiry, never values. Start here "
        "to discover what exists before describing or fetching anything. Results come in pages "
        "(100 by default); pass next_cursor back as cursor to get the next one.",
        ListSecretsArgs,
        list_secrets,
    ),
    ToolSpec(
        "describe_secret",
        "Show one secret's metadata (type, version, expiry, uses left, where it may be sent) "
        "without reading it. Describe before you get: it does not consume an access.",
        PathArgs,
        describe_secret,
    ),
    ToolSpec(
        "get_secret",
        "Fetch a secret just in time, right before you use it. Returns a handle, a masked preview "
        "and metadata, never the value. Use the handle as {{secret:HANDLE}} in http_request "
        "(or another allowed tool); it expires and each read may count against the secret's limit.",
        GetSecretArgs,
        get_secret,
    ),
    ToolSpec(
        "put_secret",
        "Store a secret value at a path; every put creates a new version. The value is never "
        "echoed back. Set allowed_hosts in metadata to bind where it may be sent.",
        PutSecretArgs,
        put_secret,
        read_only=False,
        takes_values=True,
    ),
    ToolSpec(
        "delete_secret",
        "Soft-delete a secret (every version). Later reads fail with 410. Confirm the path with "
        "describe_secret first.",
        PathArgs,
        delete_secret,
        read_only=False,
    ),
    ToolSpec(
        "rotate_and_store",
        "Store a new version of an existing secret. Call it right after you regenerate a key, "
        "passing the new value; or omit value to let the vault generate a random one (never shown).",
        RotateArgs,
        rotate_and_store,
        read_only=False,
        takes_values=True,
    ),
    ToolSpec(
        "get_env_bundle",
        "Fetch an env_bundle secret (KEY=VALUE lines) as one handle per variable, with masked "
        "previews; values are never shown.",
        PathArgs,
        get_env_bundle,
    ),
    CREATE_VAULT,
    LIST_VAULTS,
    GRANT_ACCESS,
    SHARE_SECRET,
    ToolSpec(
        "list_versions",
        "List every version of a secret (number, dates, disabled or not), never values.",
        PathArgs,
        list_versions,
    ),
)
