"""Wrap any existing CrewAI tool so it can use a secret without the model seeing it.

The model writes ``{{secret:HANDLE}}`` in the wrapped tool's arguments. The core
(``session.run_wrapped``) checks that the handle allows this tool, resolves the placeholder
just in time, refuses arguments that already contain a known value, runs the tool and scrubs
its output; any exception becomes a :class:`~oneclaw_tools.ToolError` with guarded text.

What CrewAI then sees as the tool's *raw* result (kept in events, ``agent.tools_results``,
task outputs and a ``result_as_answer`` final answer) is already the scrubbed, formatted
text: the original tool's ``format_output_for_agent`` runs inside the guarded call. A
:class:`~crewai.tools.tool_failure.ToolFailure` returned by the original tool stays a failure,
with its message scrubbed. Caching is off for the wrapper whatever the original said.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from crewai.tools import BaseTool
from crewai.tools.tool_failure import ToolFailure
from pydantic import PrivateAttr

from oneclaw_tools import ToolError

from .tools import OneClawTool, failure_from_tool_error, never_cache

if TYPE_CHECKING:
    from oneclaw_tools import Session

__all__ = ["WrappedTool", "guard_crew", "guard_tools", "wrap_tool"]


def _overrides_arun(tool: BaseTool) -> bool:
    return type(tool)._arun is not BaseTool._arun


class WrappedTool(BaseTool):
    """A third-party CrewAI tool behind the session's placeholder resolution and guard."""

    _session: Session = PrivateAttr()
    _inner: BaseTool = PrivateAttr()

    def __repr__(self) -> str:
        return f"WrappedTool(name={self.name!r})"

    def _call_inner(self, failures: list[ToolFailure], **resolved: Any) -> str:
        raw = self._inner.run(**resolved)
        if isinstance(raw, ToolFailure):
            failures.append(raw)
            return raw.as_agent_message()
        return self._inner.format_output_for_agent(raw)

    async def _acall_inner(self, failures: list[ToolFailure], **resolved: Any) -> str:
        raw = await self._inner.arun(**resolved)
        if isinstance(raw, ToolFailure):
            failures.append(raw)
            return raw.as_agent_message()
        return self._inner.format_output_for_agent(raw)

    @staticmethod
    def _finish(out: Any, failures: list[ToolFailure]) -> str | ToolFailure:
        text = out if isinstance(out, str) else str(out)
        if failures:
            # `text` is the scrubbed as_agent_message(): keep the failure, drop the raw fields.
            return ToolFailure(message=text, reason=failures[0].reason, retryable=failures[0].retryable)
        return text

    def _run(self, **kwargs: Any) -> str | ToolFailure:
        failures: list[ToolFailure] = []
        try:
            out = self._session.run_wrapped(
                self.name, lambda **resolved: self._call_inner(failures, **resolved), kwargs
            )
        except ToolError as err:
            return failure_from_tool_error(err)
        return self._finish(out, failures)

    async def _arun(self, **kwargs: Any) -> str | ToolFailure:
        failures: list[ToolFailure] = []

        async def call(**resolved: Any) -> str:
            return await self._acall_inner(failures, **resolved)

        def call_sync(**resolved: Any) -> str:
            return self._call_inner(failures, **resolved)

        try:
            out = await self._session.arun_wrapped(
                self.name, call if _overrides_arun(self._inner) else call_sync, kwargs
            )
        except ToolError as err:
            return failure_from_tool_error(err)
        return self._finish(out, failures)


def wrap_tool(tool: BaseTool, session: Session) -> WrappedTool | OneClawTool:
    """Return a CrewAI tool with ``tool``'s name, description and arguments whose calls resolve
    ``{{secret:HANDLE}}`` placeholders through ``session`` and whose output is scrubbed.

    The handle must list ``tool.name`` among the tools it may be used with, or the call is
    refused with an error the model can read.
    """
    if isinstance(tool, WrappedTool | OneClawTool):
        return tool  # ours, or wrapped already
    wrapped = WrappedTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        result_as_answer=tool.result_as_answer,
        max_usage_count=tool.max_usage_count,
        tool_failure_policy=tool.tool_failure_policy,
        cache_function=never_cache,
    )
    wrapped._session = session
    wrapped._inner = tool
    return wrapped


_Crew = TypeVar("_Crew")


def guard_tools(tools: Iterable[BaseTool], session: Session) -> list[BaseTool]:
    """Every tool in the list, guarded, in the same order: ours as they are, others wrapped."""
    return [wrap_tool(tool, session) for tool in tools]


def guard_crew(crew: _Crew, session: Session) -> _Crew:
    """The one call that guards every tool of a ``Crew`` (or a single ``Agent``), in place: each
    agent's tools, the manager agent's, and each task's own ``tools``. Returns what it was given.

    CrewAI builds some tools itself while a task runs (delegation between agents, code execution,
    multimodal helpers); they carry only what agents and tasks produce, not tool outputs we could
    guard at their source, and are not wrapped here.
    """
    agents = list(getattr(crew, "agents", None) or [])
    manager = getattr(crew, "manager_agent", None)
    if manager is not None:
        agents.append(manager)
    if not hasattr(crew, "agents") and hasattr(crew, "tools"):
        agents = [crew]  # an Agent
    for agent in agents:
        if getattr(agent, "tools", None):
            agent.tools = guard_tools(agent.tools, session)
    for task in getattr(crew, "tasks", None) or []:
        if getattr(task, "tools", None):
            task.tools = guard_tools(task.tools, session)
    return crew
