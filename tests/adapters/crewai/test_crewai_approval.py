"""Approvals through CrewAI's ``before_tool_call`` hook and ``request_human_input`` in a real crew.

A scripted model drives ``Crew.kickoff``; when it calls a gated tool the hook pauses the call and
asks at the console (the test types the human's answer on stdin). If a test fails, read
``crewai_oneclaw/approval.py`` and ``oneclaw_tools/approvals.py``.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crewai_oneclaw import OneClawApprovalHook
from crewai_oneclaw.testing.crew import build_crew
from crewai_oneclaw.testing.scripted import ScriptedLLM

from oneclaw_tools.testing.hitl import (
    APPROVED_FLAG,
    REPLAY_PATH,
    REPLAY_RECIPIENT,
    SHARE,
    SHARE_PATH,
    SHARED,
    SUPPLIED,
    WANTED_PATH,
    HitlWorld,
)
from oneclaw_tools.testing.scenario import ToolCall

pytestmark = [
    pytest.mark.framework,
    # crewai reads its own deprecated Agent fields during kickoff: warnings from crewai itself
    pytest.mark.filterwarnings("ignore::DeprecationWarning:crewai"),
]

Step = ToolCall | Callable[[str | None], ToolCall]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[HitlWorld]:
    made = HitlWorld.create(tmp_path)
    yield made
    made.close()


class Script:
    def __init__(self, steps: list[Step]) -> None:
        self.steps = list(steps)
        self.outputs: list[str | None] = []

    def next_call(self, output: str | None) -> ToolCall | None:
        self.outputs.append(output)
        if not self.steps:
            return None
        step = self.steps.pop(0)
        return step if isinstance(step, ToolCall) else step(output)

    def final_answer(self) -> str:
        return "done"


def kickoff(
    world: HitlWorld,
    steps: list[Step],
    answers: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    native: bool = True,
    prefix: str = "",
) -> dict[str, Any]:
    """One crew run; ``answers`` is what the human types at the console, one line per question."""
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    session = world.session()
    script = Script(steps)
    llm = ScriptedLLM.for_script(script, native=native)
    crew = build_crew(
        session, llm, task_description="Share the deploy token with Bob.", cache=False, prefix=prefix
    )
    with OneClawApprovalHook(session):
        output = crew.kickoff()
    return {
        "script": script,
        "llm": llm,
        "session": session,
        "haystack": json.dumps([llm.seen, str(output)], default=repr),
    }


@pytest.mark.parametrize("native", [True, False], ids=["function-calling", "react"])
def test_approve_runs_the_share_once(
    world: HitlWorld, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], native: bool
) -> None:
    run = kickoff(
        world,
        [ToolCall("share_secret", SHARE), ToolCall("share_secret", SHARE)],
        "approve\ndeny\n",
        monkeypatch,
        native=native,
    )
    outputs = run["script"].outputs
    assert "share_link" in outputs[1] and "not approved" in outputs[2] and "denied" in outputs[2]
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    console = capfd.readouterr().out
    assert SHARE_PATH in console and "bob@example.com" in console  # what the human was asked
    assert SHARED not in run["haystack"] and SHARED not in console


def test_tools_behind_a_prefix_are_paused_too(world: HitlWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``prefix="oneclaw_"`` the model calls ``oneclaw_share_secret``: the hook still asks the
    human (it used to match names only and let the core refuse with no prompt)."""
    steps = [ToolCall("oneclaw_share_secret", SHARE), ToolCall("oneclaw_share_secret", REPLAY_RECIPIENT)]
    run = kickoff(world, steps, "approve\ndeny\n", monkeypatch, prefix="oneclaw_")
    outputs = run["script"].outputs
    assert "share_link" in outputs[1] and "denied" in outputs[2], outputs
    assert world.shares() == [(SHARE_PATH, "bob@example.com")] and world.pending_ids() == []


def test_deny_refuses(world: HitlWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    run = kickoff(world, [ToolCall("share_secret", SHARE)], "deny\n", monkeypatch)
    assert "not approved" in run["script"].outputs[1] and "blocked by hook" not in run["script"].outputs[1]
    assert world.shares() == [] and world.pending_ids() == []


@pytest.mark.parametrize("other", [REPLAY_RECIPIENT, REPLAY_PATH], ids=["recipient", "path"])
def test_an_approval_replayed_for_another_action_is_refused(
    world: HitlWorld, monkeypatch: pytest.MonkeyPatch, other: dict[str, Any]
) -> None:
    # the human approved bob's share by id earlier (CLI); the model tries another action, and the
    # human's console answer repeats that old id
    session = world.session()
    try:
        session.call("share_secret", SHARE)
    except Exception:
        pass
    [old] = world.pending_ids()
    run = kickoff(world, [ToolCall("share_secret", other)], f"approve {old}\n", monkeypatch)
    assert "another approval request" in run["script"].outputs[1] and world.shares() == []


def test_the_model_cannot_pass_an_approved_flag(world: HitlWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    run = kickoff(world, [ToolCall("share_secret", APPROVED_FLAG)], "", monkeypatch)
    assert "approved" in run["script"].outputs[1] and "extra inputs" in run["script"].outputs[1]
    assert world.shares() == [] and world.pending_ids() == []


def test_request_secret_fulfil_check(
    world: HitlWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def fulfil_then_check(output: str | None) -> ToolCall:
        rid = json.loads(output or "{}")["request_id"]
        assert world.cli("fulfil", rid, stdin=SUPPLIED + "\n").returncode == 0
        return ToolCall("check_secret_request", {"request_id": rid})

    run = kickoff(
        world,
        [ToolCall("request_secret", {"path": WANTED_PATH, "reason": "release"}), fulfil_then_check],
        "",
        monkeypatch,
    )
    final = json.loads(run["script"].outputs[-1])
    assert final["status"] == "fulfilled" and final["handle"].startswith("h_")
    assert SUPPLIED not in run["haystack"] and SUPPLIED not in caplog.text
