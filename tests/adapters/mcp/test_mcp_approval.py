"""Approvals and out-of-band secrets over a real MCP client session (elicitation in form mode).

The host is a scripted model driving a real ``mcp.ClientSession``; the user answers the server's
``elicitation/create`` through the client's callback. Every JSON-RPC message is recorded: the
shared value and the supplied value must be in none of them. If a test fails, read
``oneclaw_mcp/approval.py`` (the elicitation) and ``oneclaw_tools/approvals.py`` (the binding).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import types
from oneclaw_mcp import build_server
from oneclaw_mcp.testing.host import McpRecorder, result_text, tapped_client

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

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[HitlWorld]:
    made = HitlWorld.create(tmp_path)
    yield made
    made.close()


class User:
    """The human behind the MCP client: answers each elicitation with the next scripted action."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[types.ElicitRequestParams] = []

    async def __call__(self, context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append(params)
        answer = self.answers.pop(0)
        if answer == "approve":
            return types.ElicitResult(action="accept", content={"approve": True})
        if answer == "open":  # URL mode: the user consents to open the page
            return types.ElicitResult(action="accept")
        if answer == "untick":
            return types.ElicitResult(action="accept", content={"approve": False})
        return types.ElicitResult(action=answer)  # type: ignore[arg-type]


async def run(
    world: HitlWorld, calls: list[tuple[str, dict[str, Any]]], user: User | None, page: str = ""
) -> tuple[list[types.CallToolResult], McpRecorder]:
    """A scripted model's calls through a real client session; returns every result."""
    recorder = McpRecorder()
    server = build_server(world.session, secret_page_url=page)
    kwargs = {} if user is None else {"elicitation_callback": user}
    results = []
    async with tapped_client(server, recorder, **kwargs) as client:
        for name, args in calls:
            result = await client.call_tool(name, args)
            recorder.add(result.model_dump(mode="json"))
            results.append(result)
    return results, recorder


def assert_no_value(recorder: McpRecorder, *values: str) -> None:
    everything = json.dumps(recorder.everything(), default=str)
    for value in values:
        assert value not in everything


async def test_accept_runs_the_share_once_and_the_request_names_path_and_recipient(world: HitlWorld) -> None:
    user = User("approve", "decline")
    results, recorder = await run(world, [("share_secret", SHARE), ("share_secret", SHARE)], user)
    assert not results[0].isError, result_text(results[0])
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    message = user.asked[0].message
    assert SHARE_PATH in message and "bob@example.com" in message and "share_secret" in message
    assert user.asked[0].requestedSchema["properties"]["approve"]["type"] == "boolean"  # type: ignore[index]
    # the same call again is a new action to approve: the grant was used up
    assert results[1].isError and "declined" in result_text(results[1])
    assert world.shares() == [(SHARE_PATH, "bob@example.com")]
    assert_no_value(recorder, SHARED)


@pytest.mark.parametrize(
    ("answer", "words"), [("decline", "declined"), ("cancel", "cancelled"), ("untick", "did not tick")]
)
async def test_decline_cancel_or_no_tick_refuse(world: HitlWorld, answer: str, words: str) -> None:
    user = User(answer)
    results, recorder = await run(world, [("share_secret", SHARE)], user)
    text = result_text(results[0])
    assert results[0].isError and words in text and "not approved" in text
    assert world.shares() == [] and world.pending_ids() == []
    assert_no_value(recorder, SHARED)


async def test_an_approval_is_not_replayed_for_another_recipient_or_path(world: HitlWorld) -> None:
    # the human approved bob's share out of band; the model then tries to stretch it
    await run(world, [("share_secret", SHARE)], None)
    [approval] = world.pending_ids()
    assert world.cli("approve", approval).returncode == 0
    results, _ = await run(world, [("share_secret", REPLAY_RECIPIENT), ("share_secret", REPLAY_PATH)], None)
    assert all(r.isError and "approval_required" in result_text(r) for r in results)
    assert approval not in result_text(results[0]) + result_text(results[1])
    assert world.shares() == []
    # and with an eliciting client the other actions are asked about separately, then refused
    user = User("decline")
    results, _ = await run(world, [("share_secret", REPLAY_RECIPIENT)], user)
    assert results[0].isError and "mallory@evil.example" in user.asked[0].message
    ok, _ = await run(world, [("share_secret", SHARE)], None)
    assert not ok[0].isError and world.shares() == [(SHARE_PATH, "bob@example.com")]


async def test_the_model_cannot_pass_an_approved_flag(world: HitlWorld) -> None:
    user = User()
    results, _ = await run(world, [("share_secret", APPROVED_FLAG)], user)
    assert (
        results[0].isError
        and "approved" in result_text(results[0])
        and "extra inputs" in result_text(results[0])
    )
    assert user.asked == [] and world.shares() == [] and world.pending_ids() == []


async def test_a_client_without_elicitation_is_told_how_to_approve(world: HitlWorld) -> None:
    results, _ = await run(world, [("share_secret", SHARE)], None)
    text = result_text(results[0])
    assert results[0].isError and "oneclaw-tools approve apr_" in text and "elicitation" in text
    [approval] = world.pending_ids()
    assert approval in text and world.shares() == []
    assert world.cli("approve", approval).returncode == 0
    again, _ = await run(world, [("share_secret", SHARE)], None)
    assert not again[0].isError and world.shares() == [(SHARE_PATH, "bob@example.com")]


async def test_request_secret_fulfil_check_end_to_end(
    world: HitlWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    results, recorder = await run(
        world,
        [("request_secret", {"path": WANTED_PATH, "reason": "open the release PR", "type": "api_key"})],
        None,
    )
    asked = json.loads(result_text(results[0]))
    rid = asked["request_id"]
    assert asked["status"] == "pending" and world.request_ids() == [rid]
    listed = world.cli("requests")
    assert WANTED_PATH in listed.stdout and "open the release PR" in listed.stdout
    done = world.cli("fulfil", rid, stdin=SUPPLIED + "\n")
    assert done.returncode == 0 and SUPPLIED not in done.stdout + done.stderr
    checked, recorder2 = await run(world, [("check_secret_request", {"request_id": rid})], None)
    out = json.loads(result_text(checked[0]))
    assert out["status"] == "fulfilled" and out["handle"].startswith("h_") and out["path"] == WANTED_PATH
    assert_no_value(recorder, SUPPLIED)
    assert_no_value(recorder2, SUPPLIED)
    assert SUPPLIED not in caplog.text


async def test_request_secret_points_the_user_at_the_page_in_url_mode(world: HitlWorld) -> None:
    user = User("open")
    page = "http://127.0.0.1:8787/approvals/"
    results, _ = await run(
        world, [("request_secret", {"path": WANTED_PATH, "reason": "release"})], user, page
    )
    rid = json.loads(result_text(results[0]))["request_id"]
    [asked] = user.asked
    assert isinstance(asked, types.ElicitRequestURLParams)
    assert asked.url == page + "#" + rid and asked.elicitationId == rid
    assert WANTED_PATH in asked.message and rid in asked.message
    assert world.request_ids() == [rid]  # still pending: the human supplies it on the page or the CLI
    # without a page address nothing is offered
    quiet = User()
    await run(world, [("request_secret", {"path": WANTED_PATH, "reason": "again"})], quiet)
    assert quiet.asked == []
