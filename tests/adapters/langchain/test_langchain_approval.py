"""Approvals through LangGraph interrupts in a real ``create_agent`` loop with a scripted model.

The graph pauses before a gated call (``share_secret``); the test plays the application and
resumes with ``Command(resume=...)``. Everything the model was shown, every callback event and
every log record is searched for the values. If a test fails, read
``langchain_oneclaw/approval.py`` and ``oneclaw_tools/approvals.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_oneclaw import OneClawApprovalMiddleware, OneClawGuardMiddleware, OneClawToolkit
from langchain_oneclaw.testing import EventRecorder, ScriptedChatModel
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

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

Step = Callable[[str | None], ToolCall | None]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[HitlWorld]:
    made = HitlWorld.create(tmp_path)
    yield made
    made.close()


class Agent:
    """create_agent with our tools, both middlewares, a checkpointer and a scripted model."""

    def __init__(self, world: HitlWorld, steps: list[Step | ToolCall], *, prefix: str = "") -> None:
        self.session = world.session()
        self.outputs: list[str | None] = []
        pending = list(steps)

        def next_call(output: str | None) -> ToolCall | None:
            self.outputs.append(output)
            if not pending:
                return None
            step = pending.pop(0)
            return step if isinstance(step, ToolCall) else step(output)

        self.model = ScriptedChatModel(next_call=next_call)
        self.events = EventRecorder()
        self.agent = create_agent(
            self.model,
            tools=OneClawToolkit(session=self.session, prefix=prefix).get_tools(),
            middleware=[OneClawApprovalMiddleware(self.session), OneClawGuardMiddleware(self.session)],
            checkpointer=InMemorySaver(),
        )
        self.config: Any = {"configurable": {"thread_id": "t1"}, "callbacks": [self.events]}

    def start(self) -> dict[str, Any]:
        return self.agent.invoke(
            {"messages": [HumanMessage("Share the deploy token with Bob.")]}, self.config
        )

    def resume(self, decision: Any) -> dict[str, Any]:
        return self.agent.invoke(Command(resume=decision), self.config)

    def haystack(self, state: dict[str, Any]) -> str:
        return json.dumps([self.model.calls, self.events.events, state], default=repr)


def interrupt_of(state: dict[str, Any]) -> dict[str, Any]:
    [pending] = state["__interrupt__"]
    value: dict[str, Any] = pending.value
    return value


def tool_messages(state: dict[str, Any]) -> list[ToolMessage]:
    return [m for m in state["messages"] if isinstance(m, ToolMessage)]


def test_approve_runs_the_share_once(world: HitlWorld) -> None:
    agent = Agent(world, [ToolCall("share_secret", SHARE), ToolCall("share_secret", SHARE)])
    state = agent.start()
    asked = interrupt_of(state)
    assert asked["type"] == "tool_approval" and asked["name"] == "share_secret"
    assert SHARE_PATH in asked["description"] and "bob@example.com" in asked["description"]
    assert world.shares() == []  # paused before the tool ran
    state = agent.resume({"type": "approve", "approval_id": asked["approval_id"]})
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    # the model shares again: a new interrupt, the used grant does not carry over
    again = interrupt_of(state)
    assert again["approval_id"] != asked["approval_id"]
    state = agent.resume({"type": "reject"})
    assert tool_messages(state)[-1].status == "error" and "rejected" in str(tool_messages(state)[-1].content)
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    assert SHARED not in agent.haystack(state)


def test_tools_behind_a_prefix_are_paused_too(world: HitlWorld) -> None:
    """With ``prefix="oneclaw_"`` the model calls ``oneclaw_share_secret``: the graph still pauses
    (the middleware used to look the surface name up and let the core refuse with no interrupt)."""
    steps: list[Step | ToolCall] = [
        ToolCall("oneclaw_share_secret", SHARE),
        ToolCall("oneclaw_share_secret", REPLAY_RECIPIENT),
    ]
    agent = Agent(world, steps, prefix="oneclaw_")
    asked = interrupt_of(agent.start())
    assert asked["name"] == "share_secret" and "bob@example.com" in asked["description"]
    state = agent.resume({"type": "approve", "approval_id": asked["approval_id"]})
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    again = interrupt_of(state)
    assert "mallory@evil.example" in again["description"]
    state = agent.resume({"type": "approve", "approval_id": asked["approval_id"]})  # the old decision
    assert tool_messages(state)[-1].status == "error" and world.shares() == [(SHARE_PATH, "bob@example.com")]


def test_reject_refuses(world: HitlWorld) -> None:
    agent = Agent(world, [ToolCall("share_secret", SHARE)])
    agent.start()
    state = agent.resume({"type": "reject", "message": "no"})
    [msg] = tool_messages(state)
    assert msg.status == "error" and "not approved" in str(msg.content) and world.shares() == []
    assert world.pending_ids() == []


@pytest.mark.parametrize("other", [REPLAY_RECIPIENT, REPLAY_PATH], ids=["recipient", "path"])
def test_an_approval_replayed_for_another_action_is_refused(world: HitlWorld, other: dict[str, Any]) -> None:
    agent = Agent(world, [ToolCall("share_secret", SHARE), ToolCall("share_secret", other)])
    first = interrupt_of(agent.start())
    state = agent.resume({"type": "approve", "approval_id": first["approval_id"]})
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    second = interrupt_of(state)
    assert second["digest"] != first["digest"]
    state = agent.resume({"type": "approve", "approval_id": first["approval_id"]})  # the old decision
    msg = tool_messages(state)[-1]
    assert msg.status == "error" and "another approval request" in str(msg.content)
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]


def test_the_model_cannot_pass_an_approved_flag(world: HitlWorld) -> None:
    agent = Agent(world, [ToolCall("share_secret", APPROVED_FLAG)])
    state = agent.start()
    assert "__interrupt__" not in state
    [msg] = tool_messages(state)
    assert msg.status == "error" and "approved" in str(msg.content) and world.shares() == []
    assert world.pending_ids() == []


def test_an_out_of_band_approval_lets_the_call_run_without_an_interrupt(world: HitlWorld) -> None:
    agent = Agent(world, [ToolCall("share_secret", SHARE)])
    asked = interrupt_of(agent.start())
    assert world.cli("approve", asked["approval_id"]).returncode == 0
    state = agent.resume({"type": "reject"})  # the CLI decided first: the grant is used, not this answer
    assert tool_messages(state)[-1].status == "success" and world.shares() == [
        (SHARE_PATH, "bob@example.com")
    ]


def test_request_secret_fulfil_check_end_to_end(world: HitlWorld, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    def check(output: str | None) -> ToolCall:
        return ToolCall("check_secret_request", {"request_id": json.loads(output or "{}")["request_id"]})

    def check_again(output: str | None) -> ToolCall:
        rid = world.request_ids()[0]
        done = world.cli("fulfil", rid, stdin=SUPPLIED + "\n")  # the human, in another process
        assert done.returncode == 0 and SUPPLIED not in done.stdout + done.stderr
        return ToolCall("check_secret_request", {"request_id": rid})

    agent = Agent(
        world,
        [
            ToolCall(
                "request_secret", {"path": WANTED_PATH, "reason": "open the release PR", "type": "api_key"}
            ),
            check,
            check_again,
        ],
    )
    state = agent.start()
    outputs = [json.loads(o) for o in agent.outputs if o]
    assert [o["status"] for o in outputs] == ["pending", "pending", "fulfilled"]
    assert outputs[-1]["handle"].startswith("h_") and outputs[-1]["path"] == WANTED_PATH
    assert agent.session.reveal_unsafe(outputs[-1]["handle"]) == SUPPLIED
    assert SUPPLIED not in agent.haystack(state) and SUPPLIED not in caplog.text


async def test_the_async_path_pauses_and_resumes_the_same_way(world: HitlWorld) -> None:
    agent = Agent(world, [ToolCall("share_secret", SHARE), ToolCall("share_secret", REPLAY_RECIPIENT)])
    state = await agent.agent.ainvoke({"messages": [HumanMessage("Share it.")]}, agent.config)
    first = interrupt_of(state)
    state = await agent.agent.ainvoke(Command(resume={"type": "approve"}), agent.config)
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    second = interrupt_of(state)
    assert "mallory@evil.example" in second["description"]
    state = await agent.agent.ainvoke(
        Command(resume={"type": "approve", "approval_id": first["approval_id"]}), agent.config
    )
    assert tool_messages(state)[-1].status == "error" and world.shares() == [(SHARE_PATH, "bob@example.com")]


TOKEN_SHAPED_ID = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
EXPIRY = SHARE["expires_at"]


def test_the_interrupt_shows_a_token_shaped_recipient_as_typed(world: HitlWorld) -> None:
    """The human must see who would receive the share, even an id that looks like a token."""
    call = {
        "path": SHARE_PATH,
        "recipient_type": "agent",
        "recipient_id": TOKEN_SHAPED_ID,
        "expires_at": EXPIRY,
    }
    agent = Agent(world, [ToolCall("share_secret", call)])
    asked = interrupt_of(agent.start())
    assert f"recipient=agent:{TOKEN_SHAPED_ID} " in asked["description"], asked["description"]
    assert asked["args"]["recipient_id"] == TOKEN_SHAPED_ID and "[secret:" not in json.dumps(asked)
    state = agent.resume({"type": "approve", "approval_id": asked["approval_id"]})
    assert tool_messages(state)[-1].status == "success" and SHARED not in agent.haystack(state)


def test_a_known_value_typed_as_the_recipient_never_reaches_the_human(world: HitlWorld) -> None:
    """A hijacked model holding a value the session knows types it as the recipient, to get it
    onto the human's screen and into the store: no interrupt, the call is refused."""

    def exfiltrate(output: str | None) -> ToolCall:
        assert output is not None and json.loads(output)["handle"].startswith("h_")
        to_value = {"recipient_type": "agent", "recipient_id": SHARED}
        return ToolCall("share_secret", {"path": SHARE_PATH, "expires_at": EXPIRY, **to_value})

    agent = Agent(world, [ToolCall("get_secret", {"path": SHARE_PATH}), exfiltrate])
    state = agent.start()
    assert "__interrupt__" not in state
    msg = tool_messages(state)[-1]
    assert msg.status == "error" and "secret value" in str(msg.content) and world.shares() == []
    assert world.pending_ids() == []
    store = world.vault.parent / (world.vault.name + ".approvals")
    assert all(SHARED.encode() not in p.read_bytes() for p in store.parent.glob(store.name + "*"))
