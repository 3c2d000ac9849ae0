"""``request_secret`` and ``check_secret_request``: a credential supplied by a human, out of band.

The model asks for a path and says why; it gets a request id, which is not a secret and opens
nothing by itself. A human sees the request (``oneclaw-tools requests``, the approval page) and
supplies the value through a channel the model never reads (``oneclaw-tools fulfil ID`` from
stdin or a file, or the page's form). The value goes straight into the vault at the requested
path. ``check_secret_request`` then answers "pending" or, once fulfilled, a handle exactly like
``get_secret`` (the value is registered with the guard when the handle is issued), never the value.

A request is tied to the agent that made it and to the operator's path policy: another agent's
request id, or one for a path the policy no longer allows, gives nothing. The reason is one line of
printable text: a model cannot forge lines of ``oneclaw-tools requests`` with line breaks or
terminal escapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..errors import Gone, InvalidArgument, NotFound
from ..models import SecretType
from .base import Args, ToolSpec
from .vault_tools import GetSecretArgs, get_secret

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["REQUEST_TOOLS"]


class RequestSecretArgs(Args):
    path: str = Field(description="Where the secret should be stored, e.g. 'prod/github/token'.")
    reason: str = Field(
        description="Why you need it, in one sentence the human will read (1-500 characters)."
    )
    type: SecretType = Field("generic", description="Kind of secret.")
    vault_id: str | None = Field(None, description="Vault id. Omit to use the session's default vault.")


class CheckRequestArgs(Args):
    request_id: str = Field(description="The id request_secret returned (req_...).")


def request_secret(s: ToolContext, a: RequestSecretArgs) -> dict[str, Any]:
    path = s.check_path(a.path)
    reason = a.reason.strip()
    if not 1 <= len(reason) <= 500:
        raise InvalidArgument("reason", "must be 1-500 characters")
    if not reason.isprintable():  # a line break, escape or direction character could forge what
        raise InvalidArgument(  # the operator reads in a terminal or on the page
            "reason", "must be one line of printable text (no line breaks, control or direction characters)"
        )
    reason = str(s.scrub_output(reason))  # a credential the model pasted in is not kept or shown
    vault_id = s.vault_for(a.vault_id)
    req = s.hitl_store.request_secret(
        vault_id=vault_id, path=path, reason=reason, type=a.type, requested_by=s.agent
    )
    s.audit("secret_requested", outcome="pending", detail=f"{req.id}: {path}", path=path)
    return {
        "request_id": req.id,
        "status": "pending",
        "path": path,
        "vault_id": vault_id,
        "expires_at": req.expires_at,
        "note": "A human supplies the value out of band (`oneclaw-tools fulfil "
        + req.id
        + "` or the approval page); it never passes through this conversation. Tell the user, then "
        "call check_secret_request later: you will get a handle, never the value.",
    }


def check_secret_request(s: ToolContext, a: CheckRequestArgs) -> dict[str, Any]:
    request_id = a.request_id.strip()
    if not request_id.startswith("req_") or len(request_id) > 40:
        raise InvalidArgument("request_id", "must be an id request_secret returned (req_...)")
    req = s.hitl_store.get_request(request_id)
    if req.requested_by != s.agent:
        raise NotFound(f"no secret request '{request_id}'.", action="Use the id request_secret returned.")
    s.check_path(req.path)
    if req.status == "pending":
        if s.hitl_store.expired(req):
            raise Gone(f"secret request {req.id} expired unfulfilled.", action="Call request_secret again.")
        return {
            "request_id": req.id,
            "status": "pending",
            "path": req.path,
            "note": "Not supplied yet; check again later.",
        }
    if req.status != "fulfilled" or req.version is None:
        raise Gone(f"secret request {req.id} was {req.status}.", action="Call request_secret again.")
    data = get_secret(s, GetSecretArgs(path=req.path, version=req.version, vault_id=req.vault_id))
    s.audit("secret_request_checked", detail=f"{req.id}: handle for {req.path}", path=req.path)
    return {"request_id": req.id, "status": "fulfilled", **data}


REQUEST_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "request_secret",
        "Ask a human to supply a credential you need but nobody stored. Give the path where it "
        "belongs and a one-sentence reason. Returns a request id (not a secret); the human supplies "
        "the value out of band and you never see it. Then call check_secret_request.",
        RequestSecretArgs,
        request_secret,
        read_only=False,
    ),
    ToolSpec(
        "check_secret_request",
        "Check a request made with request_secret: 'pending', or once a human supplied the value, "
        "a handle to use like get_secret's (never the value).",
        CheckRequestArgs,
        check_secret_request,
    ),
)
