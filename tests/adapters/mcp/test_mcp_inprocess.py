"""The MCP server through a real ``ClientSession`` over in-memory streams.

Every JSON-RPC message in both directions, every result and error, and every log record (all
loggers, DEBUG) is searched for the canaries. If the scenario test fails on the flow check,
the server did not run the turn it claims (see the printed transcript); if it fails on a canary,
the message names the encoding and the offset in the recorded haystack.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import pytest
from mcp import types
from mcp_helpers import TrackedSession, World
from oneclaw_mcp import WrappedTool, build_server, spec_to_tool, wrap_function
from oneclaw_mcp.testing.driver import McpDriver, scenario_extra_tools
from oneclaw_mcp.testing.host import McpRecorder, result_text, run_scenario, tapped_client

from oneclaw_tools import Session
from oneclaw_tools.testing.driver import Played
from oneclaw_tools.testing.scenario import DEMO_PATH, Script, assert_no_canary, scenario_policy
from oneclaw_tools.testing.surface import SurfaceConformanceTests


class TestInProcess(SurfaceConformanceTests):
    """The surface conformance suite over a real in-memory MCP client session: every JSON-RPC
    message in both directions, every result and error, and every log record is searched."""

    def make_driver(self) -> McpDriver:
        return McpDriver()

    def test_results_are_text_and_errors_are_iserror(self, played: tuple[Played, str]) -> None:
        recorder: McpRecorder = played[0].run.details["recorder"]
        errors = [result_text(r) for r in recorder.results if r.isError]
        assert any("tool boom failed" in t for t in errors), errors
        assert any("may not be sent" in t for t in errors), errors
        assert all(r.content and isinstance(r.content[0], types.TextContent) for r in recorder.results)
        assert recorder.wire, "the tap saw no JSON-RPC traffic"


async def test_scenario_session_is_closed_with_the_mcp_session(mcp_world: World) -> None:
    """Each MCP session gets its own session (handle store), closed when the MCP session ends."""
    recorder = McpRecorder()
    script = Script(api_url=mcp_world.api.url)
    server = build_server(mcp_world.make_session, extra_tools=scenario_extra_tools())
    async with tapped_client(server, recorder) as client:
        await run_scenario(client, script, recorder)
    script.check_flow()
    assert len(mcp_world.sessions) == 1 and mcp_world.sessions[0].closed, "the MCP session's handle store"


async def test_tool_list_is_the_core_specs(mcp_world: World) -> None:
    recorder = McpRecorder()
    async with tapped_client(build_server(mcp_world.make_session), recorder) as client:
        listed = (await client.list_tools()).tools
    session = mcp_world.sessions[0]
    assert [(t.name, t.description, t.inputSchema) for t in listed] == [
        (s.name, s.description, s.json_schema()) for s in session.specs
    ]
    assert [t.annotations.readOnlyHint if t.annotations else None for t in listed] == [
        s.read_only for s in session.specs
    ]
    assert [spec_to_tool(s) for s in session.specs] == listed


async def test_policy_filters_the_listed_tools(mcp_world: World) -> None:
    def read_only() -> Session:
        return Session.local(mcp_world.vault, policy=scenario_policy(read_only=True))

    async with tapped_client(build_server(read_only), McpRecorder()) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        refused = await client.call_tool("put_secret", {"path": "demo/x", "value": "v" * 20})
    assert "put_secret" not in names and "list_secrets" in names
    assert refused.isError and "no such tool" in result_text(refused)


async def test_tool_error_is_an_iserror_result_with_the_safe_text(mcp_world: World) -> None:
    async with tapped_client(build_server(mcp_world.make_session), McpRecorder()) as client:
        result = await client.call_tool("get_secret", {"path": "demo/missing"})
    assert result.isError
    assert result_text(result).startswith("Error 404 (not_found)")
    assert "list_secrets" in result_text(result)


async def test_argument_errors_come_from_the_core_and_never_echo_the_argument(mcp_world: World) -> None:
    """The SDK's own jsonschema check would answer "<value> is not of type 'string'"; it is off."""
    marker = "CANARYarg" + secrets.token_hex(12)
    async with tapped_client(build_server(mcp_world.make_session), McpRecorder()) as client:
        result = await client.call_tool("get_secret", {"path": [marker]})
    assert result.isError
    assert result_text(result).startswith("Error 400 (invalid_argument): argument 'path'")
    assert marker not in result_text(result)


class CrashingSession(TrackedSession):
    """A session whose tools crash with an exception that carries a secret."""

    leaked = ""

    async def acall_text(self, name: str, args: Any = None) -> str:
        raise RuntimeError(f"backend exploded with {self.leaked}")


