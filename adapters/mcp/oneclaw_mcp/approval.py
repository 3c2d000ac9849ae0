"""Human approval over MCP: the server asks the user through MCP elicitation (form mode).

Before a tool the operator's policy gates (``share_secret``, ``grant_access`` by default) runs,
the server files the exact action in the approval store and sends ``elicitation/create`` to the
client: the message names the action (tool, vault, path, recipient or principal, requested by)
and the request id, never a value, and the form asks for one boolean, ``approve``.

* accept with ``approve: true``: the decision is recorded for that action's digest, the tool
  runs and consumes the single-use grant;
* accept with ``approve: false``, decline or cancel: the request is denied and the tool result
  is an error saying so;
* a client that did not declare the elicitation capability (or fails to answer): the tool
  result is an error naming the request and how a human approves it out of band
  (``oneclaw-tools approve ID`` or the approval page), after which the same call runs.

After ``request_secret``, when the approval page's address is known (``secret_page_url`` of
:func:`~oneclaw_mcp.build_server`, or ``ONECLAW_APPROVAL_PAGE``) and the client supports URL mode,
the server also sends a URL-mode elicitation pointing the user at that page.

The answer travels from the user's client, not from the model: the model's arguments are
validated against the tool's model, so no argument can mark an action approved.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
from mcp import types
from mcp.server.session import ServerSession

from oneclaw_tools import Session
from oneclaw_tools.approvals import how_to_approve
from oneclaw_tools.hitl import ApprovalRecord

__all__ = ["APPROVAL_SCHEMA", "PAGE_ENV", "approval_message", "ask_approval", "offer_secret_page"]

_log = logging.getLogger(__name__)

APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "approve": {
            "type": "boolean",
            "title": "Approve this exact action",
            "description": "Tick to let the agent run it once; anything else refuses it.",
        }
    },
    "required": ["approve"],
}


def approval_message(record: ApprovalRecord) -> str:
    """What the user reads: the exact action and what an approval covers."""
    return (
        f"The agent asks to run {record.tool}.\n"
        f"Action: {record.summary}\n"
        f"Request: {record.id} (expires {record.expires_at}).\n"
        "Approving lets this exact action run once; any other recipient, path or term needs its own approval."
    )


def _supports_elicitation(session: ServerSession) -> bool:
    wanted = types.ClientCapabilities(elicitation=types.ElicitationCapability())
    return session.check_client_capability(wanted)


async def ask_approval(
    session: Session,
    mcp_session: ServerSession,
    request_id: types.RequestId | None,
    tool: str,
    args: dict[str, Any],
) -> str | None:
    """Ask the user about ``tool(args)`` if it needs approval. None: go ahead; else the refusal text."""
    record = await anyio.to_thread.run_sync(session.approvals.pending_for, tool, args)
    if record is None:
        return None
    if not _supports_elicitation(mcp_session):
        text = (
            f"Error 403 (approval_required): {tool} needs a human's approval (request {record.id}: "
            f"{record.summary}). This MCP client cannot ask the user (no elicitation support). "
            + how_to_approve(record.id)
        )
        return str(session.scrub(text))
    try:
        answer = await mcp_session.elicit_form(
            approval_message(record), APPROVAL_SCHEMA, related_request_id=request_id
        )
    except Exception as exc:  # the client failed to answer: nothing was approved
        _log.warning("elicitation for %s failed with %s", record.id, type(exc).__name__)
        return str(
            session.scrub(
                f"Error 403 (approval_required): {tool} needs a human's approval and the client could not ask "
                f"(request {record.id}). " + how_to_approve(record.id)
            )
        )
    approved = answer.action == "accept" and (answer.content or {}).get("approve") is True
    if approved:
        await anyio.to_thread.run_sync(lambda: session.approvals.approve(record, by="mcp-elicitation"))
        return None
    reason = {
        "accept": "the user did not tick approve",
        "decline": "the user declined",
        "cancel": "the user cancelled the request",
    }[answer.action]
    err = await anyio.to_thread.run_sync(
        lambda: session.approvals.refuse(record, by=f"mcp-elicitation:{answer.action}", reason=reason)
    )
    return str(session.scrub(err.for_model()))


PAGE_ENV = "ONECLAW_APPROVAL_PAGE"
"""The approval page's address (``http://127.0.0.1:PORT/approvals/``) offered to the user in URL mode."""


def _supports_url_mode(mcp_session: ServerSession) -> bool:
    params = mcp_session.client_params
    elicitation = params.capabilities.elicitation if params is not None else None
    return elicitation is not None and elicitation.url is not None


async def offer_secret_page(
    mcp_session: ServerSession, request_id: types.RequestId | None, result_text: str, page_url: str | None
) -> None:
    """After ``request_secret``: point the user at the approval page through URL-mode elicitation.

    The user supplies the value there; it never passes through the client or the model. The
    message names the request and its path only. Best effort: a client without URL mode, or
    one that declines, changes nothing (``oneclaw-tools fulfil`` still works).
    """
    if not page_url or not _supports_url_mode(mcp_session):
        return
    try:
        data = json.loads(result_text)
        rid, path = str(data["request_id"]), str(data["path"])
    except (ValueError, KeyError, TypeError):
        return
    message = (
        f"The agent asks you to supply the secret '{path}' (request {rid}). Enter it on the local "
        "approval page, not in the chat; the agent will only get a handle."
    )
    try:
        await mcp_session.elicit_url(
            message, f"{page_url.rstrip('/')}/#{rid}", rid, related_request_id=request_id
        )
    except Exception as exc:  # the offer is optional
        _log.info("URL-mode elicitation for %s failed with %s", rid, type(exc).__name__)
