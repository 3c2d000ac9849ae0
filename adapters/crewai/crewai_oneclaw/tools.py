"""CrewAI tools generated from the core's tool specs.

One generic :class:`OneClawTool` class serves every spec: its name, description and
``args_schema`` come from the :class:`~oneclaw_tools.ToolSpec`, and its body is a call to
``session.call_text``. There is no hand-written class per tool, so the CrewAI surface cannot
drift from the LangChain, LlamaIndex and MCP ones.

Three CrewAI specifics matter for secrecy:

* **Caching is off.** CrewAI's crew cache (``CacheHandler``, on by default) stores a tool's
  raw result keyed by its arguments. :func:`never_cache` is every tool's ``cache_function``.
* **Errors use CrewAI's own protocol.** A core :class:`~oneclaw_tools.ToolError` becomes a
  returned :class:`crewai.tools.tool_failure.ToolFailure` whose message is exactly
  ``err.text`` (already guarded). CrewAI shows the model ``failure.as_agent_message()``, records
  the failure on the task output and emits ``ToolFailureDetectedEvent``. Raising instead would
  make CrewAI send ``f"Error executing tool: {e}"`` and record an exception.
* **Arguments are validated once, by the core.** :meth:`OneClawTool._validate_kwargs` passes
  them through so the model sees the core's error text, identical on every surface.

The session is a pydantic ``PrivateAttr``: it never appears in the schema the model sees nor in
``model_dump()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crewai.tools import BaseTool
from crewai.tools.tool_failure import ToolFailure, ToolFailureReason
from pydantic import PrivateAttr

from oneclaw_tools import ToolError
from oneclaw_tools.naming import check_prefix, surface_name
from oneclaw_tools.toolkit import SessionConstructors

if TYPE_CHECKING:
    from oneclaw_tools import Session, ToolSpec

__all__ = ["OneClawCrewTools", "OneClawTool", "failure_from_tool_error", "make_tool", "never_cache"]


def never_cache(_args: Any = None, _result: Any = None) -> bool:
    """``cache_function`` for every tool this package builds: never store a result."""
    return False


def failure_from_tool_error(err: ToolError) -> ToolFailure:
    """CrewAI's way to report a failed call; the model sees exactly ``err.text``."""
    return ToolFailure(
        message=err.text,
        reason=ToolFailureReason.TOOL_REPORTED,
        retryable=err.status == 429,
        details={"status": err.status, "error": err.code},
    )


class OneClawTool(BaseTool):
    """A CrewAI tool for one core tool spec (build it with :func:`make_tool`)."""

    _session: Session = PrivateAttr()
    _core_name: str = PrivateAttr(default="")

    def __repr__(self) -> str:
        return f"OneClawTool(name={self.name!r})"

    def core_name_for(self, session: Session) -> str | None:
        """The core tool this one calls (its name behind any prefix), if through ``session``."""
        return self._core_name if getattr(self, "_session", None) is session else None

    def _validate_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        # The core validates against the same model and renders a guarded ToolError.
        return kwargs

    def _run(self, **kwargs: Any) -> str | ToolFailure:
        try:
            return self._session.call_text(self._core_name, kwargs)
        except ToolError as err:
            return failure_from_tool_error(err)

    async def _arun(self, **kwargs: Any) -> str | ToolFailure:
        try:
            return await self._session.acall_text(self._core_name, kwargs)
        except ToolError as err:
            return failure_from_tool_error(err)


def make_tool(session: Session, spec: ToolSpec, *, prefix: str = "") -> OneClawTool:
    """The CrewAI tool for ``spec``, bound to ``session``; ``prefix`` goes before the name the
    model sees (the core is still called by its own name)."""
    tool = OneClawTool(
        name=surface_name(prefix, spec.name),
        description=spec.description,
        args_schema=spec.args_model,
        cache_function=never_cache,
    )
    tool._session = session
    tool._core_name = spec.name
    return tool


class OneClawCrewTools(SessionConstructors):
    """Every tool the session's operator policy allows, as CrewAI tools.

    >>> tools = OneClawCrewTools(session).tools()
    >>> agent = Agent(role=..., goal=..., backstory=..., tools=tools, llm=llm)

    ``prefix="oneclaw_"`` names every tool ``oneclaw_<name>``, the same on every surface. Also
    ``OneClawCrewTools.from_env()``, ``OneClawCrewTools.remote(api_key=..., base_url=..., vault_id=...)``
    and ``OneClawCrewTools.local(path)`` (the same on every surface: ``oneclaw_tools.toolkit``).
    """

    def __init__(self, session: Session, *, prefix: str = "") -> None:
        self._session = session
        self._prefix = check_prefix(prefix)

    @property
    def session(self) -> Session:
        """The session every generated tool calls (application code only; never in a schema)."""
        return self._session

    def __repr__(self) -> str:
        return f"OneClawCrewTools(tools={len(self._session.specs)})"

    def tools(self) -> list[BaseTool]:
        """A fresh list of tools (CrewAI keeps per-tool usage counters, so do not share them)."""
        return [make_tool(self._session, spec, prefix=self._prefix) for spec in self._session.specs]
