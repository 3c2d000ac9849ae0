"""The shared scenario through a real ``Crew.kickoff``, on CrewAI's native function-calling path
and on its ReAct text path.

Both classes run the surface conformance suite (:mod:`oneclaw_tools.testing.surface`) with the
adapter's driver (:class:`crewai_oneclaw.testing.driver.CrewAIDriver`): the messages the model
received, every CrewAI event, root logs at DEBUG, the console (CrewAI's rich output, fd level),
the caches, the CrewOutput and stored task outputs and every file CrewAI wrote are searched for
every canary in every encoding. The checks below add what is CrewAI's own.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from crewai_oneclaw.testing.driver import CrewAIDriver
from crewai_oneclaw.testing.recorder import CrewRecorder

from oneclaw_tools.testing.driver import Played
from oneclaw_tools.testing.scenario import LEAK_PROMPT, SCRIPT_CALLS, third_party_tools
from oneclaw_tools.testing.surface import SurfaceConformanceTests

pytestmark = [
    pytest.mark.framework,
    pytest.mark.slow,
    # crewai reads its own deprecated Agent fields during kickoff (function_calling_llm,
    # allow_code_execution, ...): warnings attributed to crewai itself, not to this adapter
    pytest.mark.filterwarnings("ignore::DeprecationWarning:crewai"),
]

#: where conftest pointed CrewAI before its first import (its credentials key lives there)
CREWAI_BASE = Path(os.environ["CREWAI_STORAGE_DIR"]).parent

SCRIPT_TOOLS = list(SCRIPT_CALLS)


class CrewAIChecks(SurfaceConformanceTests):
    """When one fails: a leak names the canary's index and encoding, never the value; search the
    run's ``recorded`` piece by piece (events, logs, console, files) to find the channel."""

    def test_every_call_went_through_crewai(self, played: tuple[Played, str]) -> None:
        result, _ = played
        recorder: CrewRecorder = result.run.details["recorder"]
        assert [call.name for call, _ in result.script.transcript] == SCRIPT_TOOLS
        assert result.run.answers == [result.script.report()]
        started = [name for kind, name, _, _ in recorder.tool_events if kind == "ToolUsageStartedEvent"]
        finished = [name for kind, name, _, _ in recorder.tool_events if kind == "ToolUsageFinishedEvent"]
        assert started == SCRIPT_TOOLS
        assert sorted(finished) == sorted(SCRIPT_TOOLS)
        assert not [e for e in recorder.tool_events if e[0] == "ToolUsageErrorEvent"], "a tool raised"
        outputs = {(n, str(o)) for kind, n, _, o in recorder.tool_events if kind == "ToolUsageFinishedEvent"}
        for call, out in result.script.transcript:
            assert any(n == call.name and out in o for n, o in outputs), (call.name, out[:80])

    def test_failures_are_crewai_tool_failures(self, played: tuple[Played, str]) -> None:
        """Core errors come back as CrewAI ToolFailure records whose message is the guarded text."""
        result, _ = played
        failures = result.run.details["output"].tasks_output[0].tool_failures
        by_tool = {record.tool_name: record.failure for record in failures}
        assert set(by_tool) == {"boom", "http_request"}, [r.summary() for r in failures]
        assert by_tool["boom"].message == result.script.outputs("boom")[0]
        assert by_tool["http_request"].message == result.script.outputs("http_request")[1]
        assert by_tool["http_request"].details["status"] == 403
        assert "ToolFailureDetectedEvent" in result.run.details["recorder"].event_names()

    def test_crew_cache_never_stores_a_tool_output(self, played: tuple[Played, str]) -> None:
        """The crew cache was switched on (``Crew(cache=True)``) and still holds nothing."""
        crew = played[0].run.details["crew"]
        assert crew.cache is True
        agent = crew.agents[0]
        assert agent.tools_handler is not None and agent.tools_handler.cache is crew._cache_handler
        assert crew._cache_handler._cache == {}

    def test_the_recorder_saw_every_channel(self, played: tuple[Played, str]) -> None:
        """Guards against a vacuous no-leak check: each channel actually recorded something."""
        result, console = played
        details = result.run.details
        names = set(details["recorder"].event_names())
        for expected in (
            "CrewKickoffStartedEvent",
            "TaskStartedEvent",
            "AgentExecutionStartedEvent",
            "LLMCallStartedEvent",
            "LLMCallCompletedEvent",
            "ToolUsageStartedEvent",
            "ToolUsageFinishedEvent",
            "TaskCompletedEvent",
            "CrewKickoffCompletedEvent",
        ):
            assert expected in names, expected
        assert details["recorder"].logs, "no log record captured"
        assert "list_secrets" in console, "verbose console output was not captured"
        stored = [path.name for path, _ in details["files"]]
        assert "latest_kickoff_task_outputs.db" in stored and "secret.key" in stored, stored
        assert details["output"].token_usage.total_tokens > 0
        assert details["output"].tasks_output[0].messages, "task output keeps the conversation"
        first = " ".join(str(m.get("content")) for m in details["llm"].seen[0])
        assert LEAK_PROMPT in first


class TestFunctionCalling(CrewAIChecks):
    def make_driver(self) -> CrewAIDriver:
        return CrewAIDriver(native=True, folders=[CREWAI_BASE])

    def test_the_model_was_offered_every_tool_schema(self, played: tuple[Played, str]) -> None:
        details = played[0].run.details
        offered = [t["function"]["name"] for t in details["llm"].tools_offered[0]]
        assert offered == [tool.name for tool in details["crew"].agents[0].tools or []]
        assert offered[-len(third_party_tools()) :] == list(third_party_tools())


class TestReAct(CrewAIChecks):
    def make_driver(self) -> CrewAIDriver:
        return CrewAIDriver(native=False, folders=[CREWAI_BASE])

    def test_tools_were_described_in_the_prompt_not_offered_as_schemas(
        self, played: tuple[Played, str]
    ) -> None:
        llm = played[0].run.details["llm"]
        assert llm.tools_offered[0] == []
        system = str(llm.seen[0][0]["content"])
        assert "Tool Name: get_secret" in system and "Tool Name: echo_b64" in system
        assert any("Action: http_request" in str(a) for a in llm.answers)


def test_demo_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    """``oneclaw-tools demo --framework crewai`` finds the driver by its entry point."""
    from oneclaw_tools.demo import run_demo

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    lines: list[str] = []
    assert run_demo(echo=lines.append, framework="crewai") == 0, lines[-3:]
    text = "\n".join(lines)
    assert "check passed" in lines[-1]
    assert "http_request" in text and "share_secret" in text and "rotate_and_store" in text
