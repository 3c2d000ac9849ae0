"""``OneClawGuardMiddleware`` on third-party tools that were NOT wrapped.

Careless tools return the value in their content, in an artifact, inside a ``Command``, or raise
with it. After ``get_secret`` the guard knows the value, and the middleware must keep it out of
every message the model is given (objects, artifacts included, and the wire format), out of the
agent state and out of the checkpoint; crashes must become safe error messages.

The control test runs the same loop without the middleware and must find the leak, so a broken
recorder cannot make the guarded test pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage, convert_to_openai_messages
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, InjectedToolCallId, StructuredTool, ToolException, tool
from langchain_oneclaw import OneClawGuardMiddleware, OneClawToolkit
from langchain_oneclaw.testing import EventRecorder, ScriptedChatModel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from oneclaw_tools.testing.scenario import DEMO_PATH, ToolCall, assert_no_canary

pytestmark = pytest.mark.framework

LEAKY = ["leak_content", "leak_artifact", "leak_command", "leak_raise", "leak_tool_exception"]


def careless_tools(value: str) -> list[BaseTool]:
    @tool
    def leak_content(text: str) -> str:
        """Returns a value in its content."""
        return f"the token is {value}"

    @tool(response_format="content_and_artifact")
    def leak_artifact(text: str) -> tuple[str, dict[str, str]]:
        """Returns a value in its artifact."""
        return "see artifact", {"raw": value}

    @tool
    def leak_command(text: str, tool_call_id: Annotated[str, InjectedToolCallId]) -> Command[Any]:
        """Returns a Command whose message carries a value."""
        return Command(update={"messages": [ToolMessage(f"token={value}", tool_call_id=tool_call_id)]})

    def raising(text: str) -> str:
        raise RuntimeError(f"upstream rejected {value}")

    def raising_tool_exception(text: str) -> str:
        raise ToolException(f"bad credential {value}")

    return [
        leak_content,
        leak_artifact,
        leak_command,
        StructuredTool.from_function(raising, name="leak_raise", description="Raises with a value."),
        StructuredTool.from_function(
            raising_tool_exception,
            name="leak_tool_exception",
            description="Raises a ToolException with a value.",
        ),
    ]


def turns(names: list[str] = LEAKY) -> Callable[[str | None], ToolCall | None]:
    plan: Iterator[ToolCall] = iter(
        [ToolCall("get_secret", {"path": DEMO_PATH})] + [ToolCall(name, {"text": "hello"}) for name in names]
    )

    def next_call(last: str | None) -> ToolCall | None:
        return next(plan, None)

    return next_call


def run(world: Any, *, guarded: bool) -> tuple[ScriptedChatModel, dict[str, Any], Any, EventRecorder]:
    # without the middleware a raising tool aborts the run: the control plan leaves them out
    model = ScriptedChatModel(next_call=turns(LEAKY if guarded else LEAKY[:3]))
    tools = OneClawToolkit(session=world.session).get_tools() + careless_tools(world.canaries.api_token)
    saver = InMemorySaver()
    middleware = [OneClawGuardMiddleware(world.session)] if guarded else []
    agent = create_agent(model, tools=tools, middleware=middleware, checkpointer=saver)
    events = EventRecorder()
    config: RunnableConfig = {"callbacks": [events], "configurable": {"thread_id": "t"}}
    state = agent.invoke({"messages": [HumanMessage("go")]}, config)
    return model, state, saver.get_tuple(config), events


def test_middleware_scrubs_careless_tools(lc_world: Any, lc_haystack: Any) -> None:
    """Everything the model is given, the state and the checkpoint are clean; crashes are safe."""
    model, state, snapshot, _ = run(lc_world, guarded=True)
    by_name = {str(m.name): m for m in state["messages"] if isinstance(m, ToolMessage)}
    assert set(LEAKY) <= set(by_name), sorted(by_name)
    assert "[secret:" in str(by_name["leak_content"].content)
    assert "[secret:" in str(by_name["leak_artifact"].artifact)
    assert by_name["leak_raise"].status == "error"
    assert str(by_name["leak_raise"].content).startswith("Error (tool_failed): tool leak_raise failed")
    assert by_name["leak_tool_exception"].status == "error"
    assert "bad credential [secret:" in str(by_name["leak_tool_exception"].content)
    wire = [convert_to_openai_messages(msgs) for msgs in model.calls]
    assert_no_canary(lc_haystack(model.calls, wire, state, snapshot), lc_world.canaries)


async def test_middleware_scrubs_careless_tools_async(lc_world: Any, lc_haystack: Any) -> None:
    model = ScriptedChatModel(next_call=turns())
    tools = OneClawToolkit(session=lc_world.session).get_tools() + careless_tools(lc_world.canaries.api_token)
    agent = create_agent(model, tools=tools, middleware=[OneClawGuardMiddleware(lc_world.session)])
    state = await agent.ainvoke({"messages": [HumanMessage("go")]})
    names = [m.name for m in state["messages"] if isinstance(m, ToolMessage)]
    assert set(LEAKY) <= set(names)
    wire = [convert_to_openai_messages(msgs) for msgs in model.calls]
    assert_no_canary(lc_haystack(model.calls, wire, state), lc_world.canaries)


def test_without_middleware_the_leak_is_found(lc_world: Any, lc_haystack: Any) -> None:
    """Control: the same careless tools, no middleware: the recorder must see the value."""
    model, state, _, _ = run(lc_world, guarded=False)
    with pytest.raises(AssertionError, match="canary #"):
        assert_no_canary(lc_haystack(model.calls, state), lc_world.canaries)


def test_callbacks_of_unwrapped_tools_see_only_guarded_output(lc_world: Any, lc_haystack: Any) -> None:
    """The middleware runs each unwrapped tool through its guarded wrapper, so even the tool run's
    own callbacks (``on_tool_end``, tracers, ``astream_events``) get scrubbed output; without the
    middleware they get the raw value (the control)."""
    _, _, _, events = run(lc_world, guarded=True)
    assert [e for e in events.events if e[0] == "on_tool_end"]
    assert_no_canary(lc_haystack(events.events), lc_world.canaries)
    _, _, _, raw_events = run(lc_world, guarded=False)
    tool_ends = [e for e in raw_events.events if e[0] == "on_tool_end"]
    with pytest.raises(AssertionError, match="canary #"):
        assert_no_canary(lc_haystack(tool_ends), lc_world.canaries)
