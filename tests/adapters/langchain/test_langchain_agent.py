"""The shared scenario in a real ``langchain.agents.create_agent`` loop, sync and async.

Only the LLM is scripted (``ScriptedChatModel`` asks the shared ``Script`` for each turn); the
graph, the tool node, the middleware, callbacks, tracers, ``astream_events``, the checkpointer
and logging are LangChain's own. The run goes list → describe → get → http_request with the
handle → the wrapped third-party echo tools (raw, base64, URL, JSON, lines) → a tool raising
with the value → an exfiltration attempt → rotate → share, then the user asks to print the value.

Everything recorded is searched for every canary in every encoding. If a leak test fails, the
message names the canary's index and encoding: find which recorder holds it by bisecting the
haystack, then fix the adapter path that copied it (never loosen the search). If ``check_flow``
fails, the scenario did not really happen (a tool errored where it should have worked), and a
clean haystack proves nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.globals import set_debug
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage, convert_to_openai_messages
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool
from langchain_oneclaw import OneClawGuardMiddleware, OneClawToolkit, wrap_tool
from langchain_oneclaw.testing import EventRecorder, RunCollector, ScriptedChatModel
from langgraph.checkpoint.memory import InMemorySaver

from oneclaw_tools.testing.scenario import (
    LEAK_PROMPT,
    USER_PROMPT,
    Script,
    assert_no_canary,
    third_party_tools,
)

pytestmark = pytest.mark.framework

SYSTEM = "You manage secrets through handles. Never ask for or print a secret value."


class Received:
    """What the wrapped third-party functions really got (kept out of every haystack)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def spy(self, name: str, func: Callable[[str], str]) -> Callable[[str], str]:
        def spied(text: str) -> str:
            self.calls.append((name, text))
            return func(text)

        spied.__name__ = name
        spied.__doc__ = func.__doc__
        return spied


def build(world: Any) -> tuple[Any, ScriptedChatModel, Script, Received, list[BaseTool], InMemorySaver]:
    script = Script(api_url=world.api.url)
    model = ScriptedChatModel(next_call=script.next_call, final_answer=script.final_answer())
    received = Received()
    third = [
        wrap_tool(
            StructuredTool.from_function(func=received.spy(name, func), name=name, description=description),
            world.session,
        )
        for name, (description, func) in third_party_tools().items()
    ]
    tools = OneClawToolkit(session=world.session).get_tools() + third
    saver = InMemorySaver()
    agent = create_agent(
        model,
        tools=tools,
        middleware=[OneClawGuardMiddleware(world.session)],
        system_prompt=SYSTEM,
        checkpointer=saver,
    )
    return agent, model, script, received, tools, saver


def check_flow(
    world: Any, script: Script, model: ScriptedChatModel, received: Received, tools: list[BaseTool]
) -> None:
    """The scenario really ran: every tool offered, the handle resolved where allowed, and so on."""
    script.check_flow()
    offered = {t["function"]["name"] for t in model.tools_seen}
    assert offered == {t.name for t in tools}
    # the wrapped echo tools got the real value (placeholder resolved just in time), boom ran too
    assert {name for name, _ in received.calls} == set(third_party_tools())
    assert all(text == world.canaries.api_token for _, text in received.calls)
    # the last model turn answered the LEAK_PROMPT without a tool call
    last_input = model.calls[-1][-1]
    assert isinstance(last_input, HumanMessage) and last_input.content == LEAK_PROMPT


def tool_messages(messages: list[Any]) -> dict[str, list[ToolMessage]]:
    out: dict[str, list[ToolMessage]] = {}
    for m in messages:
        if isinstance(m, ToolMessage):
            out.setdefault(str(m.name), []).append(m)
    return out


def check_errors_rendered(messages: list[Any]) -> None:
    by_name = tool_messages(messages)
    boom = by_name["boom"][0]
    assert boom.status == "error" and str(boom.content).startswith("Error (tool_failed): tool boom failed")
    refused = by_name["http_request"][1]
    assert refused.status == "error" and "may not be sent" in str(refused.content)
    assert all(m.artifact is None for ms in by_name.values() for m in ms)


