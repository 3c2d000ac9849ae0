"""The MCP server: a loop over the core's tool specs on the SDK's low-level ``Server``.

Why the low-level server and not FastMCP: FastMCP derives each tool's input schema from a Python
signature, so the schema an MCP client sees could drift from ``spec.json_schema()``. Here every
tool is listed with exactly the name, description and schema of its spec, so the MCP surface is
the LangChain, LlamaIndex and CrewAI surface.

Contract of a call:

* a result is the text of ``await session.acall_text(...)``, passed through ``session.scrub``;
* a :class:`~oneclaw_tools.ToolError` becomes a result with ``isError=True`` and its guarded
  ``.text``;
* anything else the model sees only as "tool X failed" (no message, no traceback): an unexpected
  exception may carry a value;
* the SDK's own input validation is off: its message quotes the offending argument, and the core
  validates the arguments with a guarded message anyway.

A tool the operator's policy gates asks the user first, through MCP elicitation
(:mod:`oneclaw_mcp.approval`); a client without elicitation gets a refusal saying how to approve
out of band.

The handle store (a :class:`~oneclaw_tools.Session`) lives for one MCP session: the server's
lifespan runs once per MCP session (once per process over stdio, once per ``Mcp-Session-Id``
over streamable HTTP), asks ``session_factory`` for a fresh session and closes it when the MCP
session ends.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pydantic
from mcp import types
from mcp.server.lowlevel import Server

from oneclaw_tools import TOOL_NAMES, Session, ToolError, ToolSpec, __version__
from oneclaw_tools.naming import check_prefix, core_name, surface_name

from .approval import PAGE_ENV, ask_approval, offer_secret_page

__all__ = [
    "SERVER_NAME",
    "SessionFactory",
    "WrappedTool",
    "build_server",
    "spec_to_tool",
    "wrap_function",
]

SERVER_NAME = "oneclaw"

SessionFactory = Callable[[], Session]
"""Makes the session (handle store, policy, guard, backend) of one MCP session."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WrappedTool:
    """A third-party tool served next to ours, called through ``session.arun_wrapped``.

    ``{{secret:HANDLE}}`` placeholders in its arguments are resolved just in time (only if the
    handle allows a tool of this ``name``), arguments carrying a known value are refused, and its
    output is scrubbed. ``func`` may be sync or async and is called with keyword arguments.
    """

    name: str
    description: str
    func: Callable[..., Any]
    input_schema: Mapping[str, Any] = field(default_factory=dict)

    def to_mcp(self) -> types.Tool:
        return types.Tool(name=self.name, description=self.description, inputSchema=dict(self.input_schema))


def wrap_function(name: str, description: str, func: Callable[..., Any]) -> WrappedTool:
    """A :class:`WrappedTool` whose input schema comes from ``func``'s signature.

    Parameters without an annotation are taken as strings; ``**kwargs`` and ``*args`` are not
    representable and are rejected.
    """
    fields: dict[str, Any] = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{name}: *args/**kwargs cannot be described by an input schema")
        annotation = str if param.annotation is inspect.Parameter.empty else param.annotation
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    model = pydantic.create_model(f"{name}_args", **fields)
    return WrappedTool(name=name, description=description, func=func, input_schema=model.model_json_schema())


def spec_to_tool(spec: ToolSpec, *, prefix: str = "") -> types.Tool:
    """The MCP view of one core tool: same name (after ``prefix``), description and argument schema."""
    return types.Tool(
        name=surface_name(prefix, spec.name),
        description=spec.description,
        inputSchema=spec.json_schema(),
        annotations=types.ToolAnnotations(readOnlyHint=spec.read_only),
    )


def _result(text: str, *, is_error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], isError=is_error)


def _as_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, bytes):
        return output.decode("utf-8", errors="replace")
    return json.dumps(output, default=str)


def build_server(
    session_factory: SessionFactory,
    *,
    extra_tools: Iterable[WrappedTool] = (),
    close_session: bool = True,
    name: str = SERVER_NAME,
    secret_page_url: str | None = None,
    tool_prefix: str = "",
) -> Server[Session, Any]:
    """The MCP server for sessions made by ``session_factory``.

    ``secret_page_url`` (default: ``ONECLAW_APPROVAL_PAGE``) is the approval page of
    ``oneclaw-tools serve``; after ``request_secret`` a client with URL-mode elicitation is
    pointed at it.

    ``extra_tools`` are third-party tools served beside ours through the placeholder wrapper.
    ``tool_prefix`` (e.g. ``"oneclaw_"``) goes before each of our tools' names, as on every surface.
    ``close_session=False`` leaves closing to the caller (for a session shared with application
    code, e.g. :func:`oneclaw_mcp.surface.atool_surface`).
    """
    extras = {tool.name: tool for tool in extra_tools}
    page_url = secret_page_url if secret_page_url is not None else os.environ.get(PAGE_ENV) or None
    check_prefix(tool_prefix)
    clash = sorted(extras.keys() & {surface_name(tool_prefix, name) for name in TOOL_NAMES})
    if clash:
        raise ValueError(f"extra tools may not shadow the core's tools: {clash}")

    @asynccontextmanager
    async def lifespan(_: Server[Session, Any]) -> AsyncIterator[Session]:
        session = session_factory()
        try:
            yield session
        finally:
            if close_session:
                session.close()

    server: Server[Session, Any] = Server(name, version=__version__, lifespan=lifespan)

    def current_session() -> Session:
        session: Session = server.request_context.lifespan_context
        return session

    @server.list_tools()  # type: ignore[no-untyped-call,untyped-decorator]
    async def list_tools() -> list[types.Tool]:
        session = current_session()
        ours = (spec_to_tool(spec, prefix=tool_prefix) for spec in session.specs)
        return [*ours, *(tool.to_mcp() for tool in extras.values())]

    @server.call_tool(validate_input=False)  # type: ignore[untyped-decorator]
    async def call_tool(tool_name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        session = current_session()
        try:
            wrapped = extras.get(tool_name)
            if wrapped is not None:
                text = _as_text(await session.arun_wrapped(tool_name, wrapped.func, arguments))
            else:
                # our tools answer to their prefixed names only; anything else is an unknown tool
                tool_name = core_name(tool_prefix, tool_name) or "?" + tool_name
                ctx = server.request_context
                refusal = await ask_approval(session, ctx.session, ctx.request_id, tool_name, arguments)
                if refusal is not None:
                    return _result(refusal, is_error=True)
                text = await session.acall_text(tool_name, arguments)
                if tool_name == "request_secret":
                    await offer_secret_page(ctx.session, ctx.request_id, text, page_url)
        except ToolError as err:
            return _result(session.scrub(err.text), is_error=True)
        except Exception as exc:  # an unexpected crash: its message may carry a value
            shown = session.scrub(tool_name[:100])
            _log.error("tool %s failed with %s", shown, type(exc).__name__)
            return _result(f"Error: tool {shown} failed.", is_error=True)
        return _result(session.scrub(text))

    return server
