"""Moving from ``langchain-1claw``: the documented name map holds, and an agent written for the
official toolkit runs on ours after the documented changes (``docs/migration.md``).

The official names are those of ``langchain-1claw`` 0.2.4 and ``1claw-crewai-tools`` 0.3.4 (read
from their wheels). If this fails after a tool was renamed here, update the table in
``docs/migration.md`` (between the ``names`` markers); never drop an official name from it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_oneclaw import OneClawGuardMiddleware, OneClawToolkit, tool_surface
from langchain_oneclaw.testing import ScriptedChatModel

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import DEMO_PATH, ToolCall, assert_no_canary, seed_canaries

pytestmark = pytest.mark.framework

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "migration.md"
OFFICIAL = [
    "oneclaw_get_secret",
    "oneclaw_put_secret",
    "oneclaw_list_secrets",
    "oneclaw_rotate_secret",
    "oneclaw_memory_put",
    "oneclaw_memory_get",
    "oneclaw_memory_search",
    "oneclaw_sign_message",
    "oneclaw_submit_transaction",
    "oneclaw_get_balance",
    "oneclaw_resolve_env",
    "oneclaw_list_env_vars",
    "oneclaw_trigger_automation",
    "oneclaw_vault",  # 1claw-crewai-tools' name for getting a secret
]
#: the official argument names that the guide renames
ARGUMENTS = {"secret_type": "type"}


def name_map() -> dict[str, str | None]:
    """official name → ours (``None``: no equivalent), read from the guide's table."""
    text = GUIDE.read_text()
    table = text[text.index("<!-- names:start -->") : text.index("<!-- names:end -->")]
    out: dict[str, str | None] = {}
    for row in table.splitlines()[3:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        official = re.match(r"`([^`]+)`", cells[0])
        ours = re.match(r"`([^`]+)`", cells[1])
        assert official, row
        out[official.group(1)] = ours.group(1) if ours else None
    return out


@pytest.fixture
def session(tmp_path: Path) -> Any:
    with Session.local(tmp_path / "vault.db") as s:
        yield s


def test_every_official_name_is_in_the_guide_and_maps_to_a_tool_we_have(session: Session) -> None:
    mapping = name_map()
    assert sorted(mapping) == sorted(OFFICIAL), "the guide's table must list every official tool"
    ours = {tool["name"] for tool in tool_surface(session, prefix="oneclaw_")}
    for official, mapped in mapping.items():
        if mapped is not None:
            assert mapped in ours, f"{official} maps to {mapped}, which the prefixed toolkit lacks"
    same = [name for name, mapped in mapping.items() if mapped == name]
    assert {"oneclaw_get_secret", "oneclaw_put_secret", "oneclaw_list_secrets"} <= set(same)


def migrate(call: ToolCall, mapping: dict[str, str | None]) -> ToolCall:
    """The documented changes, applied to one call the official toolkit's agent would make."""
    target = mapping[call.name]
    assert target is not None, f"{call.name} has no equivalent"
    return ToolCall(target, {ARGUMENTS.get(key, key): value for key, value in call.args.items()})


def test_an_agent_scripted_for_the_official_toolkit_runs_on_ours(session: Session) -> None:
    canaries = seed_canaries(session, api_host="127.0.0.1:9")
    new_value = "migrated-token-" + "q7" * 12
    official_plan = [
        ToolCall("oneclaw_list_secrets", {"prefix": "demo/"}),
        ToolCall("oneclaw_get_secret", {"path": DEMO_PATH}),
        ToolCall(
            "oneclaw_put_secret", {"path": "demo/migrated", "value": new_value, "secret_type": "api_key"}
        ),
        ToolCall("oneclaw_rotate_secret", {"path": "demo/migrated", "length": 32, "charset": "base64"}),
        ToolCall("oneclaw_vault", {"path": "demo/migrated"}),
    ]
    mapping = name_map()
    steps = iter([migrate(call, mapping) for call in official_plan])
    model = ScriptedChatModel(next_call=lambda _last: next(steps, None))
    toolkit = OneClawToolkit(session, prefix="oneclaw_")
    agent = create_agent(model, tools=toolkit.get_tools(), middleware=[OneClawGuardMiddleware(session)])
    state = agent.invoke({"messages": [HumanMessage("Rotate the migrated token.")]}, {"recursion_limit": 50})

    results = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [m.name for m in results] == [
        "oneclaw_list_secrets",
        "oneclaw_get_secret",
        "oneclaw_put_secret",
        "oneclaw_rotate_and_store",
        "oneclaw_get_secret",
    ]
    assert all(m.status != "error" for m in results), [str(m.content)[:200] for m in results]
    fetched = json.loads(str(results[1].content))
    assert fetched["placeholder"].startswith("{{secret:h_"), "the documented change: a handle, not a value"
    assert json.loads(str(results[3].content))["version"] == 2
    assert_no_canary([state, model.calls], canaries)
    # the model typed new_value itself (put_secret); no tool result may give it back
    assert_no_canary([m.content for m in results], [new_value])
