"""Real LlamaIndex agent loops (``FunctionAgent``, ``ReActAgent``) on the shared scenario: nothing leaks.

Both classes run the surface conformance suite (:mod:`oneclaw_tools.testing.surface`) with the
adapter's driver (:class:`llama_index.tools.oneclaw.testing.driver.LlamaIndexDriver`), ``verbose``
and the global "simple" handler on, so the console is searched too. The tests below add what is
LlamaIndex's own: the ``ToolOutput`` fields, and that every observer really observed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.workflow import Context
from llama_index.tools.oneclaw.testing.driver import LlamaIndexDriver
from llama_index.tools.oneclaw.testing.recorder import Recorder, dump
from llama_index.tools.oneclaw.testing.scripted import ScriptedFunctionCallingLLM

from oneclaw_tools.testing.driver import Played
from oneclaw_tools.testing.scenario import (
    LEAK_PROMPT,
    SCRIPT_CALLS,
    THIRD_PARTY_TOOLS,
    Canaries,
    assert_no_canary,
)
from oneclaw_tools.testing.surface import SurfaceConformanceTests

# llama-index-workflows inspects agents with inspect.getmembers, touching pydantic's deprecated
# instance attributes (``__fields__``, ``model_computed_fields``...): a framework warning, not ours.
pytestmark = [
    pytest.mark.framework,
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    # ReActAgent.take_step still calls ctx.is_running (deprecated in llama-index-workflows 2.x)
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]

EXPECTED_CALLS = list(SCRIPT_CALLS)


class LlamaIndexChecks(SurfaceConformanceTests):
    def test_tool_outputs_are_llamaindex_results(self, played: tuple[Played, str]) -> None:
        result, _ = played
        recorder: Recorder = result.run.details["recorder"]
        assert [o.tool_name for o in recorder.tool_outputs] == EXPECTED_CALLS
        by_name = {o.tool_name: o for o in recorder.tool_outputs}
        errors = [o.tool_name for o in recorder.tool_outputs if o.is_error]
        assert errors == ["boom", "http_request"], errors
        assert by_name["boom"].content == "Error (tool_failed): tool boom failed (RuntimeError)."
        placeholder = "{{secret:" + str(result.script.handle) + "}}"
        assert json.loads(by_name["get_secret"].content)["placeholder"] == placeholder, "usable as shown"
        for name in THIRD_PARTY_TOOLS:
            assert "{{secret:" not in by_name[name].content, f"{name}: the placeholder was never resolved"
            assert by_name[name].raw_input == {"args": (), "kwargs": {"text": placeholder}}
        assert "I will not print secret values" in result.run.answers[-1]

    def test_the_observers_observed(self, played: tuple[Played, str]) -> None:
        result, console = played
        recorder: Recorder = result.run.details["recorder"]
        seen = result.run.details["llm"].seen
        assert len(seen) == len(EXPECTED_CALLS) + 2, "one model call per tool step, the answer, the leak turn"
        assert LEAK_PROMPT in json.dumps(seen[-1])
        assert any(n.endswith(("FunctionTool.acall", "FunctionTool.call")) for n in recorder.spans.names())
        assert any(name == "LLMChatStartEvent" for name, _ in recorder.events.events)
        assert recorder.debug.get_events(), "the legacy callback handler saw the model calls"
        assert "Trace: chat" in console, "the debug handler's console trace was not captured"


class TestFunctionAgent(LlamaIndexChecks):
    def make_driver(self) -> LlamaIndexDriver:
        return LlamaIndexDriver(kind="function", verbose=True)


class TestReActAgent(LlamaIndexChecks):
    def make_driver(self) -> LlamaIndexDriver:
        return LlamaIndexDriver(kind="react", verbose=True)


@pytest.mark.framework
async def test_the_recorder_would_catch_a_raw_output_leak(canaries: Canaries, recorder: Recorder) -> None:
    """Control: an unprotected tool that masks only ``content`` (the usual LlamaIndex trick) leaks
    through raw_output into streamed events and spans; the recorder must see it, or the leak test
    above proves nothing."""
    from llama_index.core.tools import FunctionTool

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
    handler = agent.run(user_msg="go", ctx=Context(agent))
    async for event in handler.stream_events():
        recorder.stream.append((type(event).__name__, dump(event)))
    await handler
    assert_no_canary(llm.seen, canaries)  # the model itself saw only "****"
    for observed in (recorder.stream, recorder.spans.records):
        with pytest.raises(AssertionError, match="leaked"):
            assert_no_canary(observed, canaries)
