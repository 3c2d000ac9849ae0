"""oneclaw-mcp: the oneclaw-tools secret tools as an MCP server (stdio and streamable HTTP).

The model gets handles, masked previews and metadata, never a secret value; every result and
error text passes the session's redaction guard. See :mod:`oneclaw_mcp.server` for the contract.
"""

from oneclaw_tools import __version__

from .server import SERVER_NAME, SessionFactory, WrappedTool, build_server, spec_to_tool, wrap_function
from .surface import atool_surface, tool_surface
from .transports import BearerAuth, build_http_app, run_stdio, serve_http

__all__ = [
    "SERVER_NAME",
    "BearerAuth",
    "SessionFactory",
    "WrappedTool",
    "__version__",
    "atool_surface",
    "build_http_app",
    "build_server",
    "run_stdio",
    "serve_http",
    "spec_to_tool",
    "tool_surface",
    "wrap_function",
]
