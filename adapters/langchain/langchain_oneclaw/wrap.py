"""Let any LangChain tool use a secret without the model seeing it.

``wrap_tool(tool, session)`` returns a tool with the same name, description and argument schema.
The model writes ``{{secret:HANDLE}}`` where a value belongs; the core's
``session.run_wrapped(tool.name, ...)`` resolves it just in time (only if that handle allows this
tool), refuses arguments that already contain a known value, scrubs the output and turns any
exception into a ``ToolError`` whose text is safe.

Where values could escape, and how this module closes it:

* callbacks and tracers see the *wrapper's* run only: its inputs hold the placeholders and its
  output is already scrubbed. The inner tool is run through its ``_run``/``_arun`` directly,
  without a callback manager, and with LangChain's ambient run config cleared, so nothing it
  does is traced with the resolved value (``set_debug`` and LangSmith included).
* errors reach the model as ``ToolException(err.text)`` with ``handle_tool_error=True``.
* argument validation errors are rendered without the input.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import var_child_runnable_config
from langchain_core.tools import BaseTool, InjectedToolCallId, ToolException
from langchain_core.tools.base import _is_injected_arg_type, get_all_basemodel_annotations
from pydantic import ConfigDict, Field, PrivateAttr, ValidationError
from pydantic.v1 import ValidationError as ValidationErrorV1

from oneclaw_tools import Session, ToolError

from .toolkit import OneClawTool, validation_message

__all__ = ["GuardedTool", "guard_tools", "is_guarded", "scrub_output", "wrap_tool"]

_PLAIN = (str, bytes, dict, list, tuple, int, float, bool, type(None))
# the inner tool raised a ToolException (LangChain's "text for the model"): its message travels
# through the core's scrubbing under this key, then is raised again outside
_TOOL_EXCEPTION = "__oneclaw_tool_exception__"


def _finished(session: Session, output: Any) -> Any:
    if isinstance(output, dict) and set(output) == {_TOOL_EXCEPTION}:
        raise ToolException(str(session.scrub(output[_TOOL_EXCEPTION])))
    return scrub_output(session, output)


def scrub_output(session: Session, output: Any) -> Any:
    """Scrub anything a tool can return: plain data, a message (content and artifact), objects."""
    if isinstance(output, BaseMessage):
        update: dict[str, Any] = {"content": session.scrub(output.content)}
        if hasattr(output, "artifact"):
            update["artifact"] = scrub_output(session, output.artifact)
        return output.model_copy(update=update)
    if isinstance(output, _PLAIN):
        return session.scrub(output)
    # an arbitrary object would be str()-ed by LangChain on its way to the model: do it here
    return session.scrub(str(output))


def _clean_config(config: RunnableConfig | None) -> RunnableConfig:
    """A run config without callbacks: the inner tool must not report resolved arguments."""
    clean: dict[str, Any] = dict(config or {})
    clean["callbacks"] = None
    return clean  # type: ignore[return-value]


def _inner_kwargs(method: Callable[..., Any], config: RunnableConfig | None) -> dict[str, Any]:
    """The extra keyword arguments LangChain would give a tool's ``_run``/``_arun``."""
    params = inspect.signature(method).parameters
    extra: dict[str, Any] = {}
    if "run_manager" in params:
        extra["run_manager"] = None
    if "config" in params:
        extra["config"] = _clean_config(config)
    return extra


def _tool_call_id(inner: BaseTool, resolved: dict[str, Any]) -> str | None:
    """The call id LangChain injected (``InjectedToolCallId``): the inner tool's parser wants it."""
    schema = inner.args_schema
    if not isinstance(schema, type):
        return None
    for key, annotation in get_all_basemodel_annotations(schema).items():
        if _is_injected_arg_type(annotation, injected_type=InjectedToolCallId):
            value = resolved.get(key)
            return value if isinstance(value, str) else None
    return None