async def test_unexpected_crash_shows_only_that_the_tool_failed(
    mcp_world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    value = mcp_world.canaries.values[DEMO_PATH]

    def factory() -> Session:
        session = CrashingSession.local(mcp_world.vault, policy=scenario_policy())
        assert isinstance(session, CrashingSession)
        session.leaked = value
        return session

    async with tapped_client(build_server(factory), McpRecorder()) as client:
        result = await client.call_tool("list_secrets", {})
    assert result.isError
    assert result_text(result) == "Error: tool list_secrets failed."
    assert_no_canary([result.model_dump(mode="json"), caplog.text], mcp_world.canaries)


async def test_handles_belong_to_one_mcp_session(mcp_world: World) -> None:
    server = build_server(mcp_world.make_session, extra_tools=scenario_extra_tools())
    async with tapped_client(server, McpRecorder()) as first:
        got = await first.call_tool("get_secret", {"path": DEMO_PATH})
        handle = result_text(got).split('"handle": "', 1)[1].split('"', 1)[0]
        used = await first.call_tool("echo_raw", {"text": "{{secret:" + handle + "}}"})
    assert not used.isError
    async with tapped_client(server, McpRecorder()) as second:
        foreign = await second.call_tool("echo_raw", {"text": "{{secret:" + handle + "}}"})
    assert foreign.isError, "a handle from another MCP session resolved"
    assert [s.closed for s in mcp_world.sessions] == [True, True]


async def test_wrapped_tool_refuses_a_handle_not_bound_to_it(mcp_world: World) -> None:
    server = build_server(mcp_world.make_session, extra_tools=scenario_extra_tools())
    async with tapped_client(server, McpRecorder()) as client:
        got = await client.call_tool("get_secret", {"path": "demo/db_password"})
        handle = result_text(got).split('"handle": "', 1)[1].split('"', 1)[0]
        refused = await client.call_tool("echo_raw", {"text": "{{secret:" + handle + "}}"})
    assert refused.isError and "403" in result_text(refused)
    assert_no_canary([refused.model_dump(mode="json")], mcp_world.canaries)


def test_extra_tools_cannot_shadow_core_tools(mcp_world: World) -> None:
    fake = WrappedTool(name="get_secret", description="not ours", func=lambda: "x")
    with pytest.raises(ValueError, match="shadow"):
        build_server(mcp_world.make_session, extra_tools=[fake])


def test_wrap_function_schema_follows_the_signature() -> None:
    def lookup(query: str, limit: int = 5) -> str:
        return query * limit

    tool = wrap_function("lookup", "Look something up.", lookup)
    assert tool.input_schema["required"] == ["query"]
    assert tool.input_schema["properties"]["limit"] == {"default": 5, "title": "Limit", "type": "integer"}
    with pytest.raises(TypeError):
        wrap_function("bad", "no", lambda **kw: kw)


def test_demo_passes_its_own_check() -> None:
    """``oneclaw-tools demo --framework mcp`` finds the driver by its entry point."""
    from oneclaw_tools.demo import run_demo

    lines: list[str] = []
    assert run_demo(echo=lines.append, framework="mcp") == 0
    assert lines[-1].startswith("check passed:")
    assert any("share_secret" in line for line in lines)


def test_public_api_is_pinned() -> None:
    """``oneclaw_mcp.__all__`` is API: change it on purpose, here and in the README."""
    import oneclaw_mcp

    assert sorted(oneclaw_mcp.__all__) == [
        "BearerAuth",
        "SERVER_NAME",
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
    assert all(hasattr(oneclaw_mcp, name) for name in oneclaw_mcp.__all__)
    assert oneclaw_mcp.__version__ == __import__("oneclaw_tools").__version__


async def test_tool_prefix_names_and_calls(mcp_world: World) -> None:
    """With ``tool_prefix`` our tools answer to the prefixed names only."""
    server = build_server(mcp_world.make_session, tool_prefix="oneclaw_", extra_tools=scenario_extra_tools())
    async with tapped_client(server, McpRecorder()) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        listed = await client.call_tool("oneclaw_list_secrets", {"prefix": "demo/"})
        unprefixed = await client.call_tool("list_secrets", {"prefix": "demo/"})
    assert "oneclaw_get_secret" in names and "get_secret" not in names and "echo_raw" in names
    assert not listed.isError and DEMO_PATH in result_text(listed)
    assert unprefixed.isError and "no such tool" in result_text(unprefixed)
