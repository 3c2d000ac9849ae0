"""The shared scenario through a real MCP client session, over in-memory streams.

The server serves our tools plus the scenario's third-party tools, guarded the way an operator
serves their own (``extra_tools`` / ``oneclaw-mcp --wrap``); a ``ClientSession`` talks to it, so
every call is a real JSON-RPC round trip. The scripted host sees each result's text; the run
records every result, error and wire message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio

from oneclaw_tools import Session
from oneclaw_tools.testing.driver import AgentRun, SurfaceDriver, ThirdParty
from oneclaw_tools.testing.scenario import Script, third_party_tools

from ..server import WrappedTool, build_server, wrap_function
from ..surface import tool_surface
from .host import McpRecorder, run_scenario, tapped_client

__all__ = ["McpDriver", "scenario_extra_tools"]


def scenario_extra_tools() -> list[WrappedTool]:
    """The scenario's third-party tools (echoes and ``boom``), for ``oneclaw-mcp --wrap``."""
    return [
        wrap_function(name, description, func) for name, (description, func) in third_party_tools().items()
    ]


class McpDriver(SurfaceDriver):
    name = "mcp"
    module = "oneclaw_mcp"

    def tool_names(self, session: Session) -> list[str]:
        return [tool["name"] for tool in tool_surface(session)]

    def run_agent(
        self, session: Session, script: Script, third_party: ThirdParty, prompts: Sequence[str]
    ) -> AgentRun:
        extra = [wrap_function(name, description, func) for name, (description, func) in third_party.items()]
        server = build_server(lambda: session, close_session=False, extra_tools=extra)
        recorder = McpRecorder()
        answers: list[str] = []

        async def main() -> None:
            async with tapped_client(server, recorder) as client:
                answers.append(await run_scenario(client, script, recorder))

        anyio.run(main)
        listed: dict[str, Any] = recorder.items[0]
        offered = [tool["name"] for tool in listed["tools"]]
        details = {"recorder": recorder}
        return AgentRun(answers=answers, offered=offered, recorded=recorder.everything(), details=details)
