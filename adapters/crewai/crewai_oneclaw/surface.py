"""The tool surface as CrewAI presents it to a model.

:func:`tool_surface` runs the generated tools through CrewAI's own converter
(``convert_tools_to_openai_schema``, what the agent executor sends as ``tools=`` on the
function-calling path), so a cross-surface test compares what a model really receives, not
what this package meant to send. :func:`react_tool_block` is the text CrewAI puts in the
system prompt on the ReAct path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crewai.utilities.agent_utils import convert_tools_to_openai_schema, render_text_description_and_args

from .tools import OneClawCrewTools

if TYPE_CHECKING:
    from oneclaw_tools import Session

__all__ = ["react_tool_block", "tool_surface"]


def tool_surface(session: Session, *, prefix: str = "") -> list[dict[str, Any]]:
    """``[{"name", "description", "parameters"}]``: the function-calling schemas CrewAI sends."""
    tools = OneClawCrewTools(session, prefix=prefix).tools()
    openai_tools, _functions, _mapping = convert_tools_to_openai_schema(tools)
    return [
        {
            "name": entry["function"]["name"],
            "description": entry["function"]["description"],
            "parameters": entry["function"]["parameters"],
        }
        for entry in openai_tools
    ]


def react_tool_block(session: Session) -> str:
    """The tool descriptions CrewAI renders into the ReAct system prompt."""
    return render_text_description_and_args(OneClawCrewTools(session).tools())
