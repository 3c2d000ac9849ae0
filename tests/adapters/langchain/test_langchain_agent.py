"""The shared scenario in a real ``langchain.agents.create_agent`` loop, sync and ``astream_events``.

Both classes run the surface conformance suite (:mod:`oneclaw_tools.testing.surface`) with the
adapter's driver (:class:`langchain_oneclaw.testing.driver.LangChainDriver`): everything LangChain
recorded (model inputs, callback events, tracer runs, ``astream_events``, state, checkpoints,
``set_debug`` console output, logs) is searched for every canary in every encoding. The tests
below add what is LangChain's own: how errors become ``ToolMessage`` objects and that the
observers really observed.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_oneclaw.testing.driver import LangChainDriver

from oneclaw_tools.testing.driver import Played
from oneclaw_tools.testing.scenario import LEAK_PROMPT
from oneclaw_tools.testing.surface import SurfaceConformanceTests

pytestmark = pytest.mark.framework


def tool_messages(messages: list[Any]) -> dict[str, list[ToolMessage]]:
    out: dict[str, list[ToolMessage]] = {}
    for m in messages:
        if isinstance(m, ToolMessage):
            out.setdefault(str(m.name), []).append(m)
    return out


class LangChainChecks(SurfaceConformanceTests):
    def test_errors_are_error_tool_messages_without_artifacts(self, played: tuple[Played, str]) -> None:
        result, _ = played
        messages = result.run.details["states"][-1]["messages"]
        by_name = tool_messages(messages)
        boom = by_name["boom"][0]
        assert boom.status == "error" and str(boom.content).startswith(
            "Error (tool_failed): tool boom failed"
        )
        refused = by_name["http_request"][1]
        assert refused.status == "error" and "may not be sent" in str(refused.content)
        assert all(m.artifact is None for ms in by_name.values() for m in ms)
        assert isinstance(messages[-1], AIMessage) and not messages[-1].tool_calls

    def test_the_observers_observed(self, played: tuple[Played, str]) -> None:
        result, _ = played
        details = result.run.details
        assert {"on_chat_model_start", "on_tool_start", "on_tool_end"} <= details["events"].names()
        assert {"llm", "tool", "chain"} <= details["tracer"].run_types()
        last_input = details["model"].calls[-1][-1]
        assert isinstance(last_input, HumanMessage) and last_input.content == LEAK_PROMPT
        assert details["checkpoint"] is not None


class TestSyncAgent(LangChainChecks):
    def make_driver(self) -> LangChainDriver:
        return LangChainDriver(mode="sync", debug=True)

    def test_set_debug_printed_the_run(self, played: tuple[Played, str]) -> None:
        _, console = played
        assert "[chain/start]" in console or "tool" in console


class TestAsyncAgent(LangChainChecks):
    def make_driver(self) -> LangChainDriver:
        return LangChainDriver(mode="async")

    def test_astream_events_were_recorded(self, played: tuple[Played, str]) -> None:
        result, _ = played
        kinds = {e["event"] for e in result.run.recorded if isinstance(e, dict) and "event" in e}
        assert {"on_chat_model_start", "on_tool_start", "on_tool_end", "on_chain_stream"} <= kinds


def test_demo_runs_and_passes_its_leak_check() -> None:
    """``oneclaw-tools demo --framework langchain`` finds the driver by its entry point, and what it
    prints reads as a conversation: each user turn, the tool calls, then that turn's answer, and
    every claim of an answer is backed by the transcript printed above it."""
    import re

    from oneclaw_tools.demo import run_demo
    from oneclaw_tools.testing.answers import REFUSAL
    from oneclaw_tools.testing.scenario import LEAK_PROMPT, USER_PROMPT

    lines: list[str] = []
    assert run_demo(echo=lines.append, framework="langchain") == 0
    assert lines[-1].startswith("check passed:")
    said = [line for line in lines if line.startswith(("user:", "model  → answer:"))]
    assert said == [f"user:  {USER_PROMPT}", said[1], f"user:  {LEAK_PROMPT}", f"model  → answer: {REFUSAL}"]
    answer = said[1].removeprefix("model  → answer: ")
    assert lines.index(said[1]) > max(i for i, line in enumerate(lines) if line.startswith("["))
    calls = [
        (line.split("→ ")[1].split("(")[0], lines[i + 1]) for i, line in enumerate(lines) if line[:1] == "["
    ]
    tools = {name: out for name, out in reversed(calls)}  # the first output of each tool
    assert "we are demo-bot" in answer and '\\"user\\": \\"demo-bot\\"' in tools["http_request"]
    assert "now version 2" in answer and '"version": 2' in tools["rotate_and_store"]
    share_id = re.search(r"share id ([0-9a-f-]+)\)", answer)
    assert share_id and f'"share_id": "{share_id.group(1)}"' in tools["share_secret"], answer
    assert "ops@example.com" in answer and "refused" in answer and "failed" not in answer
