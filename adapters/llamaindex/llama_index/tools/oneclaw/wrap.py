"""Wrap any existing LlamaIndex tool so it can use a secret without the model seeing it.

The model writes ``{{secret:HANDLE}}`` in the wrapped tool's arguments. The returned
``FunctionTool`` (same name, description, schema and ``return_direct``) hands the call to
``session.run_wrapped`` / ``arun_wrapped``; the core resolves the placeholders just in time (only
if the handle allows this tool), refuses arguments that already contain a known value, turns any
exception into a ``ToolError`` with guarded text, and scrubs what the tool returned. This module
then builds the ``ToolOutput`` from the scrubbed parts only: ``content``, ``raw_output`` and
``raw_input`` (the arguments as the model wrote them, placeholders and all).

The inner call must not be observed with its resolved arguments. ``FunctionTool.call`` and
``acall`` are instrumentation spans: every span handler would receive the resolved keyword
arguments, the unscrubbed ``ToolOutput`` and any exception raised. So a ``FunctionTool`` is invoked
through the undecorated method (same behaviour: partial params, defaults, callbacks); any other
tool type is called normally, and its own instrumentation is its business (see the README).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar, cast

from llama_index.core.objects.base import ObjectRetriever
from llama_index.core.schema import QueryType
from llama_index.core.tools import FunctionTool, ToolMetadata, ToolOutput
from llama_index.core.tools.types import AsyncBaseTool, BaseTool, adapt_to_async_tool

from oneclaw_tools import Session, ToolError

from ._outputs import GuardedFunctionTool, Settle, afinish, error_output, finish, ok_output, plain_args

__all__ = ["guard_agent", "guard_tools", "wrap_tool", "wrap_tools"]


_Agent = TypeVar("_Agent")


def _unobserved(method: str) -> Callable[..., Any]:
    """``FunctionTool.<method>`` without its instrumentation span (the function it decorates)."""
    decorated = FunctionTool.__dict__[method]
    return cast(Callable[..., Any], getattr(decorated, "__wrapped__", decorated))


_CALL = _unobserved("call")
_ACALL = _unobserved("acall")


def _plain(raw: Any) -> Any:
    """``raw_output`` in a form the guard can scrub (JSON-like data as is, anything else as text)."""
    if raw is None or isinstance(raw, str | bytes | int | float | bool):
        return raw
    try:
        return json.loads(json.dumps(raw))
    except (TypeError, ValueError):
        return str(raw)


def _parts(output: ToolOutput) -> dict[str, Any]:
    """What ``run_wrapped`` scrubs: the pieces of the inner output, never the output object."""
    return {"content": output.content, "raw_output": _plain(output.raw_output), "is_error": output.is_error}


def _sync_call(tool: BaseTool) -> Callable[..., dict[str, Any]]:
    if isinstance(tool, FunctionTool):
        return lambda **kwargs: _parts(_CALL(tool, **kwargs))
    return lambda **kwargs: _parts(tool(**kwargs))


def _async_call(tool: BaseTool) -> Callable[..., Any]:
    if isinstance(tool, FunctionTool):

        async def call_function_tool(**kwargs: Any) -> dict[str, Any]:
            return _parts(await _ACALL(tool, **kwargs))

        return call_function_tool
    async_tool: AsyncBaseTool = adapt_to_async_tool(tool)

    async def call_tool(**kwargs: Any) -> dict[str, Any]:
        return _parts(await async_tool.acall(**kwargs))

    return call_tool


def _finished(session: Session, name: str, kwargs: Mapping[str, Any], parts: Any) -> ToolOutput:
    parts = session.scrub(parts)
    content = str(parts["content"])
    if parts.get("is_error"):
        # the inner tool reported its own failure: keep it an error result, with the scrubbed text
        return error_output(session, name, kwargs, ToolError(content, tool=name, code="tool_error"))
    return ok_output(session, name, kwargs, content, parts["raw_output"])


def wrap_tool(tool: BaseTool, session: Session, *, name: str | None = None) -> FunctionTool:
    """A ``FunctionTool`` that runs ``tool`` with ``{{secret:HANDLE}}`` placeholders resolved.

    ``name`` (default: the tool's own) is the name the handle's allowed-tools list must contain.
    Failures come back as an error ``ToolOutput`` (``is_error=True``, guarded text), never raised.
    """
    if isinstance(tool, GuardedFunctionTool) and name is None:
        return tool  # ours, or wrapped already
    meta = tool.metadata
    tool_name = name or meta.get_name()
    sync_call, async_call = _sync_call(tool), _async_call(tool)

    def run(**kwargs: Any) -> ToolOutput:
        with Settle(session, tool_name, "wrapped tool") as call:
            call.args = plain_args(kwargs)
            parts = session.run_wrapped(tool_name, sync_call, call.args)
            call.output = _finished(session, tool_name, call.args, parts)
        return call.result

    async def arun(**kwargs: Any) -> ToolOutput:
        with Settle(session, tool_name, "wrapped tool") as call:
            call.args = plain_args(kwargs)
            parts = await session.arun_wrapped(tool_name, async_call, call.args)
            call.output = _finished(session, tool_name, call.args, parts)
        return call.result

    run.__name__ = tool_name
    arun.__name__ = "a" + tool_name
    metadata = ToolMetadata(
        name=tool_name,
        description=meta.description,
        fn_schema=meta.fn_schema,
        return_direct=meta.return_direct,
    )
    return GuardedFunctionTool.from_defaults(
        fn=run, async_fn=arun, tool_metadata=metadata, callback=finish, async_callback=afinish
    )


def wrap_tools(tools: list[BaseTool], session: Session) -> list[FunctionTool]:
    """:func:`wrap_tool` over a list."""
    return [wrap_tool(tool, session) for tool in tools]


def guard_tools(tools: Iterable[BaseTool | Callable[..., Any]], session: Session) -> list[FunctionTool]:
    """Every tool an agent has, guarded, in the same order: ours as they are, every other tool (or
    plain function, as agents accept them) through :func:`wrap_tool`."""
    out: list[FunctionTool] = []
    for tool in tools:
        if not isinstance(tool, BaseTool):
            tool = FunctionTool.from_defaults(tool)
        out.append(wrap_tool(tool, session))
    return out


class _GuardedRetriever(ObjectRetriever[BaseTool]):
    """An agent's ``tool_retriever`` whose retrieved tools come back guarded."""

    def __init__(self, inner: ObjectRetriever[BaseTool], session: Session) -> None:  # no super(): a view
        self._inner, self._session = inner, session

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def retrieve(self, str_or_query_bundle: QueryType) -> list[BaseTool]:
        return list(guard_tools(self._inner.retrieve(str_or_query_bundle), self._session))

    async def aretrieve(self, str_or_query_bundle: QueryType) -> list[BaseTool]:
        return list(guard_tools(await self._inner.aretrieve(str_or_query_bundle), self._session))


def guard_agent(agent: _Agent, session: Session) -> _Agent:
    """The one call that guards every tool of a LlamaIndex agent, in place: its ``tools`` and the
    tools its ``tool_retriever`` returns; for an ``AgentWorkflow``, those of each of its agents.
    Returns the agent. (The workflow's own ``handoff`` tool is LlamaIndex's and carries no data.)"""
    target: Any = agent  # a BaseWorkflowAgent or an AgentWorkflow
    members = getattr(target, "agents", None)
    if isinstance(members, Mapping):
        for member in members.values():
            guard_agent(member, session)
        return agent
    if getattr(target, "tools", None):
        target.tools = guard_tools(target.tools, session)
    retriever = getattr(target, "tool_retriever", None)
    if retriever is not None and not isinstance(retriever, _GuardedRetriever):
        target.tool_retriever = _GuardedRetriever(retriever, session)
    return agent
