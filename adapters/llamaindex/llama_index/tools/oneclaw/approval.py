"""Human approval in LlamaIndex workflows: ``InputRequiredEvent`` out, ``HumanResponseEvent`` back.

With ``OneClawToolSpec(session, human_approval=True)`` each tool the operator's policy gates
(``share_secret`` and ``grant_access`` by default) takes the workflow ``Context``. Before it runs,
it files the exact action in the approval store and waits with
``ctx.wait_for_event(HumanResponseEvent, waiter_event=ApprovalRequiredEvent(...),
requirements={"approval_id": ID})``: the workflow pauses and streams an
:class:`ApprovalRequiredEvent` (an ``InputRequiredEvent`` naming the action, the request id and
digest, never a value). The application answers with
``handler.ctx.send_event(HumanResponseEvent(response="approve", approval_id=ID))``.

The ``requirements`` make the workflow route each answer to the waiter of the request it names:
with parallel tool calls several requests wait at once, and an answer for one never wakes
another. An answer naming no waiting request (no id, a used or unknown id) wakes none: it
neither approves nor denies, and the request keeps waiting for its own answer (until the
framework's wait times out, which fails the call).

``response == "approve"``: the decision is recorded for that action's digest and the tool runs,
consuming the single-use grant. Anything else (``"deny"``...) denies it and the model gets an
error result. The answer comes from the application, never from the model, whose arguments
cannot mark an action approved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index.core.workflow import Context, HumanResponseEvent, InputRequiredEvent

from oneclaw_tools import Session, ToolError

if TYPE_CHECKING:
    from oneclaw_tools.hitl import ApprovalRecord

__all__ = ["ApprovalRequiredEvent", "ask_approval"]


class ApprovalRequiredEvent(InputRequiredEvent):
    """The workflow waits for a human's decision on one exact action."""

    prompt: str
    approval_id: str
    tool: str
    summary: str
    digest: str


async def ask_approval(session: Session, ctx: Context, record: ApprovalRecord) -> ToolError | None:
    """Pause the workflow until the application answers; None to run, else the refusal."""
    event = ApprovalRequiredEvent(
        prompt=f"Approve {record.summary}? (request {record.id}) ",
        approval_id=record.id,
        tool=record.tool,
        summary=record.summary,
        digest=record.digest,
    )
    answer = await ctx.wait_for_event(
        HumanResponseEvent,
        waiter_event=event,
        waiter_id=record.id,
        requirements={"approval_id": record.id},  # an answer wakes only its own request's waiter
    )
    response = str(answer.get("response", "")).strip().lower()
    bound = answer.get("approval_id")
    if response == "approve" and bound == record.id:
        session.approvals.approve(record, by="llamaindex-workflow")
        return None
    if response == "approve":
        reason = "the answer was not for this approval request"
    elif response in ("deny", "reject", "no"):
        reason = "a human denied it"
    else:
        reason = "the answer was not an approval"
    err = session.approvals.refuse(record, by="llamaindex-workflow", reason=reason)
    return ToolError(session.scrub(err.for_model()), tool=record.tool, status=err.status, code=err.code)
