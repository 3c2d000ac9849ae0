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
    """``oneclaw-tools demo --framework langchain`` finds the driver by its entry point."""
    from oneclaw_tools.demo import run_demo

    lines: list[str] = []
    assert run_demo(echo=lines.append, framework="langchain") == 0
    assert any("model  → get_secret" in line for line in lines)
    assert lines[-1].startswith("check passed:")
