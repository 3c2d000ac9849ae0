"""Human approval in CrewAI: a ``before_tool_call`` hook that pauses the tool call for a human.

CrewAI runs every registered ``before_tool_call`` hook right before a tool executes, and a hook
returning ``False`` blocks the call; ``ToolCallHookContext.request_human_input`` is CrewAI's own
way to stop and ask the person at the console. :class:`OneClawApprovalHook` uses both: for a
tool the operator's policy gates (``share_secret`` and ``grant_access`` by default) it files the
exact action in the approval store and asks (by default through ``request_human_input``; pass
``ask=`` for another channel, e.g. a chat or ticket system). The execution thread waits for the
answer, so the tool call is truly paused.

* ``approve`` (or ``approve ID`` naming this request): the decision is recorded for that action's
  digest and the tool runs, consuming the single-use grant;
* anything else (``deny``, an empty line, another request's id): denied, the call is blocked and
  the matching ``after_tool_call`` hook replaces CrewAI's generic "blocked by hook" text with the
  refusal, so the model reads why.

Hooks are process-wide in CrewAI: ``with OneClawApprovalHook(session):`` registers both hooks and
removes them on exit (or call :meth:`register` / :meth:`unregister`). The hook looks at the tools
its session serves: a :class:`~crewai_oneclaw.tools.OneClawTool` of that session under any name
prefix (``OneClawCrewTools(session, prefix="oneclaw_")``), or a tool named as one of the core's;
another session's tools are left to that session's hook. The answer comes from a human, never from
the model, whose arguments cannot mark an action approved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from crewai.hooks import (
    register_after_tool_call_hook,
    register_before_tool_call_hook,
    unregister_after_tool_call_hook,
    unregister_before_tool_call_hook,
)
from crewai.hooks.tool_hooks import ToolCallHookContext

from oneclaw_tools import Session
from oneclaw_tools.hitl import ApprovalRecord

from .tools import OneClawTool

__all__ = ["Ask", "OneClawApprovalHook"]

Ask = Callable[[ToolCallHookContext, ApprovalRecord], str]
"""Asks a human about ``record`` and returns the answer (``approve`` / ``approve ID`` / anything)."""


def _console(context: ToolCallHookContext, record: ApprovalRecord) -> str:
    return context.request_human_input(
        prompt=f"The agent asks to run {record.summary} (request {record.id}).",
        default_message="Type 'approve' to let this exact action run once; anything else refuses it:",
    )


class OneClawApprovalHook:
    """Before/after tool-call hooks that ask a human about each gated action of ``session``."""

    def __init__(self, session: Session, ask: Ask | None = None) -> None:
        self.session = session
        self.ask = ask or _console
        self._names = {spec.name for spec in session.specs}
        self._refusals: dict[int, str] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def register(self) -> None:
        register_before_tool_call_hook(self.before_tool_call)
        register_after_tool_call_hook(self.after_tool_call)

    def unregister(self) -> None:
        unregister_before_tool_call_hook(self.before_tool_call)
        unregister_after_tool_call_hook(self.after_tool_call)

    def __enter__(self) -> OneClawApprovalHook:
        self.register()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unregister()

    def core_name(self, context: ToolCallHookContext) -> str | None:
        """The core tool this call runs through this hook's session, or None (not ours)."""
        original = getattr(context.tool, "_original_tool", None)  # the BaseTool CrewAI converted
        if isinstance(original, OneClawTool):
            return original.core_name_for(self.session)
        return context.tool_name if context.tool_name in self._names else None

    def before_tool_call(self, context: ToolCallHookContext) -> bool | None:
        name = self.core_name(context)
        if name is None or not isinstance(context.tool_input, dict):
            return None
        record = self.session.approvals.pending_for(name, context.tool_input)
        if record is None:
            return None
        answer = (self.ask(context, record) or "").strip().split()
        if answer[:1] == ["approve"] and answer[1:] in ([], [record.id]):
            self.session.approvals.approve(record, by="crewai-hook")
            return None
        if answer[:1] == ["approve"]:
            reason = "the answer was for another approval request"
        elif answer[:1] in (["deny"], ["reject"], ["no"]):
            reason = "a human denied it"
        else:
            reason = "the answer was not an approval"
        err = self.session.approvals.refuse(record, by="crewai-hook", reason=reason)
        with self._lock:
            self._refusals[id(context.tool_input)] = str(self.session.scrub(err.for_model()))
        return False

    def after_tool_call(self, context: ToolCallHookContext) -> str | None:
        with self._lock:
            refusal = self._refusals.pop(id(context.tool_input), None)
        return refusal
