"""Every tool, defined once. Adapters loop over :data:`ALL_TOOLS` through a session."""

from __future__ import annotations

from .base import Args, ToolSpec
from .http import HTTP_TOOL
from .request_tools import REQUEST_TOOLS
from .share_tools import SHARE_TOOLS
from .vault_tools import VAULT_TOOLS

__all__ = ["ALL_TOOLS", "TOOL_NAMES", "Args", "ToolSpec"]

ALL_TOOLS: tuple[ToolSpec, ...] = (*VAULT_TOOLS, *SHARE_TOOLS, HTTP_TOOL, *REQUEST_TOOLS)
TOOL_NAMES: tuple[str, ...] = tuple(t.name for t in ALL_TOOLS)
