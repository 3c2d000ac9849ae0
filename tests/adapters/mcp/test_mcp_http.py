"""Streamable HTTP on 127.0.0.1 (uvicorn in a thread) with bearer authentication.

With the right token a real ``ClientSession`` runs the whole scenario; every MCP session gets
its own core session (handle store), closed when the client ends the MCP session. Without a
token, or with a wrong one, the server answers 401 before the MCP layer sees the request.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import World
from oneclaw_mcp import build_http_app
from oneclaw_mcp.testing.driver import scenario_extra_tools
from oneclaw_mcp.testing.host import McpRecorder, result_text, run_scenario

from oneclaw_tools.testing.scenario import DEMO_PATH, Script, assert_no_canary

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1, a free port; yields the endpoint URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(1000):  # bounded wait for startup, not a timing assertion
            if server.started or not thread.is_alive():
                break
            time.sleep(0.02)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture
def endpoint(mcp_world: World, token: str) -> Iterator[str]:
    app = build_http_app(mcp_world.make_session, token=token, extra_tools=scenario_extra_tools())
    with serve(app) as url:
        yield url


@contextlib.asynccontextmanager
async def connect(url: str, token: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(url, http_client=http) as (read, write, _session_id),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        yield client


async def _all_closed(world: World, count: int) -> None:
    with anyio.fail_after(20):  # the server ends the session after the client's DELETE
        while len(world.sessions) < count or not all(s.closed for s in world.sessions):
            await anyio.sleep(0.05)


@pytest.mark.slow
async def test_scenario_over_http_with_a_token_leaks_nothing(
    mcp_world: World, endpoint: str, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = McpRecorder()
    script = Script(api_url=mcp_world.api.url)
    async with connect(endpoint, token) as client:
        await run_scenario(client, script, recorder)
    await _all_closed(mcp_world, 1)

    script.check_flow()
    assert any(r.isError and "tool boom failed" in result_text(r) for r in recorder.results)
    assert_no_canary([recorder.everything(), caplog.text], mcp_world.canaries)


async def test_each_mcp_session_has_its_own_handle_store(mcp_world: World, endpoint: str, token: str) -> None:
    async with connect(endpoint, token) as first, connect(endpoint, token) as second:
        got = await first.call_tool("get_secret", {"path": DEMO_PATH})
        handle = result_text(got).split('"handle": "', 1)[1].split('"', 1)[0]
        own = await first.call_tool("echo_raw", {"text": "{{secret:" + handle + "}}"})
        foreign = await second.call_tool("echo_raw", {"text": "{{secret:" + handle + "}}"})
        assert len(mcp_world.sessions) == 2
    assert not own.isError and foreign.isError
    await _all_closed(mcp_world, 2)


WRONG = {
    "none": None,
    "wrong": "Bearer wrong-token",
    "prefix": "Bearer {token_prefix}",
    "longer": "Bearer {token}x",
    "basic": "Basic Zm9vOmJhcg==",
    "empty": "Bearer",
    "token-only": "{token}",
}


@pytest.mark.parametrize("kind", list(WRONG))
async def test_requests_without_the_token_get_401(
    mcp_world: World, endpoint: str, token: str, kind: str
) -> None:
    headers = dict(MCP_HEADERS)
    template = WRONG[kind]
    if template is not None:
        headers["Authorization"] = template.format(token=token, token_prefix=token[:-1])
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(endpoint, json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert mcp_world.sessions == [], "an unauthenticated request reached the MCP layer"


async def test_a_client_with_a_wrong_token_cannot_connect(mcp_world: World, endpoint: str) -> None:
    with pytest.raises(Exception) as failure:
        with anyio.fail_after(30):
            async with connect(endpoint, "not-the-token"):
                pass
    assert "401" in repr(failure.value.exceptions if hasattr(failure.value, "exceptions") else failure.value)
    assert mcp_world.sessions == []


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
async def test_the_right_token_is_accepted_on_a_raw_request(endpoint: str, token: str, scheme: str) -> None:
    headers = {**MCP_HEADERS, "Authorization": f"{scheme} {token}"}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(endpoint, json=INITIALIZE, headers=headers)
        assert response.status_code == 200
        session_id = response.headers["mcp-session-id"]
        ended = await http.delete(endpoint, headers={**headers, "mcp-session-id": session_id})
    assert ended.status_code == 200


async def test_foreign_host_header_is_refused_on_loopback(endpoint: str, token: str) -> None:
    """DNS rebinding: a page on evil.test resolving to 127.0.0.1 sends Host: evil.test."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}", "Host": "evil.test:80"}
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(endpoint, json=INITIALIZE, headers=headers)
    assert response.status_code in (400, 403, 421)


def test_no_token_is_refused_off_loopback(mcp_world: World) -> None:
    with pytest.raises(ValueError, match="bearer token"):
        build_http_app(mcp_world.make_session, token=None, loopback=False)


async def test_no_auth_on_loopback_serves_without_a_token(mcp_world: World) -> None:
    app = build_http_app(mcp_world.make_session, token=None)
    with serve(app) as url:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 200
