"""The tool list exactly as an MCP client receives it, for the cross-surface equality test."""

from __future__ import annotations

import functools
from typing import Any

import anyio
from mcp.shared.memory import create_connected_server_and_client_session

from oneclaw_tools import Session

from .server import build_server

__all__ = ["atool_surface", "tool_surface"]


async def atool_surface(session: Session, *, prefix: str = "") -> list[dict[str, Any]]:
    """``list_tools`` over a real (in-memory) MCP client session; ``session`` stays open."""
    server = build_server(lambda: session, close_session=False, tool_prefix=prefix)
    async with create_connected_server_and_client_session(server) as client:
        listed = await client.list_tools()
    return [
        {"name": tool.name, "description": tool.description, "parameters": tool.inputSchema}
        for tool in listed.tools
    ]


def tool_surface(session: Session, *, prefix: str = "") -> list[dict[str, Any]]:
    """Sync form of :func:`atool_surface` (not callable from inside a running event loop)."""
    result: list[dict[str, Any]] = anyio.run(functools.partial(atool_surface, session, prefix=prefix))
    return result
