"""The tools that act on vaults and reach outward: create and list vaults, grant access
(sharing lives in :mod:`.share_tools`).

Granting gives a secret to someone else, so by default it needs a human's approval
(:mod:`oneclaw_tools.approvals`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..errors import InvalidArgument, PermissionDenied
from ..validation import parse_datetime, validate_pattern
from .base import Args, ToolSpec

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["CREATE_VAULT", "GRANT_ACCESS", "LIST_VAULTS"]


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
