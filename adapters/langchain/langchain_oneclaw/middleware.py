"""Guard middleware for ``langchain.agents.create_agent``.

Every tool result of the agent, ours and third-party ones alike, passes ``session.scrub``
before it enters the agent state and the next model call: the ``ToolMessage`` content and its
artifact (an artifact is not sent on the provider wire, but it is handed to the model object,
kept in state and checkpoints). ``Command`` results are scrubbed message by message.

An exception escaping a tool becomes an error ``ToolMessage`` instead of failing the run:
a core ``ToolError`` shows its safe text; a ``ToolException`` (LangChain's "meant for the
model") shows its scrubbed text; anything else shows only that the tool failed, as the core
does for an unexpected crash. Graph control flow (interrupts) passes through untouched.

Scope: this middleware sees a tool's result *after* the tool's own callbacks fired. A
third-party tool that may print a value into its output should also be passed through
:func:`langchain_oneclaw.wrap_tool`, which scrubs inside the tool run, so tracers and
``astream_events`` see only guarded text too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware
from langchain_core.messages import ToolMessage
from langchain_core.tools import ToolException
from langgraph.errors import GraphBubbleUp
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.types import Command

from oneclaw_tools import Session, ToolError
from oneclaw_tools.errors import ToolCrashed

from .wrap import scrub_output

__all__ = ["OneClawGuardMiddleware"]

_Result = ToolMessage | Command[Any]


class OneClawGuardMiddleware(AgentMiddleware):
    """Scrub every tool message before the model sees it; turn tool crashes into safe errors."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], _Result]
    ) -> _Result:
        try:
            result = handler(request)
        except GraphBubbleUp:
            raise
        except Exception as exc:  # every tool failure becomes a guarded error message
            return self.error_message(request, exc)
        return self.scrub_result(result)

    async def awrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], Awaitable[_Result]]
    ) -> _Result:
        try:
            result = await handler(request)
        except GraphBubbleUp:
            raise
        except Exception as exc:
            return self.error_message(request, exc)
        return self.scrub_result(result)

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