class GuardedTool(BaseTool):
    """A third-party tool behind the session: placeholders resolved inside, output scrubbed."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    inner: BaseTool = Field(repr=False, exclude=True)
    _session: Session = PrivateAttr()

    def __init__(self, *, inner: BaseTool, session: Session, **kwargs: Any) -> None:
        super().__init__(inner=inner, **kwargs)
        self._session = session

    def _call_inner(self, config: RunnableConfig | None) -> Callable[..., Any]:
        inner = self.inner

        def call(**resolved: Any) -> Any:
            token = var_child_runnable_config.set(None)
            try:
                args, kwargs = inner._to_args_and_kwargs(resolved, _tool_call_id(inner, resolved))
                return inner._run(*args, **kwargs, **_inner_kwargs(inner._run, config))
            except ToolException as exc:  # meant for the model: its text comes back, scrubbed
                return {_TOOL_EXCEPTION: str(exc)}
            finally:
                var_child_runnable_config.reset(token)

        return call

    def _acall_inner(self, config: RunnableConfig | None) -> Callable[..., Awaitable[Any]]:
        inner = self.inner

        async def acall(**resolved: Any) -> Any:
            token = var_child_runnable_config.set(None)
            try:
                args, kwargs = inner._to_args_and_kwargs(resolved, _tool_call_id(inner, resolved))
                return await inner._arun(*args, **kwargs, **_inner_kwargs(inner._arun, config))
            except ToolException as exc:
                return {_TOOL_EXCEPTION: str(exc)}
            finally:
                var_child_runnable_config.reset(token)

        return acall

    def _run(self, *args: Any, config: RunnableConfig, run_manager: Any = None, **kwargs: Any) -> Any:
        if args:  # a single-string tool called with a bare string
            kwargs = {self._single_field(): args[0], **kwargs}
        try:
            output = self._session.run_wrapped(self.inner.name, self._call_inner(config), kwargs)
        except ToolError as err:
            raise ToolException(err.text) from None
        return _finished(self._session, output)

    async def _arun(self, *args: Any, config: RunnableConfig, run_manager: Any = None, **kwargs: Any) -> Any:
        if args:
            kwargs = {self._single_field(): args[0], **kwargs}
        try:
            output = await self._session.arun_wrapped(self.inner.name, self._acall_inner(config), kwargs)
        except ToolError as err:
            raise ToolException(err.text) from None
        return _finished(self._session, output)

    def _single_field(self) -> str:
        return next(iter(self.inner.args), "tool_input")


def wrap_tool(tool: BaseTool, session: Session) -> BaseTool:
    """``tool`` with ``{{secret:HANDLE}}`` placeholders resolved just in time and output scrubbed.

    The returned tool has the same name, description, argument schema and response format, so
    the model sees no difference; use it wherever ``tool`` was used (a list given to
    ``create_agent``, a toolkit, ``bind_tools``).
    """
    if isinstance(tool, GuardedTool):
        return tool

    def on_invalid(err: ValidationError | ValidationErrorV1) -> str:
        return validation_message(session, err)

    return GuardedTool(
        inner=tool,
        session=session,
        name=tool.name,
        description=tool.description,
        args_schema=tool.args_schema,
        return_direct=tool.return_direct,
        response_format=tool.response_format,
        handle_tool_error=True,
        handle_validation_error=on_invalid,
        tags=tool.tags,
        metadata=tool.metadata,
    )


def is_guarded(tool: BaseTool) -> bool:
    """Whether ``tool`` is one of ours or already wrapped (guarding it again would change nothing)."""
    return isinstance(tool, GuardedTool | OneClawTool)


def guard_tools(tools: Iterable[BaseTool], session: Session) -> list[BaseTool]:
    """Every tool an agent has, guarded, in the same order: ours as they are, every other tool
    through :func:`wrap_tool` (placeholders resolved inside, output scrubbed before any callback,
    tracer, ``astream_events`` or checkpoint sees it). For agents built without ``create_agent``
    (``bind_tools``, your own ``ToolNode``); with ``create_agent`` the guard middleware does this."""
    return [tool if is_guarded(tool) else wrap_tool(tool, session) for tool in tools]
