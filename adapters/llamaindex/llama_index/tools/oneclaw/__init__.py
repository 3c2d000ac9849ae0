"""LlamaIndex tools for 1Claw-style secrets: the agent gets handles, never values.

>>> from llama_index.tools.oneclaw import OneClawToolSpec
>>> tools = OneClawToolSpec(Session.local("vault.db")).to_tool_list()

* :class:`OneClawToolSpec`: every tool of the core as a ``FunctionTool`` (sync and async).
* :func:`guard_agent`: the one call that guards every tool of an agent or an ``AgentWorkflow``
  (ours as they are, every third-party tool wrapped); :func:`guard_tools` does it for a list.
* :func:`wrap_tool`: any existing LlamaIndex tool, with ``{{secret:HANDLE}}`` placeholders
  resolved just in time and its output scrubbed.
* :func:`tool_surface`: the tools as LlamaIndex presents them to a model.
"""

from oneclaw_tools import __version__

from .approval import ApprovalRequiredEvent
from .base import OneClawToolSpec, tool_surface
from .wrap import guard_agent, guard_tools, wrap_tool, wrap_tools

__all__ = [
    "ApprovalRequiredEvent",
    "OneClawToolSpec",
    "__version__",
    "guard_agent",
    "guard_tools",
    "tool_surface",
    "wrap_tool",
    "wrap_tools",
]
