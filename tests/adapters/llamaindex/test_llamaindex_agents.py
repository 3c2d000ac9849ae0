"""Real LlamaIndex agent loops (FunctionAgent, ReActAgent) on the shared scenario: nothing leaks.

Only the model is scripted. The loop runs list → describe → get → http_request with the handle →
the wrapped third-party echoes (raw, base64, URL, JSON, lines) → a tool raising with the value →
an exfiltration attempt → rotate → share, then a user turn asks the agent to print the value.

Everything observable is recorded: the messages and tool schemas the model received, every
ToolOutput (content, raw_output, raw_input, exception), the streamed workflow events, the
instrumentation events and spans, the legacy callback handler (``LlamaDebugHandler`` and the
global "simple" handler), ``verbose`` console output, DEBUG logs, the agent's memory and the
serialized workflow context. The test also proves the flow happened (a silent failure must not
pass). If the canary check fails, the message names the encoding; find the field with
``recorder.haystack()`` piece by piece.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import llama_index.core
import pytest
from llama_index.core import set_global_handler
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.callbacks import CallbackManager
from llama_index.core.workflow import Context
from llama_index.tools.oneclaw.demo import SYSTEM_PROMPT, scenario_tools
from llama_index.tools.oneclaw.scripted import ScriptedFunctionCallingLLM, ScriptedReActLLM
from llamaindex_recorder import Recorder, dump

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import (
    LEAK_PROMPT,
    THIRD_PARTY_TOOLS,
    USER_PROMPT,
    Canaries,
    LocalApi,
    Script,
    assert_no_canary,
)

# llama-index-workflows inspects agents with inspect.getmembers, touching pydantic's deprecated
# instance attributes (``__fields__``, ``model_computed_fields``...): a framework warning, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    # ReActAgent.take_step still calls ctx.is_running (deprecated in llama-index-workflows 2.x)
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]

EXPECTED_CALLS = [
    "list_secrets",
    "describe_secret",
    "get_secret",
    "http_request",
    *THIRD_PARTY_TOOLS,
    "http_request",
    "rotate_and_store",
    "share_secret",
]


async def _turn(agent: FunctionAgent | ReActAgent, ctx: Context, prompt: str, recorder: Recorder) -> Any:
    handler = agent.run(user_msg=prompt, ctx=ctx)
    async for event in handler.stream_events():
        recorder.stream.append((type(event).__name__, dump(event)))
        if isinstance(event, ToolCallResult):
            recorder.add_tool_output(event.tool_output)
    result = await handler
    recorder.extra.append(dump(result))
    return result


@pytest.mark.framework
@pytest.mark.parametrize("kind", ["function", "react"])
async def test_agent_loop_never_leaks(
    kind: str,
    session: Session,
    canaries: Canaries,
    api: LocalApi,
    recorder: Recorder,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    script = Script(api.url)
    previous_handler = llama_index.core.global_handler
    set_global_handler("simple")  # prints every LLM input/output to stdout
    try:
        callbacks = CallbackManager([recorder.debug])
        tools: list[Any] = [*scenario_tools(session)]
        llm: ScriptedFunctionCallingLLM | ScriptedReActLLM
        agent: FunctionAgent | ReActAgent
        if kind == "function":
            llm = ScriptedFunctionCallingLLM(script, callback_manager=callbacks)
            agent = FunctionAgent(tools=tools, llm=llm, system_prompt=SYSTEM_PROMPT, verbose=True)
        else:
            llm = ScriptedReActLLM(script, callback_manager=callbacks)
            agent = ReActAgent(tools=tools, llm=llm, system_prompt=SYSTEM_PROMPT, verbose=True)
        ctx = Context(agent)
        first = await _turn(agent, ctx, USER_PROMPT, recorder)
        second = await _turn(agent, ctx, LEAK_PROMPT, recorder)
    finally:
        llama_index.core.global_handler = previous_handler

    memory = await ctx.store.get("memory")
    history = await memory.aget_all()
    console = capsys.readouterr()
    recorder.extra += [
        [dump(message) for message in history],
        json.dumps(ctx.to_dict(), default=repr),
        console.out,
        console.err,
        caplog.text,
        [record.getMessage() for record in caplog.records],
        llm.seen,
        getattr(llm, "tools_seen", []),
        str(first),
        str(second),
    ]

    # -- the flow really happened ---------------------------------------------------------
    script.check_flow()
    assert [o.tool_name for o in recorder.tool_outputs] == EXPECTED_CALLS
    by_name = {o.tool_name: o for o in recorder.tool_outputs}
    errors = [o.tool_name for o in recorder.tool_outputs if o.is_error]
    assert errors == ["boom", "http_request"], errors  # the raising tool and the exfiltration attempt
    assert by_name["boom"].content == "Error (tool_failed): tool boom failed (RuntimeError)."
    placeholder = "{{secret:" + str(script.handle) + "}}"
    assert json.loads(by_name["get_secret"].content)["placeholder"] == placeholder, "usable as shown"
    for name in THIRD_PARTY_TOOLS:
        assert "{{secret:" not in by_name[name].content, f"{name}: the placeholder was never resolved"
        assert by_name[name].raw_input == {"args": (), "kwargs": {"text": placeholder}}
    seen: list[list[dict[str, Any]]] = llm.seen
    assert len(seen) == len(EXPECTED_CALLS) + 2, "one model call per tool step, the answer, the leak turn"
    assert LEAK_PROMPT in json.dumps(seen[-1]), "the leak prompt reached the model"
    assert "I will not print secret values" in str(second)
    assert any(
        message.role.value == "tool" or "Observation" in (message.content or "") for message in history
    )
    # the observers really observed (an empty recorder would pass any leak check)
    assert {"FunctionTool.acall", "FunctionTool.call"} & recorder.spans.names()
    assert any(name == "LLMChatStartEvent" for name, _ in recorder.events.events)
    assert recorder.debug.get_events(), "the legacy callback handler saw the model calls"
    assert "tool" in console.out.lower() or "Observation" in console.out, "verbose/simple output was captured"
    if isinstance(llm, ScriptedFunctionCallingLLM):
        offered = {tool["function"]["name"] for tool in llm.tools_seen[0]}
        assert offered == {s.name for s in session.specs} | set(THIRD_PARTY_TOOLS)

    # -- and no value anywhere --------------------------------------------------------------
    assert_no_canary(recorder.haystack(), canaries)


@pytest.mark.framework
async def test_the_recorder_would_catch_a_raw_output_leak(
    session: Session, canaries: Canaries, recorder: Recorder
) -> None:
    """Control: an unprotected tool that masks only ``content`` (the usual LlamaIndex trick) leaks
    through raw_output into streamed events and spans; the recorder must see it, or the leak test
    above proves nothing."""
    from llama_index.core.tools import FunctionTool
    from llama_index.tools.oneclaw.scripted import ScriptedFunctionCallingLLM

    class OneCall:
        def __init__(self) -> None:
            self.done = False

        def next_call(self, last: str | None) -> Any:
            if self.done:
                return None
            self.done = True
            return type("Call", (), {"name": "reveal", "args": {}})()

    reveal = FunctionTool.from_defaults(
        fn=lambda: canaries.api_token, name="reveal", description="d", callback=lambda raw: "****"
    )
    llm = ScriptedFunctionCallingLLM(OneCall())
    agent = FunctionAgent(tools=[reveal], llm=llm)
    await _turn(agent, Context(agent), "go", recorder)
    assert_no_canary(llm.seen, canaries)  # the model itself saw only "****"
    for observed in (recorder.stream, recorder.spans.records):
        with pytest.raises(AssertionError, match="leaked"):
            assert_no_canary(observed, canaries)
