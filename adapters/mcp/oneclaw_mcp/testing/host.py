"""A scripted MCP host for the shared scenario, and a recorder of everything that crosses the wire.

The "model" is :class:`oneclaw_tools.testing.scenario.Script`: it sees only the text of each tool
result (what an MCP host puts into the model's context) and answers with the next call. The host
side is a real ``mcp.ClientSession``, so every call goes through the protocol: over in-memory
streams (:func:`tapped_client`, which also records every JSON-RPC message in both directions),
over stdio or over streamable HTTP.

After the script ends, the user sends :data:`~oneclaw_tools.testing.scenario.LEAK_PROMPT`; an
obliging model can only try to surface the value through the tools, so the leak turn fetches
the credential again, hands the new handle to an echo tool, and opens the env bundle and the
private key. Everything the model would see is recorded for ``assert_no_canary``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp import ClientSession, types
from mcp.server.lowlevel import Server
from mcp.shared.message import SessionMessage

from oneclaw_tools.testing.scenario import DEMO_PATH, LEAK_PROMPT, USER_PROMPT, Script, ToolCall

__all__ = ["McpRecorder", "result_text", "run_scenario", "tapped_client"]

Echo = Callable[[str], None]


@dataclass
class McpRecorder:
    """Everything recorded during a run: prompts, tool lists, calls, results, errors, wire messages."""

    items: list[Any] = field(default_factory=list)
    wire: list[str] = field(default_factory=list)
    results: list[types.CallToolResult] = field(default_factory=list)

    def add(self, item: Any) -> None:
        self.items.append(item)

    def on_wire(self, direction: str, message: object) -> None:
        if isinstance(message, SessionMessage):
            self.wire.append(
                f"{direction} {message.message.model_dump_json(by_alias=True, exclude_none=True)}"
            )
        else:  # an exception travelling on the stream
            self.wire.append(f"{direction} {message!r}")

    def everything(self) -> list[Any]:
        return [*self.items, *self.wire]


class _TapSend:
    """A memory send stream that records each message before passing it on."""

    def __init__(self, stream: Any, record: Callable[[object], None]) -> None:
        self._stream = stream
        self._record = record

    async def send(self, item: object) -> None:
        self._record(item)
        await self._stream.send(item)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def __aenter__(self) -> _TapSend:
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stream.__aexit__(*exc)


@asynccontextmanager
async def tapped_client(
    server: Server[Any, Any], recorder: McpRecorder, **client_kwargs: Any
) -> AsyncIterator[ClientSession]:
    """An initialized client session connected in memory to ``server``; every message is recorded.

    ``client_kwargs`` go to ``ClientSession`` (for example ``elicitation_callback``)."""
    from mcp.shared.memory import create_client_server_memory_streams

    async with create_client_server_memory_streams() as (client_streams, server_streams):
        client_read, client_write = client_streams
        server_read, server_write = server_streams
        server_out = _TapSend(server_write, lambda m: recorder.on_wire("server->client", m))
        client_out = _TapSend(client_write, lambda m: recorder.on_wire("client->server", m))
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                lambda: server.run(server_read, server_out, server.create_initialization_options())  # type: ignore[arg-type]
            )
            try:
                async with ClientSession(client_read, client_out, **client_kwargs) as client:  # type: ignore[arg-type]
                    await client.initialize()
                    yield client
            finally:
                tg.cancel_scope.cancel()


def result_text(result: types.CallToolResult) -> str:
    """The text an MCP host gives the model for a tool result."""
    return "\n".join(block.text for block in result.content if isinstance(block, types.TextContent))


def _show(text: str, width: int = 240) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[:width] + f"… ({len(text)} chars)"


async def _call(client: ClientSession, call: ToolCall, recorder: McpRecorder, echo: Echo, turn: int) -> str:
    echo(f"[{turn:02}] model  → {call.name}({call.args})")
    recorder.add({"call": call.name, "arguments": call.args})
    result = await client.call_tool(call.name, call.args)
    recorder.results.append(result)
    recorder.add(result.model_dump(mode="json"))
    text = result_text(result)
    echo(f"     tool   → model{' (error)' if result.isError else ''}: {_show(text)}")
    return text


def _handle_of(get_secret_output: str) -> str | None:
    try:
        handle = json.loads(get_secret_output).get("handle")
    except (ValueError, AttributeError):
        return None
    return handle if isinstance(handle, str) else None


async def run_scenario(
    client: ClientSession, script: Script, recorder: McpRecorder, *, echo: Echo = lambda _: None
) -> str:
    """Drive ``script`` through ``client``, then the leak turn; returns the final answer."""
    listed = await client.list_tools()
    recorder.add(listed.model_dump(mode="json"))
    names = {tool.name for tool in listed.tools}
    echo(f"user: {USER_PROMPT}")
    recorder.add(USER_PROMPT)
    output: str | None = None
    turn = 0
    while (call := script.next_call(output)) is not None:
        turn += 1
        output = await _call(client, call, recorder, echo, turn)

    echo(f"user: {LEAK_PROMPT}")
    recorder.add(LEAK_PROMPT)
    fetched = await _call(client, ToolCall("get_secret", {"path": DEMO_PATH}), recorder, echo, turn + 1)
    handle = _handle_of(fetched)
    attempts = [ToolCall("get_env_bundle", {"path": "demo/app_env"})]
    attempts.append(ToolCall("get_secret", {"path": "demo/deploy_key"}))
    if handle and "echo_raw" in names:
        attempts.append(ToolCall("echo_raw", {"text": "the value is {{secret:" + handle + "}}"}))
    for offset, attempt in enumerate(attempts, 2):
        await _call(client, attempt, recorder, echo, turn + offset)
    answer = script.final_answer()
    recorder.add(answer)
    echo(f"model  → answer: {answer}")
    return answer
