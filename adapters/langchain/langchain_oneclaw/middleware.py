"""Guard middleware for ``langchain.agents.create_agent``: one call guards every tool of the agent.

``create_agent(model, tools=[*ours, *theirs], middleware=[OneClawGuardMiddleware(session)])``.
Each call of a tool that is not ours (and not wrapped already) runs through
:func:`~langchain_oneclaw.wrap_tool`'s wrapper instead of the tool itself (the tool node's
request is overridden with it): placeholders are resolved inside, the inner tool runs outside
LangChain's callbacks, and what comes out is scrubbed *before* the tool run ends, so callbacks,
tracers, ``astream_events``, ``set_debug`` and checkpoints see only guarded text. The user wraps
nothing by hand.

Then every tool result, ours and third-party ones alike, passes ``session.scrub`` again before
it enters the agent state and the next model call: the ``ToolMessage`` content and its artifact
(an artifact is not sent on the provider wire, but it is handed to the model object, kept in
state and checkpoints). ``Command`` results are scrubbed message by message.

An exception escaping a tool becomes an error ``ToolMessage`` instead of failing the run:
a core ``ToolError`` shows its safe text; a ``ToolException`` (LangChain's "meant for the
model") shows its scrubbed text; anything else shows only that the tool failed, as the core
does for an unexpected crash. Graph control flow (interrupts) passes through untouched.

Scope: the tools the agent was given. A tool that opens its own connections or prints to the
console does so inside the wrapper, before scrubbing: what it writes elsewhere is its business.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool, ToolException
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from oneclaw_tools import Session, ToolError
from oneclaw_tools.errors import ToolCrashed

from .wrap import is_guarded, scrub_output, wrap_tool

__all__ = ["OneClawGuardMiddleware"]

_Result = ToolMessage | Command[Any]


class OneClawGuardMiddleware(AgentMiddleware):
    """Scrub every tool message before the model sees it; turn tool crashes into safe errors."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._wrapped: dict[int, tuple[BaseTool, BaseTool]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], _Result]
    ) -> _Result:
        try:
            result = handler(self.guarded_request(request))
        except GraphBubbleUp:
            raise
        except Exception as exc:  # every tool failure becomes a guarded error message
            return self.error_message(request, exc)
        return self.scrub_result(result)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[_Result]]
    ) -> _Result:
        try:
            result = await handler(self.guarded_request(request))
        except GraphBubbleUp:
            raise
        except Exception as exc:
            return self.error_message(request, exc)
        return self.scrub_result(result)

    def guarded_request(self, request: ToolCallRequest) -> ToolCallRequest:
        """The request with a third-party tool replaced by its guarded wrapper (made once per tool)."""
        tool = request.tool
        if tool is None or is_guarded(tool):
            return request
        known = self._wrapped.get(id(tool))
        if known is None or known[0] is not tool:
            known = (tool, wrap_tool(tool, self.session))
            self._wrapped[id(tool)] = known
        return request.override(tool=known[1])

    def scrub_result(self, result: _Result) -> _Result:
        """The same result with every message's content and artifact scrubbed."""
        if isinstance(result, ToolMessage):
            return scrub_output(self.session, result)  # type: ignore[no-any-return]
        if isinstance(result, Command) and isinstance(result.update, dict):
            messages = result.update.get("messages")
            if isinstance(messages, list):
                scrubbed = [scrub_output(self.session, m) for m in messages]
                return dataclasses.replace(result, update={**result.update, "messages": scrubbed})
        return result

    def error_message(self, request: ToolCallRequest, exc: Exception) -> ToolMessage:
        """An error ``ToolMessage`` whose text is safe: never a foreign exception verbatim."""
        name = str(request.tool_call.get("name", "tool"))
        if isinstance(exc, ToolError):
            text = exc.text
        elif isinstance(exc, ToolException):
            text = str(exc)
        else:
            text = ToolCrashed(name).for_model()
        return ToolMessage(
            content=self.session.scrub(text),
            name=name,
            tool_call_id=request.tool_call.get("id") or "",
            status="error",
        )
