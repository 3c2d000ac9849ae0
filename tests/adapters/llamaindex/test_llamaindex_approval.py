"""Approvals through workflow events in a real ``FunctionAgent`` loop with a scripted model.

The workflow pauses before a gated call and streams an ``ApprovalRequiredEvent`` (an
``InputRequiredEvent``); the test plays the application and sends a ``HumanResponseEvent``.
Everything streamed and everything the model saw is searched for the values. If a test fails,
read ``llama_index/tools/oneclaw/approval.py`` and ``oneclaw_tools/approvals.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, MessageRole, ToolCallBlock
from llama_index.core.workflow import HumanResponseEvent, InputRequiredEvent
from llama_index.tools.oneclaw import ApprovalRequiredEvent, OneClawToolSpec
from llama_index.tools.oneclaw.testing.scripted import ScriptedFunctionCallingLLM

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
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

Step = ToolCall | Callable[[str | None], ToolCall]
Answer = Callable[[ApprovalRequiredEvent], HumanResponseEvent]


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


def approve(ev: ApprovalRequiredEvent) -> HumanResponseEvent:
    return HumanResponseEvent(response="approve", approval_id=ev.approval_id)


def deny(ev: ApprovalRequiredEvent) -> HumanResponseEvent:
    return HumanResponseEvent(response="deny", approval_id=ev.approval_id)


Answers = Callable[[ApprovalRequiredEvent], list[HumanResponseEvent]]


def replay_then_deny(replay: Answer) -> Answers:
    """The replayed decision, then the human's own denial of the request shown."""
    return lambda ev: [replay(ev), deny(ev)]


async def run(world: HitlWorld, steps: list[Step], answers: list[Answer | Answers]) -> dict[str, Any]:
    session = world.session()
    script = Script(steps)
    llm = ScriptedFunctionCallingLLM(script)
    agent = FunctionAgent(tools=OneClawToolSpec(session, human_approval=True).to_tool_list(), llm=llm)
    handler = agent.run(user_msg="Share the deploy token with Bob.")
    asked: list[ApprovalRequiredEvent] = []
    results: list[ToolCallResult] = []
    streamed: list[Any] = []
    async for ev in handler.stream_events():
        streamed.append(ev)
        if isinstance(ev, InputRequiredEvent):
            assert isinstance(ev, ApprovalRequiredEvent)
            asked.append(ev)
            sent = answers.pop(0)(ev)
            for answer in sent if isinstance(sent, list) else [sent]:
                handler.ctx.send_event(answer)  # type: ignore[union-attr]
        elif isinstance(ev, ToolCallResult):
            results.append(ev)
    await handler
    haystack = json.dumps([llm.seen, [repr(e) for e in streamed]], default=repr)
    return {"asked": asked, "results": results, "haystack": haystack, "session": session, "script": script}


async def test_approve_runs_the_share_once(world: HitlWorld) -> None:
    out = await run(
        world, [ToolCall("share_secret", SHARE), ToolCall("share_secret", SHARE)], [approve, deny]
    )
    first, second = out["asked"]
    assert SHARE_PATH in first.summary and "bob@example.com" in first.summary and first.tool == "share_secret"
    assert second.approval_id != first.approval_id  # the used grant does not carry over
    ok, refused = out["results"]
    assert (
        not ok.tool_output.is_error
        and refused.tool_output.is_error
        and "denied" in refused.tool_output.content
    )
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    assert SHARED not in out["haystack"]


async def test_deny_refuses(world: HitlWorld) -> None:
    out = await run(world, [ToolCall("share_secret", SHARE)], [deny])
    [result] = out["results"]
    assert result.tool_output.is_error and "not approved" in result.tool_output.content
    assert world.shares() == [] and world.pending_ids() == []


@pytest.mark.parametrize("other", [REPLAY_RECIPIENT, REPLAY_PATH], ids=["recipient", "path"])
async def test_an_approval_replayed_for_another_action_is_refused(
    world: HitlWorld, other: dict[str, Any]
) -> None:
    first_id: list[str] = []

    def approve_first(ev: ApprovalRequiredEvent) -> HumanResponseEvent:
        first_id.append(ev.approval_id)
        return approve(ev)

    def replay(ev: ApprovalRequiredEvent) -> HumanResponseEvent:  # the old decision, for the new action
        return HumanResponseEvent(response="approve", approval_id=first_id[0])

    out = await run(
        world,
        [ToolCall("share_secret", SHARE), ToolCall("share_secret", other)],
        [approve_first, replay_then_deny(replay)],
    )
    _, refused = out["results"]
    # the replayed decision woke no waiter (it names a used request): the human's own answer decided
    assert refused.tool_output.is_error and "a human denied it" in refused.tool_output.content
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]


