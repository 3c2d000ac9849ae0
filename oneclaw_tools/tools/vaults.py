"""The tools that act on vaults and reach outward: create and list vaults, grant access, share.

Granting and sharing give a secret to someone else, so by default they need a human's approval
(:mod:`oneclaw_tools.approvals`). A share link is itself a credential: ``share_secret`` hands it
to the guard, and each long part of it too, and never shows it to the model.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..errors import InvalidArgument, PermissionDenied
from ..validation import parse_datetime, validate_pattern
from .base import PATH_FIELD, VAULT_FIELD, Args, ToolSpec

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["CREATE_VAULT", "GRANT_ACCESS", "LIST_VAULTS", "SHARE_SECRET"]

#: what separates the parts of a share link (scheme, host, path segments, query, fragment)
_LINK_PARTS = re.compile(r"[/#?&=:.]+")


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
    path: str = PATH_FIELD
    expires_at: str = Field(description="RFC 3339 time when the share stops working (required).")
    email: str | None = Field(
        None, description="The person's e-mail address (recipient_type 'external_email')."
    )
    recipient_type: Literal["external_email", "user", "agent", "anyone_with_link", "creator"] = Field(
        "external_email", description="Who receives it. Prefer 'external_email' for a human."
    )
    recipient_id: str | None = Field(None, description="User or agent id (recipient_type 'user' or 'agent').")
    max_access_count: int = Field(5, description="How many times the share may be opened (0 = unlimited).")
    vault_id: str | None = VAULT_FIELD


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


CREATE_VAULT = ToolSpec(
    "create_vault",
    "Create a vault (a named container of secrets). Names are unique.",
    CreateVaultArgs,
    create_vault,
    read_only=False,
)

LIST_VAULTS = ToolSpec("list_vaults", "List the vaults you can access.", NoArgs, list_vaults)

GRANT_ACCESS = ToolSpec(
    "grant_access",
    "Give a user or agent permissions (read, write, delete, rotate) on the paths of a vault "
    "matching a glob. Grant the narrowest pattern that works.",
    GrantAccessArgs,
    grant_access,
    read_only=False,
)

SHARE_SECRET = ToolSpec(
    "share_secret",
    "Share a secret with a person or agent until an expiry date. When a human needs a "
    "credential, share it by e-mail rather than repeating it; the share link is never shown.",
    ShareSecretArgs,
    share_secret,
    read_only=False,
)
