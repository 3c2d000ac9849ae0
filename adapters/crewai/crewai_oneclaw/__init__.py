"""CrewAI tools for 1Claw-style secrets: the agent gets handles, never values.

>>> from oneclaw_tools import Session
>>> from crewai_oneclaw import OneClawCrewTools, wrap_tool
>>> session = Session.from_env()
>>> crew = guard_crew(Crew(agents=[...], tasks=[...]), session)  # every tool of the crew, guarded

Names resolve lazily: importing this package does not import crewai, so an application (or
its ``testing`` drivers) can set CrewAI's environment (telemetry off, ``HOME``) first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from oneclaw_tools import __version__

__all__ = [
    "OneClawApprovalHook",
    "OneClawCrewTools",
    "OneClawTool",
    "WrappedTool",
    "__version__",
    "guard_crew",
    "guard_tools",
    "make_tool",
    "never_cache",
    "react_tool_block",
    "tool_surface",
    "wrap_tool",
]

_WHERE = {
    "OneClawApprovalHook": "approval",
    "OneClawCrewTools": "tools",
    "OneClawTool": "tools",
    "make_tool": "tools",
    "never_cache": "tools",
    "WrappedTool": "wrap",
    "wrap_tool": "wrap",
    "guard_crew": "wrap",
    "guard_tools": "wrap",
    "react_tool_block": "surface",
    "tool_surface": "surface",
}

if TYPE_CHECKING:
    from .approval import OneClawApprovalHook
    from .surface import react_tool_block, tool_surface
    from .tools import OneClawCrewTools, OneClawTool, make_tool, never_cache
    from .wrap import WrappedTool, guard_crew, guard_tools, wrap_tool


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] == "crewai":
            raise ImportError('crewai-oneclaw needs CrewAI: pip install "crewai>=1.15"') from e
        raise
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
