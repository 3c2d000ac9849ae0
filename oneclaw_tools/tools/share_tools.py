"""The share tools: ``share_secret``, ``list_shares``, ``revoke_share``.

A share link is a credential because of its secret part; a share id is not, except where the
id alone opens the share. ``share_secret`` registers each long part of the link that is not the
share id (a local vault's token) with the guard, so no link that works can reach the model. The id itself is shown, so
the model can list and revoke what it shared, and the operator can match it with
``oneclaw-tools shares``. The one exception is an ``anyone_with_link`` share whose link holds
nothing but the id (1Claw's ``https://…/v1/share/<id>``): there the id opens the share, so it
is registered and stays masked.

``list_shares`` and ``revoke_share`` see only the shares this principal created, on the paths
and vaults the operator's policy allows: a model cannot learn of, or revoke, a share outside them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from ..errors import InvalidArgument, NotFound
from ..models import ShareInfo
from ..validation import parse_datetime, utcnow, validate_prefix
from .base import PATH_FIELD, VAULT_FIELD, Args, ToolSpec

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["SHARE_SECRET", "SHARE_TOOLS", "link_secret_parts", "share_row"]

#: what separates the parts of a share link (scheme, host, path segments, query, fragment)
_LINK_PARTS = re.compile(r"[/#?&=:.]+")
_SHARE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


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


class ListSharesArgs(Args):
    prefix: str = Field("", description="Only shares of paths starting with this prefix, e.g. 'prod/'.")


class RevokeShareArgs(Args):
    share_id: str = Field(description="The share's id, as share_secret or list_shares gave it.")


def link_secret_parts(share: ShareInfo) -> list[str]:
    """The parts of ``share``'s link that open it: its long parts except the id.

    The whole link is not registered: the guard also masks long fragments of what it knows, so
    it would mask the id too. With the token masked, what is left of a link opens nothing.
    """
    if share.share_url is None:
        return []
    link = share.share_url.reveal_unsafe()
    parts = [part for part in _LINK_PARTS.split(link) if len(part) >= 16]
    secret = [part for part in parts if part != share.id]
    if share.recipient_type == "anyone_with_link" and not secret:
        secret = parts  # the id alone opens this share
    return secret


def share_state(share: ShareInfo, now: datetime) -> str:
    if share.is_revoked:
        return "revoked"
    if share.expires_at is not None and share.expires_at <= now:
        return "expired"
    if share.max_access_count and share.access_count >= share.max_access_count:
        return "used_up"
    return "active"


def share_row(share: ShareInfo, now: datetime | None = None) -> dict[str, Any]:
    """One share as the model and the operator see it: never the link."""
    uses_left = None if not share.max_access_count else max(0, share.max_access_count - share.access_count)
    recipient = share.email or share.recipient_id or share.recipient_type
    data = share.to_dict()
    data.update(
        recipient=recipient,
        uses_left=uses_left,
        state=share_state(share, now or utcnow()),
    )
    return data


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
    for part in link_secret_parts(share):
        s.register_value(part)
    data = share_row(share)
    data["share_id"] = share.id
    if share.share_url is not None:
        data["share_link"] = (
            "held by the session; a share link is a credential and is never shown. The operator "
            "sees shares with `oneclaw-tools shares`; revoke one with revoke_share."
        )
    return data


def _own_shares(s: ToolContext) -> list[ShareInfo]:
    """Outbound shares on the policy's paths and vaults (1Claw's list items name no vault)."""
    vaults = s.policy.vaults or (s.vault_for(None),)
    return [
        share
        for share in s.backend.list_outbound_shares()
        if s.policy.path_allowed(share.path) and (not share.vault_id or share.vault_id in vaults)
    ]


def list_shares(s: ToolContext, a: ListSharesArgs) -> dict[str, Any]:
    prefix, now = validate_prefix(a.prefix), utcnow()
    shares = [share_row(sh, now) for sh in _own_shares(s) if sh.path.startswith(prefix)]
    return {"count": len(shares), "shares": shares}


def revoke_share(s: ToolContext, a: RevokeShareArgs) -> dict[str, Any]:
    share_id = a.share_id.strip()
    if _SHARE_ID.fullmatch(share_id) is None:
        raise InvalidArgument("share_id", "must be a share id from list_shares")
    match = next((sh for sh in _own_shares(s) if sh.id == share_id), None)
    if match is None:
        raise NotFound(
            "no share with that id among the shares you may manage.",
            action="Check the id with list_shares.",
        )
    s.backend.revoke_share(share_id)
    s.audit("share_revoked", detail=f"share {share_id}", path=match.path)
    return {"revoked": True, "share_id": share_id, "path": match.path}


SHARE_SECRET = ToolSpec(
    "share_secret",
    "Share a secret with a person or agent until an expiry date. When a human needs a "
    "credential, share it by e-mail rather than repeating it; the share link is never shown.",
    ShareSecretArgs,
    share_secret,
    read_only=False,
)

#: the share tools besides ``share_secret`` (which keeps its place among the seed's tools)
SHARE_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "list_shares",
        "List the shares you created: id, path, recipient, expiry, uses left and state "
        "(active, expired, used_up). Links are never shown.",
        ListSharesArgs,
        list_shares,
    ),
    ToolSpec(
        "revoke_share",
        "Revoke a share you created, by its id from list_shares or share_secret. The link stops "
        "working at once.",
        RevokeShareArgs,
        revoke_share,
        read_only=False,
    ),
)
