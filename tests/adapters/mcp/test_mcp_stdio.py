"""The ``oneclaw-mcp`` console script over real stdio, driven by a real MCP ``ClientSession``.

The server process is configured only the way a user configures it (environment variables and
flags): the embedded vault in ``tmp_path`` through ``ONECLAW_LOCAL_VAULT``, loopback HTTP for the
scenario's local API, and the scenario's third-party tools through ``--wrap``. The server's
stderr is recorded too. If the process fails to start, read the recorded stderr in the failure.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp_helpers import World
from oneclaw_mcp.testing.host import McpRecorder, result_text, run_scenario

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import Script, assert_no_canary, scenario_policy

pytestmark = pytest.mark.slow


def _server(world: World, tmp_path: Path, *args: str) -> StdioServerParameters:
    exe = shutil.which("oneclaw-mcp", path=str(Path(sys.executable).parent))
    assert exe, "the oneclaw-mcp console script is not installed in this environment"
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"ONECLAW_LOCAL_VAULT": str(world.vault), "HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return StdioServerParameters(command=exe, args=list(args), env=env)


async def test_scenario_over_stdio_leaks_nothing(mcp_world: World, tmp_path: Path) -> None:
    params = _server(
        mcp_world,
        tmp_path,
        "stdio",
        "--allow-http-loopback",
        "--share-recipient",
        "ops@example.com",  # the scenario shares with this address: the operator allows it
        "--wrap",
        "oneclaw_tools.testing.scenario:THIRD_PARTY_TOOLS",
    )
    recorder = McpRecorder()
    script = Script(api_url=mcp_world.api.url)
    errlog_path = tmp_path / "server-stderr.txt"
    with errlog_path.open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            await run_scenario(client, script, recorder)
    stderr = errlog_path.read_text()

    script.check_flow()
    assert any(r.isError and "tool boom failed" in result_text(r) for r in recorder.results)
    assert_no_canary([recorder.everything(), stderr], mcp_world.canaries)


async def test_default_transport_is_stdio_and_lists_the_specs(mcp_world: World, tmp_path: Path) -> None:
    params = _server(mcp_world, tmp_path)  # no sub-command at all
    with (tmp_path / "stderr.txt").open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            listed = (await client.list_tools()).tools
            denied = await client.call_tool(
                "http_request", {"method": "GET", "url": mcp_world.api.url + "/whoami"}
            )
    with Session.local(mcp_world.vault, policy=scenario_policy()) as session:
        expected = [(s.name, s.description, s.json_schema()) for s in session.specs]
    assert [(t.name, t.description, t.inputSchema) for t in listed] == expected
    # without --allow-http-loopback the operator's default policy refuses plain http to loopback
    assert denied.isError and "403" in result_text(denied), result_text(denied)
    print(result_text(denied))
