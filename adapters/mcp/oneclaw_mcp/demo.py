"""``oneclaw-tools demo --framework mcp``: the shared scenario through a real MCP client session.

An embedded vault in a temporary folder gets the canary secrets; the server (our tools plus the
scenario's third-party echo tools, wrapped) runs in-process and a ``ClientSession`` talks to it
over memory streams, so every call is a real JSON-RPC round trip. The scripted model sees each
result's text; the run ends with the no-leak check over every result, error and wire message.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import anyio

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import (
    Script,
    assert_no_canary,
    local_api,
    scenario_policy,
    seed_canaries,
    third_party_tools,
)

from .server import WrappedTool, build_server, wrap_function
from .testing import McpRecorder, run_scenario, tapped_client

__all__ = ["run_demo", "scenario_extra_tools"]


def scenario_extra_tools() -> list[WrappedTool]:
    """The scenario's third-party tools (echoes and ``boom``), served through the wrapper."""
    return [
        wrap_function(name, description, func) for name, (description, func) in third_party_tools().items()
    ]


def run_demo(*, echo: Callable[[str], None] = print) -> int:
    """Run the scripted scenario over MCP; print what the model saw; 0 if nothing leaked."""
    with tempfile.TemporaryDirectory(prefix="oneclaw-mcp-demo-") as tmp, local_api() as api:
        vault = Path(tmp) / "vault.db"
        with Session.local(vault, policy=scenario_policy()) as seeding:
            canaries = seed_canaries(seeding, api_host=api.host)
        api.token = canaries.api_token
        script = Script(api_url=api.url)
        recorder = McpRecorder()
        server = build_server(
            lambda: Session.local(vault, policy=scenario_policy()), extra_tools=scenario_extra_tools()
        )

        async def main() -> None:
            async with tapped_client(server, recorder) as client:
                await run_scenario(client, script, recorder, echo=echo)

        anyio.run(main)
        try:
            script.check_flow()
            assert_no_canary(recorder.everything(), canaries)
        except AssertionError as exc:
            echo(f"FAILED: {exc}")
            return 1
        echo(
            f"no leak: {len(canaries.values)} secrets checked in {len(recorder.results)} tool results and "
            f"{len(recorder.wire)} JSON-RPC messages"
        )
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_demo())
