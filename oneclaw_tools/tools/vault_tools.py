"""The vault tools: the seed's eleven plus ``list_versions``.

Descriptions are written for a model and teach a careful agent's habits: list to discover,
describe before get, fetch just in time (a handle, never a value), rotate right after
regenerating a key, share by email when a human needs a credential.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..errors import InvalidArgument, PermissionDenied
from ..models import SecretType, SecretValue
from ..run import parse_env_bundle
from ..validation import (
    ROTATE_CHARSETS,
    parse_datetime,
    validate_metadata,
    validate_pattern,
    validate_prefix,
)
from .base import Args, ToolSpec

if TYPE_CHECKING:
    from .context import ToolContext

#: what separates the parts of a share link (scheme, host, path segments, query, fragment)
_LINK_PARTS = re.compile(r"[/#?&=:.]+")

__all__ = ["VAULT_TOOLS"]

_VAULT = Field(None, description="Vault id. Omit to use the session's default vault.")
_PATH = Field(description="Secret path, e.g. 'prod/stripe/api_key' (segments of A-Z a-z 0-9 _ -).")


class ListSecretsArgs(Args):
    prefix: str = Field("", description="Only paths starting with this prefix, e.g. 'prod/'.")
    vault_id: str | None = _VAULT


class PathArgs(Args):
    path: str = _PATH
    vault_id: str | None = _VAULT


class GetSecretArgs(Args):
    path: str = _PATH
    version: int | None = Field(None, description="A specific version; omit for the latest.")
    vault_id: str | None = _VAULT


class PutSecretArgs(Args):
    path: str = _PATH
    value: str = Field(description="The secret value to store. It is never echoed back.")
    type: SecretType = Field("generic", description="Kind of secret.")
    expires_at: str | None = Field(None, description="RFC 3339 expiry, e.g. '2030-01-31T00:00:00Z'.")
    max_access_count: int = Field(0, description="Reads allowed before the secret is gone; 0 = unlimited.")
    metadata: dict[str, Any] | None = Field(
        None,
        description="Free-form JSON. 'allowed_hosts' (list) binds where the secret may be sent; "
        "'allowed_tools' (list) names tools that may receive it.",
    )
    vault_id: str | None = _VAULT


class RotateArgs(Args):
    path: str = _PATH
    value: str | None = Field(
        None,
        description="The new value you just obtained (e.g. a regenerated key). Omit to let the vault generate one.",
    )
    length: int = Field(32, description="Length of a generated value (8-1024).")
    charset: Literal["hex", "base64", "alphanumeric", "ascii"] = Field(
        "alphanumeric", description="Characters of a generated value."
    )
    vault_id: str | None = _VAULT


class CreateVaultArgs(Args):
    name: str = Field(description="A unique vault name.")
    description: str = Field("", description="What the vault holds.")


class NoArgs(Args):
    pass


class GrantAccessArgs(Args):
    vault_id: str = Field(description="The vault to grant access to.")
    principal_type: Literal["user", "agent"] = Field(description="Who receives access.")
    principal_id: str = Field(description="The user's or agent's id.")
    permissions: list[Literal["read", "write", "delete", "rotate"]] = Field(
        description="What they may do, e.g. ['read']."
    )
    secret_path_pattern: str = Field(
        "**", description="Glob of paths: '*' matches one segment, '**' any depth, e.g. 'prod/**'."
    )
    expires_at: str | None = Field(None, description="RFC 3339 time when the grant ends.")


class ShareSecretArgs(Args):
    path: str = _PATH
    expires_at: str = Field(description="RFC 3339 time when the share stops working (required).")
    email: str | None = Field(
        None, description="The person's e-mail address (recipient_type 'external_email')."
    )
    recipient_type: Literal["external_email", "user", "agent", "anyone_with_link", "creator"] = Field(
        "external_email", description="Who receives it. Prefer 'external_email' for a human."
    )
    recipient_id: str | None = Field(None, description="User or agent id (recipient_type 'user' or 'agent').")
    max_access_count: int = Field(5, description="How many times the share may be opened (0 = unlimited).")
    vault_id: str | None = _VAULT


def _meta_for_model(s: ToolContext, meta: Any) -> dict[str, Any]:
    data = dict(meta.to_dict())
    data["allowed_hosts"] = s.allowed_hosts(meta.path, meta.metadata)
    return data


def list_secrets(s: ToolContext, a: ListSecretsArgs) -> dict[str, Any]:
    prefix = validate_prefix(a.prefix)
    vault_id = s.vault_for(a.vault_id)
    metas = [m for m in s.backend.list_secrets(vault_id, prefix) if s.policy.path_allowed(m.path)]
    return {
        "vault_id": vault_id,
        "count": len(metas),
        "secrets": [
            {
                "path": m.path,
                "type": m.type,
                "version": m.version,
                "expires_at": m.to_dict()["expires_at"],
                "uses_left": m.uses_left,
            }
            for m in metas
        ],
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


def create_vault(s: ToolContext, a: CreateVaultArgs) -> dict[str, Any]:
    name = a.name.strip()
    if not name or len(name) > 128:
        raise InvalidArgument("name", "must be 1-128 characters")
    return s.backend.create_vault(name, a.description).to_dict()


def list_vaults(s: ToolContext, a: NoArgs) -> dict[str, Any]:
    vaults = [v for v in s.backend.list_vaults() if s.vault_allowed(v.id)]
    return {"count": len(vaults), "vaults": [v.to_dict() for v in vaults]}


def grant_access(s: ToolContext, a: GrantAccessArgs) -> dict[str, Any]:
    vault_id = s.vault_for(a.vault_id)
    pattern = validate_pattern(a.secret_path_pattern)
    if s.policy.paths != ("**",) and pattern not in s.policy.paths:
        raise PermissionDenied(
            "the operator's policy limits grants to the patterns " + ", ".join(s.policy.paths) + ".",
            action="Use one of those patterns, or ask the operator.",
        )
    policy = s.backend.create_policy(
        vault_id,
        principal_type=a.principal_type,
        principal_id=a.principal_id,
        secret_path_pattern=pattern,
        permissions=list(a.permissions),
        expires_at=parse_datetime(a.expires_at),
    )
    return policy.to_dict()


def share_secret(s: ToolContext, a: ShareSecretArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    if a.recipient_type == "external_email" and not a.email:
        raise InvalidArgument("email", "is required when recipient_type is 'external_email'")
    if a.recipient_type in ("user", "agent") and not a.recipient_id:
        raise InvalidArgument("recipient_id", "is required when recipient_type is 'user' or 'agent'")
    if a.email is not None and ("@" not in a.email or len(a.email) > 320):
        raise InvalidArgument("email", "must be an e-mail address")
    expires = parse_datetime(a.expires_at)
    assert expires is not None
    share = s.backend.create_share(
        s.vault_for(a.vault_id),
        path,
        recipient_type=a.recipient_type,
        expires_at=expires,
        email=a.email,
        recipient_id=a.recipient_id,
        max_access_count=a.max_access_count,
    )
    data = share.to_dict()
    if share.share_url is not None:
        link = share.share_url.reveal_unsafe()
        s.register_value(link)
        # the link's long parts (a share id that opens it, a token) are credentials on their own
        for part in _LINK_PARTS.split(link):
            if len(part) >= 16:
                s.register_value(part)
        data["share_link"] = "held by the session; a share link is a credential and is never shown"
    return data


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
        "to discover what exists before describing or fetching anything.",
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
    ToolSpec(
        "create_vault",
        "Create a vault (a named container of secrets). Names are unique.",
        CreateVaultArgs,
        create_vault,
        read_only=False,
    ),
    ToolSpec("list_vaults", "List the vaults you can access.", NoArgs, list_vaults),
    ToolSpec(
        "grant_access",
        "Give a user or agent permissions (read, write, delete, rotate) on the paths of a vault "
        "matching a glob. Grant the narrowest pattern that works.",
        GrantAccessArgs,
        grant_access,
        read_only=False,
    ),
    ToolSpec(
        "share_secret",
        "Share a secret with a person or agent until an expiry date. When a human needs a "
        "credential, share it by e-mail rather than repeating it; the share link is never shown.",
        ShareSecretArgs,
        share_secret,
        read_only=False,
    ),
    ToolSpec(
        "list_versions",
        "List every version of a secret (number, dates, disabled or not), never values.",
        PathArgs,
        list_versions,
    ),
)
