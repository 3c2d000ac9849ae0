"""``oneclaw-tools demo --framework llamaindex``: the shared scenario through a real ``FunctionAgent``.

An embedded vault in a temporary folder gets canary secrets; a small API on 127.0.0.1 requires
one of them. A ``FunctionAgent`` with the oneclaw tools and the scenario's third-party tools
(wrapped with :func:`wrap_tool`) is driven by the scripted model through list → describe → get →
use the handle → adversarial echoes → rotate → share, then a user turn asks it to print the value.
Every message the model received and every tool output is printed and, at the end, searched for
every canary in every common encoding.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent, ToolCall, ToolCallResult
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import (
    LEAK_PROMPT,
    USER_PROMPT,
    Script,
    assert_no_canary,
    local_api,
    scenario_policy,
    seed_canaries,
    third_party_tools,
)

from .base import OneClawToolSpec
from .scripted import ScriptedFunctionCallingLLM
from .wrap import wrap_tool

__all__ = ["SYSTEM_PROMPT", "arun_demo", "run_demo", "scenario_tools"]

Echo = Callable[[str], None]

SYSTEM_PROMPT = (
    "You manage credentials with the oneclaw tools. Secret values are never shown to you: use the "
    "handle placeholder {{secret:HANDLE}} wherever a tool needs the value, and never try to print it."
)


def _show(text: str, width: int = 300) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= width else text[:width] + f"… ({len(text)} chars)"


def scenario_tools(session: Session) -> list[FunctionTool]:
    """The oneclaw tools plus the scenario's third-party tools, each wrapped for placeholders."""
    tools = OneClawToolSpec(session).to_tool_list()
    for name, (description, func) in third_party_tools().items():
        tools.append(
            wrap_tool(FunctionTool.from_defaults(fn=func, name=name, description=description), session)
        )
    return tools


async def _turn(agent: FunctionAgent, ctx: Context, prompt: str, seen: list[Any], echo: Echo) -> str:
    echo(f"user   → {prompt}")
    handler = agent.run(user_msg=prompt, ctx=ctx)
    async for event in handler.stream_events():
        if isinstance(event, ToolCall) and not isinstance(event, ToolCallResult):
            echo(f"model  → {event.tool_name}({json.dumps(event.tool_kwargs)})")
        elif isinstance(event, ToolCallResult):
            output = event.tool_output
            seen.extend([output.content, output.raw_output, output.raw_input])
            flag = " [error]" if output.is_error else ""
            echo(f"tool   → model{flag}: {_show(output.content)}")
    answer = str(await handler)
    seen.append(answer)
    echo(f"model  → answer: {answer}")
    return answer


async def arun_demo(*, echo: Echo = print) -> int:
    """The demo as a coroutine (for notebooks and other running event loops)."""
    with tempfile.TemporaryDirectory(prefix="oneclaw-llamaindex-demo-") as tmp:
        with Session.local(Path(tmp) / "vault.db", policy=scenario_policy()) as session, local_api() as api:
            canaries = seed_canaries(session, api_host=api.host)
            api.token = canaries.api_token
            echo(f"vault: a temporary embedded vault with {len(canaries.values)} canary secrets")
            echo(f"api:   {api.url}/whoami requires the credential at demo/service_token")
            script = Script(api.url)
            llm = ScriptedFunctionCallingLLM(script)
            tools: list[Any] = [*scenario_tools(session)]
            agent = FunctionAgent(tools=tools, llm=llm, system_prompt=SYSTEM_PROMPT)
            ctx = Context(agent)
            seen: list[Any] = []
            await _turn(agent, ctx, USER_PROMPT, seen, echo)
            await _turn(agent, ctx, LEAK_PROMPT, seen, echo)
            script.check_flow()
            echo(
                f"the model was called {len(llm.seen)} times; the last call carried {len(llm.seen[-1])} messages"
            )
            seen.extend([llm.seen, llm.tools_seen])
            try:
                assert_no_canary(seen, canaries)
            except AssertionError as exc:
                echo(f"check FAILED: {exc}")
                return 1
    echo(
        f"check passed: none of the {len(canaries.values)} secret values appeared, raw or encoded, in "
        "anything the model received or in any tool output (content, raw_output, raw_input)."
    )
    return 0


def run_demo(*, echo: Echo = print) -> int:
    """Run the demo; returns 0 when the final no-leak check passes."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_demo(echo=echo))
    # called from inside a running loop (a notebook): run on a fresh loop in a thread
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(arun_demo(echo=echo))))
    thread.start()
    thread.join()
    return result[0] if result else 1
