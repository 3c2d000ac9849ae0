"""One real CrewAI run of the shared scenario, with everything it leaves behind recorded.

Each agent-loop test module (function calling, ReAct) calls :func:`run_scenario` once from a
module-scoped fixture: a real ``Crew.kickoff`` on an embedded vault with a local API, the
generated tools plus the six wrapped third-party tools, ``verbose=True`` and CrewAI's default
crew cache, driven by ``ScriptedLLM`` playing the shared ``Script``. The result holds every
place a value could travel to: the messages the model received, every CrewAI event, root
logs at DEBUG, pytest's captured stdout/stderr (fd level, where CrewAI's rich console writes),
the caches, the CrewOutput and stored task outputs, and every file under the temporary HOME,
the storage folder and the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from crewai import Crew
from crewai.crews.crew_output import CrewOutput
from crewai_oneclaw.recorder import CrewRecorder, files_under
from crewai_oneclaw.scenario import build_crew, wrapped_third_party_tools
from crewai_oneclaw.scripted import ScriptedLLM

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import (
    LEAK_PROMPT,
    USER_PROMPT,
    Canaries,
    Script,
    local_api,
    scenario_policy,
    seed_canaries,
    third_party_tools,
)


@dataclass
class ScenarioRun:
    canaries: Canaries
    script: Script
    llm: ScriptedLLM
    crew: Crew
    output: CrewOutput
    recorder: CrewRecorder
    console: str
    folders: list[Path]
    files: list[tuple[Path, bytes]] = field(default_factory=list)

    def haystack(self) -> list[Any]:
        hay = self.recorder.collect(llm=self.llm, crew=self.crew, output=self.output, folders=self.folders)
        hay.append(self.console)
        return hay


def run_scenario(request: pytest.FixtureRequest, base: Path, work: Path, *, native: bool) -> ScenarioRun:
    capman = request.config.pluginmanager.getplugin("capturemanager")
    work.mkdir(parents=True, exist_ok=True)
    old_cwd = Path.cwd()
    with Session.local(work / "vault.db", policy=scenario_policy()) as session, local_api() as api:
        canaries = seed_canaries(session, api_host=api.host)
        api.token = canaries.api_token
        script = Script(api.url)
        llm = ScriptedLLM.for_script(script, native=native)
        crew = build_crew(
            session,
            llm,
            task_description=f"{USER_PROMPT}\n{LEAK_PROMPT}",
            extra_tools=wrapped_third_party_tools(session, third_party_tools()),
            verbose=True,
        )
        if capman is not None:
            capman.read_global_capture()  # drop what came before
        os.chdir(work)  # CrewAI keeps project-local state under the working directory
        try:
            with CrewRecorder() as recorder:
                output = crew.kickoff()
        finally:
            os.chdir(old_cwd)
        console = ""
        if capman is not None:
            captured = capman.read_global_capture()
            console = captured.out + captured.err
    assert isinstance(output, CrewOutput)
    folders = [base, work]
    return ScenarioRun(
        canaries=canaries,
        script=script,
        llm=llm,
        crew=crew,
        output=output,
        recorder=recorder,
        console=console,
        folders=folders,
        files=list(files_under(folders)),
    )


SCRIPT_TOOLS = [
    "list_secrets",
    "describe_secret",
    "get_secret",
    "http_request",
    *third_party_tools(),
    "http_request",
    "rotate_and_store",
    "share_secret",
]


class ScenarioChecks:
    """The checks every CrewAI agent-loop mode must pass; subclass with a module-scoped ``run``.

    When one fails: a leak names the canary's index and encoding, never the value; search the
    failing run's haystack piece by piece (events, logs, console, files) to find the channel.
    """

    def test_flow_happened(self, run: ScenarioRun) -> None:
        """The handle was used (API answered 200), the exfiltration refused, rotate and share done."""
        run.script.check_flow()
        assert [call.name for call, _ in run.script.transcript] == SCRIPT_TOOLS
        assert run.output.raw == run.script.final_answer()
        assert len(run.llm.seen) == len(SCRIPT_TOOLS) + 1

    def test_every_call_went_through_crewai(self, run: ScenarioRun) -> None:
        started = [name for kind, name, _, _ in run.recorder.tool_events if kind == "ToolUsageStartedEvent"]
        finished = [name for kind, name, _, _ in run.recorder.tool_events if kind == "ToolUsageFinishedEvent"]
        assert started == SCRIPT_TOOLS
        assert sorted(finished) == sorted(SCRIPT_TOOLS)
        assert not [e for e in run.recorder.tool_events if e[0] == "ToolUsageErrorEvent"], "a tool raised"

    def test_the_model_saw_exactly_the_tool_outputs(self, run: ScenarioRun) -> None:
        """What the script received is what CrewAI delivered, error texts included."""
        outputs = [out for _, out in run.script.transcript]
        finished = {
            (name, str(output))
            for kind, name, _, output in run.recorder.tool_events
            if kind == "ToolUsageFinishedEvent"
        }
        for (call, out), name in zip(run.script.transcript, SCRIPT_TOOLS, strict=True):
            assert any(n == name and out in o for n, o in finished), (call.name, out[:80])
        assert any(out.startswith("Error (tool_failed): tool boom failed") for out in outputs)

    def test_failures_are_crewai_tool_failures(self, run: ScenarioRun) -> None:
        """Core errors come back as CrewAI ToolFailure records whose message is the guarded text."""
        failures = run.output.tasks_output[0].tool_failures
        by_tool = {record.tool_name: record.failure for record in failures}
        assert set(by_tool) == {"boom", "http_request"}, [r.summary() for r in failures]
        assert by_tool["boom"].message == run.script.outputs("boom")[0]
        assert by_tool["http_request"].message == run.script.outputs("http_request")[1]
        assert by_tool["http_request"].details["status"] == 403
        assert "ToolFailureDetectedEvent" in run.recorder.event_names()

    def test_crew_cache_never_stores_a_tool_output(self, run: ScenarioRun) -> None:
        """The crew cache was switched on (``Crew(cache=True)``) and still holds nothing."""
        assert run.crew.cache is True
        handler = run.crew._cache_handler
        agent = run.crew.agents[0]
        assert agent.tools_handler is not None and agent.tools_handler.cache is handler
        assert handler._cache == {}

    def test_the_leak_prompt_reached_the_model(self, run: ScenarioRun) -> None:
        first = " ".join(str(m.get("content")) for m in run.llm.seen[0])
        assert LEAK_PROMPT in first

    def test_the_recorder_saw_every_channel(self, run: ScenarioRun) -> None:
        """Guards against a vacuous no-leak check: each channel actually recorded something."""
        names = set(run.recorder.event_names())
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
        assert run.recorder.logs, "no log record captured"
        assert "list_secrets" in run.console, "verbose console output was not captured"
        stored = [path.name for path, _ in run.files]
        assert "latest_kickoff_task_outputs.db" in stored and "secret.key" in stored, stored
        assert run.output.token_usage.total_tokens > 0
        assert run.output.tasks_output[0].messages, "task output keeps the conversation"

    def test_no_canary_anywhere(self, run: ScenarioRun) -> None:
        """No seeded value, in any encoding, in anything CrewAI or the model saw, printed or stored."""
        from oneclaw_tools.testing.scenario import assert_no_canary

        haystack = run.haystack()
        assert_no_canary(haystack, run.canaries)
        planted = next(iter(run.canaries))
        with pytest.raises(AssertionError):
            assert_no_canary([*haystack, f"x{planted}x"], run.canaries)
