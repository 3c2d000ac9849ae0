"""Audit plumbing: which tool is acting, so every backend row can say "through which tool".

The session wraps each tool call in :func:`tool_scope`; a backend reads
:func:`current_tool` when it writes an audit row. ``asyncio.to_thread`` copies context
variables, so the scope follows a call into worker threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

__all__ = ["AUDIT_LOGGER", "current_tool", "tool_scope"]

AUDIT_LOGGER = logging.getLogger("oneclaw_tools.audit")

_TOOL: contextvars.ContextVar[str | None] = contextvars.ContextVar("oneclaw_tool", default=None)


def current_tool() -> str | None:
    """The tool on whose behalf the backend is called, or None for direct application use."""
    return _TOOL.get()


@contextlib.contextmanager
def tool_scope(tool: str | None) -> Iterator[None]:
    token = _TOOL.set(tool)
    try:
        yield
    finally:
        _TOOL.reset(token)
