"""``wrap_tool``: placeholders resolved just in time, outputs scrubbed, callbacks kept clean.

The scenario's demo credential allows the third-party tools named in ``THIRD_PARTY_TOOLS``
(``echo_raw`` ...), so the tools here borrow those names; ``other_tool`` is not allowed. A test
that finds a canary in a callback event means the inner tool ran inside LangChain's callback
machinery: check that ``GuardedTool`` calls ``_run``/``_arun`` directly with the run config
cleared.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.globals import set_debug
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, Tool, tool
from langchain_oneclaw import GuardedTool, OneClawGuardMiddleware, OneClawToolkit, wrap_tool
from langchain_oneclaw.testing import EventRecorder, ScriptedChatModel

from oneclaw_tools.testing.scenario import DEMO_PATH, ToolCall, assert_no_canary

pytestmark = pytest.mark.framework


def handle_of(world: Any) -> str:
    return str(world.session.call("get_secret", {"path": DEMO_PATH})["handle"])


def call(name: str, text: str) -> dict[str, Any]:
    return {"type": "tool_call", "id": "c1", "name": name, "args": {"text": text}}


class Inner:
    def __init__(self) -> None:
        self.got: list[str] = []

    def tool(self, name: str = "echo_raw") -> BaseTool:
        def echo(text: str) -> str:
            self.got.append(text)
            return f"received: {text}"

        async def aecho(text: str) -> str:
            self.got.append(text)
            return f"async received: {text}"

        return StructuredTool.from_function(
            func=echo, coroutine=aecho, name=name, description="Echo the text."
        )


def test_placeholder_resolved_and_output_scrubbed(lc_world: Any, lc_haystack: Any, capsys: Any) -> None:
    inner = Inner()
    wrapped = wrap_tool(inner.tool(), lc_world.session)
    events = EventRecorder()
    set_debug(True)
    try:
        out = wrapped.invoke(
            call("echo_raw", "Bearer {{secret:" + handle_of(lc_world) + "}}"), {"callbacks": [events]}
        )
    finally:
        set_debug(False)
    console = capsys.readouterr()
    assert inner.got == ["Bearer " + lc_world.canaries.api_token]
    assert isinstance(out, ToolMessage) and out.status == "success" and "[secret:" in str(out.content)
    assert {"on_tool_start", "on_tool_end"} <= events.names()
    assert_no_canary(lc_haystack(out, events.events, console.out, console.err), lc_world.canaries)


async def test_async_path(lc_world: Any, lc_haystack: Any) -> None:
    inner = Inner()
    wrapped = wrap_tool(inner.tool(), lc_world.session)
    events = EventRecorder()
    out = await wrapped.ainvoke(
        call("echo_raw", "{{secret:" + handle_of(lc_world) + "}}"), {"callbacks": [events]}
    )
    assert inner.got == [lc_world.canaries.api_token]
    assert out.content.startswith("async received: [secret:")
    assert_no_canary(lc_haystack(out, events.events), lc_world.canaries)


def test_handle_not_allowed_for_this_tool(lc_world: Any, lc_haystack: Any) -> None:
    inner = Inner()
    wrapped = wrap_tool(inner.tool("other_tool"), lc_world.session)
    out = wrapped.invoke(call("other_tool", "{{secret:" + handle_of(lc_world) + "}}"))
    assert inner.got == []
    assert out.status == "error" and out.content.startswith("Error 403")
    assert_no_canary(lc_haystack(out), lc_world.canaries)


def test_raw_value_in_arguments_is_refused(lc_world: Any, lc_haystack: Any) -> None:
    inner = Inner()
    handle_of(lc_world)  # the guard learns the value
    wrapped = wrap_tool(inner.tool(), lc_world.session)
    events = EventRecorder()
    out = wrapped.invoke(call("echo_raw", lc_world.canaries.api_token), {"callbacks": [events]})
    assert inner.got == []
    assert out.status == "error" and "contain a secret value" in out.content
    assert_no_canary(lc_haystack(out), lc_world.canaries)


def test_exception_carrying_the_value_becomes_a_safe_error(lc_world: Any, lc_haystack: Any) -> None:
    def boom(text: str) -> str:
        raise RuntimeError(f"upstream rejected {text}")

    wrapped = wrap_tool(
        StructuredTool.from_function(boom, name="boom", description="Fails."), lc_world.session
    )
    events = EventRecorder()
    out = wrapped.invoke(call("boom", "{{secret:" + handle_of(lc_world) + "}}"), {"callbacks": [events]})
    assert out.status == "error" and out.content == "Error (tool_failed): tool boom failed (RuntimeError)."
    assert "on_tool_error" not in events.names()  # handled: the exception object never reaches callbacks
    assert_no_canary(lc_haystack(out, events.events), lc_world.canaries)


def test_runnables_inside_the_tool_are_not_traced(lc_world: Any, lc_haystack: Any) -> None:
    """A tool that runs a Runnable with the resolved value must not report it to our callbacks."""
    seen: list[str] = []

    def uses_runnable(text: str) -> str:
        seen.append(RunnableLambda(lambda x: x.upper()).invoke(text))
        return "ok"

    wrapped = wrap_tool(
        StructuredTool.from_function(uses_runnable, name="echo_raw", description="x"), lc_world.session
    )
    events = EventRecorder()
    wrapped.invoke(call("echo_raw", "{{secret:" + handle_of(lc_world) + "}}"), {"callbacks": [events]})
    assert seen == [lc_world.canaries.api_token.upper()]
    assert "on_chain_start" not in events.names()
    assert_no_canary(lc_haystack(events.events), lc_world.canaries)


def test_content_and_artifact_both_scrubbed(lc_world: Any, lc_haystack: Any) -> None:
    @tool(response_format="content_and_artifact")
    def echo_json(text: str) -> tuple[str, dict[str, str]]:
        """Echo into content and artifact."""
        return f"got {text}", {"raw": text}

    wrapped = wrap_tool(echo_json, lc_world.session)
    assert wrapped.response_format == "content_and_artifact"
    out = wrapped.invoke(call("echo_json", "{{secret:" + handle_of(lc_world) + "}}"))
    assert "[secret:" in out.content and "[secret:" in out.artifact["raw"]
    assert_no_canary(lc_haystack(out), lc_world.canaries)


def test_single_input_tool(lc_world: Any, lc_haystack: Any) -> None:
    got: list[str] = []

    def echo(text: str) -> str:
        got.append(text)
        return text

    wrapped = wrap_tool(Tool(name="echo_lines", func=echo, description="Echo."), lc_world.session)
    out = wrapped.invoke("{{secret:" + handle_of(lc_world) + "}}")
    assert got == [lc_world.canaries.api_token]
    assert_no_canary(lc_haystack(out), lc_world.canaries)


def test_invalid_arguments_never_echo_the_input(lc_world: Any, lc_haystack: Any) -> None:
    inner = Inner()
    wrapped = wrap_tool(inner.tool(), lc_world.session)
    out = wrapped.invoke(
        {
            "type": "tool_call",
            "id": "c1",
            "name": "echo_raw",
            "args": {"text": {"v": lc_world.canaries.api_token}},
        }
    )
    assert (
        inner.got == [] and out.status == "error" and out.content.startswith("Error 400 (invalid_argument)")
    )
    assert_no_canary(lc_haystack(out), lc_world.canaries)


def test_same_surface_and_idempotent(lc_world: Any) -> None:
    original = Inner().tool()
    wrapped = wrap_tool(original, lc_world.session)
    assert isinstance(wrapped, GuardedTool) and wrap_tool(wrapped, lc_world.session) is wrapped
    assert (wrapped.name, wrapped.description) == (original.name, original.description)
    assert wrapped.tool_call_schema.model_json_schema() == original.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
    assert "Session(" not in repr(wrapped)


def test_injected_arguments_still_work_inside_create_agent(lc_world: Any, lc_haystack: Any) -> None:
    """Tools taking ``ToolRuntime`` or ``InjectedToolCallId`` keep them when wrapped."""
    got: list[tuple[str, str]] = []

    @tool
    def echo_raw(text: str, runtime: ToolRuntime) -> str:
        """Echo, reading the agent state."""
        got.append((text, ",".join(sorted(runtime.state))))
        return f"got {text}"

    @tool
    def echo_b64(text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> str:
        """Echo, knowing the call id."""
        got.append((text, tool_call_id))
        return f"got {text}"

    handle: list[str] = []

    def next_call(last: str | None) -> ToolCall | None:
        if last is None:
            return ToolCall("get_secret", {"path": DEMO_PATH})
        if not handle:
            handle.append(json.loads(last)["handle"])
            return ToolCall("echo_raw", {"text": "{{secret:" + handle[0] + "}}"})
        if len(got) == 1:
            return ToolCall("echo_b64", {"text": "{{secret:" + handle[0] + "}}"})
        return None

    model = ScriptedChatModel(next_call=next_call)
    tools = [
        *OneClawToolkit(session=lc_world.session).get_tools(),
        *(wrap_tool(t, lc_world.session) for t in (echo_raw, echo_b64)),
    ]
    agent = create_agent(model, tools=tools, middleware=[OneClawGuardMiddleware(lc_world.session)])
    state = agent.invoke({"messages": [HumanMessage("go")]})
    token = lc_world.canaries.api_token
    assert got == [(token, "messages"), (token, "call_3")]
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in model.tools_seen}
    assert list(schemas["echo_raw"]["properties"]) == ["text"] == list(schemas["echo_b64"]["properties"])
    assert_no_canary(lc_haystack(model.calls, state), lc_world.canaries)


def test_guard_tools_wraps_theirs_and_keeps_ours(lc_world: Any) -> None:
    """One call over the agent's whole list: ours unchanged, every other tool wrapped once."""
    from langchain_oneclaw import guard_tools

    ours = OneClawToolkit(session=lc_world.session).get_tools()
    theirs = Inner().tool()
    guarded = guard_tools([*ours, theirs], lc_world.session)
    assert guarded[: len(ours)] == ours
    assert isinstance(guarded[-1], GuardedTool) and guarded[-1].name == theirs.name
    assert guard_tools(guarded, lc_world.session) == guarded  # idempotent


def test_the_middleware_alone_guards_an_unwrapped_tool_in_callbacks(lc_world: Any, lc_haystack: Any) -> None:
    """``create_agent`` with a raw third-party tool and only the middleware: the tool gets the
    value just in time, yet no callback event, no message and no state holds it."""
    inner = Inner()
    handle = handle_of(lc_world)
    steps = iter([ToolCall("echo_raw", {"text": "{{secret:" + handle + "}}"})])
    model = ScriptedChatModel(next_call=lambda _out: next(steps, None))
    agent = create_agent(model, tools=[inner.tool()], middleware=[OneClawGuardMiddleware(lc_world.session)])
    events = EventRecorder()
    state = agent.invoke({"messages": [HumanMessage("go")]}, {"callbacks": [events]})
    assert inner.got == [lc_world.canaries.api_token]
    (message,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert "received:" in str(message.content)
    assert {"on_tool_start", "on_tool_end"} <= events.names()
    assert_no_canary(lc_haystack(state, events.events, model.calls), lc_world.canaries)