def test_sync_agent_loop_leaks_nothing(lc_world: Any, lc_haystack: Any, caplog: Any, capsys: Any) -> None:
    """Sync ``invoke`` with callbacks, a tracer, ``set_debug`` console output, a checkpointer and logs."""
    caplog.set_level(logging.DEBUG)
    agent, model, script, received, tools, saver = build(lc_world)
    events, tracer = EventRecorder(), RunCollector()
    config: RunnableConfig = {
        "callbacks": [events, tracer],
        "configurable": {"thread_id": "sync"},
        "recursion_limit": 200,
    }
    set_debug(True)
    try:
        state = agent.invoke({"messages": [HumanMessage(USER_PROMPT)]}, config)
        state = agent.invoke({"messages": [HumanMessage(LEAK_PROMPT)]}, config)
    finally:
        set_debug(False)
    console = capsys.readouterr()

    check_flow(lc_world, script, model, received, tools)
    check_errors_rendered(state["messages"])
    assert isinstance(state["messages"][-1], AIMessage) and not state["messages"][-1].tool_calls
    assert {
        "on_chat_model_start",
        "on_llm_end",
        "on_tool_start",
        "on_tool_end",
        "on_chain_start",
    } <= events.names()
    assert {"llm", "tool", "chain"} <= tracer.run_types()
    assert console.out  # set_debug really printed the run

    snapshot = saver.get_tuple(config)
    history = list(agent.get_state_history(config))
    wire = [convert_to_openai_messages(msgs) for msgs in model.calls]
    assert_no_canary(
        lc_haystack(
            model.calls,
            wire,
            model.tools_seen,
            events.events,
            tracer.all_runs(),
            state,
            snapshot,
            history,
            console.out,
            console.err,
            caplog.text,
            [r.getMessage() for r in caplog.records],
        ),
        lc_world.canaries,
    )


async def test_async_agent_loop_leaks_nothing(lc_world: Any, lc_haystack: Any, caplog: Any) -> None:
    """``astream_events`` (v2) for the scenario, ``ainvoke`` for the leak prompt; everything recorded."""
    caplog.set_level(logging.DEBUG)
    agent, model, script, received, tools, saver = build(lc_world)
    events, tracer = EventRecorder(), RunCollector()
    config: RunnableConfig = {
        "callbacks": [events, tracer],
        "configurable": {"thread_id": "async"},
        "recursion_limit": 200,
    }
    streamed: list[Any] = []
    final: Any = None
    async for event in agent.astream_events({"messages": [HumanMessage(USER_PROMPT)]}, config, version="v2"):
        streamed.append(event)
        if event["event"] == "on_chain_end" and not event.get("parent_ids"):
            final = event["data"].get("output")
    assert final is not None and final["messages"]
    state = await agent.ainvoke({"messages": [HumanMessage(LEAK_PROMPT)]}, config)

    check_flow(lc_world, script, model, received, tools)
    check_errors_rendered(state["messages"])
    kinds = {e["event"] for e in streamed}
    assert {
        "on_chat_model_start",
        "on_chat_model_end",
        "on_tool_start",
        "on_tool_end",
        "on_chain_stream",
    } <= kinds
    assert {"on_chat_model_start", "on_tool_end"} <= events.names()

    snapshot = await saver.aget_tuple(config)
    wire = [convert_to_openai_messages(msgs) for msgs in model.calls]
    assert_no_canary(
        lc_haystack(
            model.calls,
            wire,
            events.events,
            tracer.all_runs(),
            streamed,
            final,
            state,
            snapshot,
            caplog.text,
            [r.getMessage() for r in caplog.records],
        ),
        lc_world.canaries,
    )


def test_haystack_would_catch_a_leak(lc_world: Any, lc_haystack: Any) -> None:
    """The search is not vacuous: a value that reaches a recorded message is found."""
    leaked = [HumanMessage("token: " + lc_world.canaries.api_token)]
    with pytest.raises(AssertionError, match="canary #"):
        assert_no_canary(lc_haystack(leaked), lc_world.canaries)


def test_demo_runs_and_passes_its_leak_check() -> None:
    """``oneclaw-tools demo --framework langchain`` dispatches here: every turn printed, check passed."""
    from oneclaw_tools.demo import run_demo

    lines: list[str] = []
    assert run_demo(echo=lines.append, framework="langchain") == 0
    assert any(line.startswith("--- model turn") for line in lines)
    assert lines[-1].startswith("no leak:")