async def test_the_model_cannot_pass_an_approved_flag(world: HitlWorld) -> None:
    out = await run(world, [ToolCall("share_secret", APPROVED_FLAG)], [])
    [result] = out["results"]
    assert out["asked"] == [] and result.tool_output.is_error and "approved" in result.tool_output.content
    assert world.shares() == [] and world.pending_ids() == []


async def test_request_secret_fulfil_check(world: HitlWorld, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def fulfil_then_check(output: str | None) -> ToolCall:
        rid = json.loads(output or "{}")["request_id"]
        done = world.cli("fulfil", rid, stdin=SUPPLIED + "\n")
        assert done.returncode == 0
        return ToolCall("check_secret_request", {"request_id": rid})

    out = await run(
        world, [ToolCall("request_secret", {"path": WANTED_PATH, "reason": "release"}), fulfil_then_check], []
    )
    final = json.loads(out["results"][-1].tool_output.content)
    assert final["status"] == "fulfilled" and final["handle"].startswith("h_")
    assert SUPPLIED not in out["haystack"] and SUPPLIED not in caplog.text


class TwoCallsAtOnce(ScriptedFunctionCallingLLM):
    """A model that asks for several tool calls in one turn (parallel tool calls)."""

    def __init__(self, calls: list[ToolCall]) -> None:
        super().__init__(Script([]))
        self._batch = list(calls)

    def _respond(self, messages: Any, **kwargs: Any) -> ChatMessage:
        if not self._batch:
            return ChatMessage(role=MessageRole.ASSISTANT, content="done")
        blocks = [
            ToolCallBlock(tool_call_id=f"call_{i}", tool_name=c.name, tool_kwargs=c.args)
            for i, c in enumerate(self._batch)
        ]
        self._batch = []
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks)


@pytest.mark.parametrize("loop", ["FunctionAgent", "AgentWorkflow"])
@pytest.mark.parametrize(
    "decisions", [("approve", "approve"), ("deny", "approve")], ids=["both", "second-only"]
)
async def test_parallel_calls_each_get_their_own_answer(
    world: HitlWorld, loop: str, decisions: tuple[str, str]
) -> None:
    """Two gated shares in one turn wait at once; the human answers the second request first.
    Each answer reaches the waiter of its own request (an answer meant for one used to wake the
    other, which then refused as "not for this approval request")."""
    session = world.session()
    llm = TwoCallsAtOnce([ToolCall("share_secret", SHARE), ToolCall("share_secret", REPLAY_RECIPIENT)])
    agent = FunctionAgent(tools=OneClawToolSpec(session, human_approval=True).to_tool_list(), llm=llm)
    workflow = agent if loop == "FunctionAgent" else AgentWorkflow(agents=[agent])
    handler = workflow.run(user_msg="Share the deploy token with Bob and Mallory.")
    asked: dict[str, ApprovalRequiredEvent] = {}
    results: list[ToolCallResult] = []
    async for ev in handler.stream_events():
        if isinstance(ev, ApprovalRequiredEvent):
            asked.setdefault(ev.approval_id, ev)
            if len(asked) == 2:  # both wait: answer the later request first
                bob, mallory = sorted(asked.values(), key=lambda e: "mallory" in e.summary)
                for ev_, decision in reversed(list(zip((bob, mallory), decisions, strict=True))):
                    answer = HumanResponseEvent(response=decision, approval_id=ev_.approval_id)
                    handler.ctx.send_event(answer)  # type: ignore[union-attr]
        elif isinstance(ev, ToolCallResult):
            results.append(ev)
    await handler
    assert len(asked) == 2
    by_recipient = {("mallory" if "mallory" in str(r.tool_kwargs) else "bob"): r.tool_output for r in results}
    assert set(by_recipient) == {"bob", "mallory"}
    assert not by_recipient["mallory"].is_error, by_recipient["mallory"].content
    if decisions[0] == "approve":
        assert not by_recipient["bob"].is_error, by_recipient["bob"].content
        assert sorted(world.shares()) == [
            (SHARE_PATH, "bob@example.com"),
            (SHARE_PATH, "mallory@evil.example"),
        ]
    else:
        assert by_recipient["bob"].is_error and "a human denied it" in by_recipient["bob"].content
        assert world.shares() == [(SHARE_PATH, "mallory@evil.example")]
