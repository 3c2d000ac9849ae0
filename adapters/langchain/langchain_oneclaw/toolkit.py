"""The core's tool specs as LangChain structured tools.

One loop over ``session.specs``: every tool keeps the core's name, description and pydantic
argument model, so the schema a model gets here is the one it gets on every other surface.
Each tool has a sync ``func`` and an async ``coroutine`` that call the session; the result is
the session's guarded JSON text (``response_format="content"``, no artifact: an artifact travels
to every callback, tracer and checkpoint, so it must never carry anything).

A core failure arrives as ``ToolError`` whose ``.text`` is safe for the model; it is re-raised
as :class:`~langchain_core.tools.ToolException` and ``handle_tool_error=True`` turns it into an
error ``ToolMessage`` (``status="error"``) the agent can act on. Argument validation errors are
rendered from pydantic's error list without the offending input.
"""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit, StructuredTool, ToolException
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1

from oneclaw_tools import Session, ToolError, ToolSpec
from oneclaw_tools.errors import InvalidArgument
from oneclaw_tools.naming import check_prefix, surface_name
from oneclaw_tools.toolkit import SessionConstructors

__all__ = ["OneClawTool", "OneClawToolkit", "make_tool", "tool_surface", "validation_message"]


def validation_message(session: Session, err: ValidationError | ValidationErrorV1) -> str:
    """A safe text for invalid arguments: where and which rule, never the input itself."""
    parts = []
    if isinstance(err, ValidationError):
        items: list[Any] = list(err.errors(include_input=False, include_url=False, include_context=False))
    else:  # pydantic.v1 errors carry no input
        items = list(err.errors())
    for item in items:
        where = ".".join(str(p) for p in item.get("loc", ())) or "arguments"
        rule = str(item.get("msg", "invalid value")).rstrip(".")
        parts.append(InvalidArgument(where, rule[:1].lower() + rule[1:]).for_model())
    text = " ".join(parts) or InvalidArgument("arguments", "invalid").for_model()
    return str(session.scrub(text))


class OneClawTool(StructuredTool):
    """A tool generated from a core spec. It is guarded already (the session scrubs its output and
    resolves nothing into it), so :func:`~langchain_oneclaw.guard_tools` and the guard middleware
    leave it as it is. It knows its session and the core's name behind any prefix
    (:meth:`core_name_for`), so the approval middleware gates it under any surface name."""

    _session: Session | None = PrivateAttr(default=None)
    _core_name: str = PrivateAttr(default="")

    def core_name_for(self, session: Session) -> str | None:
        """The core tool this one calls, if it calls it through ``session`` (else None)."""
        return self._core_name if self._session is session else None


def make_tool(session: Session, spec: ToolSpec, *, prefix: str = "") -> OneClawTool:
    """One structured tool for one spec: sync and async paths, guarded text, safe errors.
    ``prefix`` goes before the name the model sees (the core is still called by its own name)."""
    name = spec.name

    def func(**kwargs: Any) -> str:
        try:
            return session.call_text(name, kwargs)
        except ToolError as err:
            raise ToolException(err.text) from None

    async def coroutine(**kwargs: Any) -> str:
        try:
            return await session.acall_text(name, kwargs)
        except ToolError as err:
            raise ToolException(err.text) from None

    def on_invalid(err: ValidationError | ValidationErrorV1) -> str:
        return validation_message(session, err)

    func.__name__ = coroutine.__name__ = name
    # LangChain resolves the function's type hints on every call (looking for a RunnableConfig
    # parameter); these functions take none, and dropping the hints saves ~30 us per call.
    func.__annotations__ = {}
    coroutine.__annotations__ = {}
    tool = OneClawTool(
        name=surface_name(prefix, name),
        description=spec.description,
        args_schema=spec.args_model,
        func=func,
        coroutine=coroutine,
        response_format="content",
        handle_tool_error=True,
        handle_validation_error=on_invalid,
    )
    tool._session, tool._core_name = session, name
    return tool


class OneClawToolkit(SessionConstructors, BaseToolkit):
    """Every tool the operator's policy allows, as LangChain tools bound to one session.

    ``OneClawToolkit(session)`` (or ``session=``), ``OneClawToolkit.from_env()`` (the backend the
    environment selects: 1Claw when ``ONECLAW_AGENT_API_KEY`` is set, else the embedded vault),
    ``OneClawToolkit.remote(api_key=..., base_url=..., vault_id=...)`` or
    ``OneClawToolkit.local(path)``. ``prefix="oneclaw_"`` names every tool ``oneclaw_<name>``, the
    same on every surface. The session holds the handles; it is never part of a tool schema.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    session: Session = Field(repr=False, exclude=True)
    prefix: str = ""
    _tools: list[BaseTool] | None = PrivateAttr(default=None)

    def __init__(self, session: Session | None = None, /, **data: Any) -> None:
        if session is not None:
            data["session"] = session
        check_prefix(data.get("prefix", ""))
        super().__init__(**data)

    def get_tools(self) -> list[BaseTool]:
        """One ``StructuredTool`` per spec, in the core's order (built once per toolkit)."""
        if self._tools is None:
            self._tools = [make_tool(self.session, spec, prefix=self.prefix) for spec in self.session.specs]
        return list(self._tools)

    def close(self) -> None:
        """Close the session (and its backend)."""
        self.session.close()


def tool_surface(session: Session, *, prefix: str = "") -> list[dict[str, Any]]:
    """The tools as LangChain presents them to a model: name, description, JSON schema."""
    surface: list[dict[str, Any]] = []
    for tool in OneClawToolkit(session, prefix=prefix).get_tools():
        function = convert_to_openai_tool(tool)["function"]
        surface.append(
            {
                "name": function["name"],
                "description": function.get("description", ""),
                "parameters": function.get("parameters", {}),
            }
        )
    return surface
