"""Build the :class:`ToolOutput` a LlamaIndex agent sees, from text the core already guarded.

A ``FunctionTool`` copies its function's return value into ``raw_output`` and the call's keyword
arguments into ``raw_input``, and hands both to streamed ``ToolCallResult`` events and to every
instrumentation span handler. So the generated functions never return a bare value: they return a
finished ``ToolOutput`` in which ``content``, ``raw_output`` and ``raw_input`` all come out of the
guard, and the tool's ``callback`` (:func:`finish` / :func:`afinish`) hands that object back to
``FunctionTool`` unchanged instead of letting it wrap it again.

A core failure is the LlamaIndex error result: ``is_error=True`` with ``content == err.text``,
never an exception for the agent loop to stringify. :class:`Settle` is the one place where a call's
exceptions become outputs, for the sync and async functions of our tools and of wrapped ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from llama_index.core.tools import FunctionTool, ToolOutput

from oneclaw_tools import Session, ToolError

__all__ = [
    "GuardedFunctionTool",
    "Settle",
    "afinish",
    "crash_output",
    "error_output",
    "finish",
    "ok_output",
    "plain_args",
]


logger = logging.getLogger(__name__)


class GuardedFunctionTool(FunctionTool):
    """A ``FunctionTool`` whose every output is built here from guarded parts: one of ours, or a
    wrapped third-party tool. :func:`~llama_index.tools.oneclaw.guard_tools` leaves it as it is."""


def _plain(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(key): _plain(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(value) for value in obj]
    return obj


def plain_args(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The model's arguments as plain dicts and lists.

    ``ReActAgent`` parses ``Action Input`` with ``dirtyjson``, whose nested objects are
    ``AttributedDict``/``AttributedList`` subclasses that cannot be rebuilt from their items; the
    core (validation, guard) expects the plain JSON types a function-calling model produces.
    """
    return {str(key): _plain(value) for key, value in kwargs.items()}


def _raw_input(session: Session, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The call's arguments as the model sent them, passed through the guard.

    They hold handles and ``{{secret:...}}`` placeholders, never resolved values; a value the
    model itself supplied to ``put_secret`` is registered with the guard by then, so it is masked.
    """
    return {"args": (), "kwargs": session.scrub(dict(kwargs))}


def ok_output(session: Session, tool_name: str, kwargs: Mapping[str, Any], text: str, raw: Any) -> ToolOutput:
    """A successful result: ``text`` is what the model reads, ``raw`` the structured form of it.

    Both are scrubbed again here, so a caller can pass anything that reached it.
    """
    return ToolOutput(
        tool_name=tool_name,
        content=str(session.scrub(text)),
        raw_input=_raw_input(session, kwargs),
        raw_output=session.scrub(raw),
    )


def error_output(session: Session, tool_name: str, kwargs: Mapping[str, Any], err: ToolError) -> ToolOutput:
    """A core failure rendered the LlamaIndex way: an error ``ToolOutput`` carrying ``err.text``.

    The exception is attached for application code (``output.exception.status``) with its chain
    and traceback cut, so nothing that caused it (a foreign exception whose message may hold a
    value) rides along.
    """
    text = str(session.scrub(err.text))
    err.__cause__ = None
    err.__context__ = None
    err.__suppress_context__ = True
    return ToolOutput(
        tool_name=tool_name,
        content=text,
        raw_input=_raw_input(session, kwargs),
        raw_output=text,
        is_error=True,
        exception=err.with_traceback(None),
    )


def crash_output(tool_name: str) -> ToolOutput:
    """The adapter itself failed unexpectedly: the model learns only that the tool failed.

    Nothing from the exception or the arguments is kept (either might hold anything).
    """
    text = f"Error (tool_failed): tool {tool_name} failed."
    return ToolOutput(tool_name=tool_name, content=text, raw_input={}, raw_output=text, is_error=True)


class Settle:
    """What a tool call raises, turned into the :class:`ToolOutput` the model reads::

        with Settle(session, name, "oneclaw tool") as call:
            call.args = plain_args(kwargs)
            call.output = ok_output(session, name, call.args, ..., ...)
        return call.result

    A :class:`ToolError` becomes :func:`error_output` (with the plain arguments, if set by then);
    any other exception :func:`crash_output`, logged with the tool's name only (its text may hold
    anything). A ``BaseException`` that is not an ``Exception`` (cancellation) passes through.
    """

    def __init__(self, session: Session, name: str, what: str) -> None:
        self.session, self.name, self.what = session, name, what
        self.args: dict[str, Any] = {}
        self.output: ToolOutput | None = None

    def __enter__(self) -> Settle:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if not isinstance(exc, Exception):
            return False
        if isinstance(exc, ToolError):
            try:
                self.output = error_output(self.session, self.name, self.args, exc)
                return True
            except Exception:  # noqa: S110 - reported as a crash below
                pass
        logger.warning("%s %s failed inside the LlamaIndex adapter", self.what, self.name)
        self.output = crash_output(self.name)
        return True

    @property
    def result(self) -> ToolOutput:
        assert self.output is not None, "the body set no output and raised nothing"
        return self.output


def finish(raw: Any) -> ToolOutput | None:
    """``FunctionTool`` callback: keep the finished output the function returned."""
    return raw if isinstance(raw, ToolOutput) else None


async def afinish(raw: Any) -> ToolOutput | None:
    """Async twin of :func:`finish` (so ``FunctionTool`` does not hop to a thread for it)."""
    return finish(raw)
