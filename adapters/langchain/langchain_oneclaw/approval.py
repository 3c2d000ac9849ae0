"""Human approval for ``create_agent``: a LangGraph interrupt the application resumes.

:class:`OneClawApprovalMiddleware` pauses a tool call the operator's policy gates (``share_secret``
and ``grant_access`` by default) before it runs: it files the exact action in the approval store
and raises ``interrupt(...)`` with a value shaped like LangChain's own per-call human-in-the-loop
request (``type: "tool_approval"``, ``tool_call_id``, ``name``, value-free ``args``,
``description``) plus ``approval_id`` and ``digest``. The graph needs a checkpointer; the
application resumes with ``Command(resume={"type": "approve"})`` or ``{"type": "reject",
"message": ...}``, the same decisions ``HumanInTheLoopMiddleware`` takes. A decision may name
the ``approval_id`` it was made for; naming another request refuses the call. The session's
tools are recognised under any name prefix (``OneClawToolkit(session, prefix="oneclaw_")``).

On approve the decision is recorded for that action's digest and the tool runs, consuming the
single-use grant (the session re-derives the digest from the arguments actually executed, so a
tool call edited in between is not covered). On reject, or anything that is not a clear approve,
the request is denied and the model gets an error ``ToolMessage``; the tool never runs.

The decision comes from the application resuming the graph, never from the model: the model's
arguments are validated against the tool's model, so no argument can mark an action approved.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command, interrupt

from oneclaw_tools import Session
from oneclaw_tools.hitl import VALUE_ARGS, ApprovalRecord

from .toolkit import OneClawTool

__all__ = ["OneClawApprovalMiddleware"]

_Result = ToolMessage | Command[Any]


class OneClawApprovalMiddleware(AgentMiddleware):
    """Interrupt before each gated tool call; run it only on the application's approve."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], _Result]
    ) -> _Result:
        refusal = self.review(request)
        return refusal if refusal is not None else handler(request)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[_Result]]
    ) -> _Result:
        refusal = self.review(request)
        return refusal if refusal is not None else await handler(request)

    def interrupt_value(self, record: ApprovalRecord, tool_call: Any) -> dict[str, Any]:
        """What the application sees when the graph pauses: the action as the model typed it (a
        recipient id shaped like a token included), any string holding a known value withheld."""
        args = tool_call.get("args") or {}
        shown = {k: v for k, v in args.items() if k not in VALUE_ARGS} if isinstance(args, dict) else {}
        value = {
            "type": "tool_approval",
            "tool_call_id": tool_call.get("id") or "",
            "name": record.tool,
            "args": shown,
            "description": f"Approve {record.summary}? (request {record.id}; valid once, for this exact action)",
            "approval_id": record.id,
            "digest": record.digest,
            "allowed_decisions": ["approve", "reject"],
        }
        # the application's human reads this: identifiers as typed, known values withheld
        for_human: dict[str, Any] = self.session.approvals.for_human(value)
        return for_human

    def core_name(self, request: ToolCallRequest) -> str | None:
        """The core tool a call runs: one of this session's tools under any prefix (the name the
        model used may be ``oneclaw_share_secret``), else the name itself; None for a tool of
        another session (its own middleware asks)."""
        if isinstance(request.tool, OneClawTool):
            return request.tool.core_name_for(self.session)
        return str(request.tool_call.get("name", ""))

    def review(self, request: ToolCallRequest) -> ToolMessage | None:
        """None to run the call; an error message when the human did not approve it."""
        tool_call = request.tool_call
        name = str(tool_call.get("name", ""))
        core = self.core_name(request)
        args = tool_call.get("args")
        if core is None or not isinstance(args, dict):
            return None
        record = self.session.approvals.pending_for(core, args)
        if record is None:
            return None
        decision = interrupt(self.interrupt_value(record, tool_call))
        kind = decision.get("type") if isinstance(decision, dict) else None
        bound = decision.get("approval_id") if isinstance(decision, dict) else None
        if kind == "approve" and bound in (None, record.id):
            self.session.approvals.approve(record, by="langgraph-interrupt")
            return None
        if kind == "approve":
            reason = "the decision was made for another approval request"
        elif kind == "reject":
            reason = "a human rejected it"
        else:
            reason = "the answer was not an approval"
        err = self.session.approvals.refuse(record, by="langgraph-interrupt", reason=reason)
        return ToolMessage(
            content=self.session.scrub(err.for_model()),
            name=name,
            tool_call_id=tool_call.get("id") or "",
            status="error",
        )
