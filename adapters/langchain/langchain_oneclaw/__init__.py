"""LangChain tools for 1Claw-style secrets: the model gets handles, never values.

* :class:`OneClawToolkit`: every tool of the core as a ``StructuredTool`` (sync and async).
* :class:`OneClawGuardMiddleware`: for ``create_agent``; the one call that guards every tool of the
  agent, ours and third-party ones (each other tool runs wrapped; every tool message is scrubbed).
  Imported on first use, because ``langchain.agents`` takes about a second to import.
* :func:`guard_tools`: the same for a whole tool list, for agents built without ``create_agent``.
* :class:`OneClawApprovalMiddleware`: for ``create_agent``; pauses a gated tool call with a
  LangGraph interrupt the application resumes (approve / reject), bound to the exact action.
* :func:`wrap_tool`: lets any LangChain tool take ``{{secret:HANDLE}}`` placeholders.
* :func:`tool_surface`: the tools as LangChain presents them to a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oneclaw_tools import __version__

from .toolkit import OneClawTool, OneClawToolkit, make_tool, tool_surface
from .wrap import GuardedTool, guard_tools, wrap_tool

if TYPE_CHECKING:
    from .approval import OneClawApprovalMiddleware
    from .middleware import OneClawGuardMiddleware

__all__ = [
    "GuardedTool",
    "OneClawApprovalMiddleware",
    "OneClawGuardMiddleware",
    "OneClawTool",
    "OneClawToolkit",
    "__version__",
    "guard_tools",
    "make_tool",
    "tool_surface",
    "wrap_tool",
]


def __getattr__(name: str) -> Any:
    if name == "OneClawGuardMiddleware":
        from .middleware import OneClawGuardMiddleware

        return OneClawGuardMiddleware
    if name == "OneClawApprovalMiddleware":
        from .approval import OneClawApprovalMiddleware

        return OneClawApprovalMiddleware
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
