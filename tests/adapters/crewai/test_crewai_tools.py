"""The generated CrewAI tools, ``wrap_tool`` and ``tool_surface`` on a real embedded vault.

No agent loop here (see test_crewai_agent_*.py), except one small crew proving that the crew
cache really engages for an ordinary tool while ours opt out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from crewai.tools import BaseTool, tool
from crewai.tools.tool_failure import ToolFailure, ToolFailureReason
from crewai_oneclaw import OneClawCrewTools, OneClawTool, make_tool, never_cache, tool_surface, wrap_tool
from crewai_oneclaw.surface import react_tool_block
from crewai_oneclaw.testing.crew import function_tool

from oneclaw_tools import Session, ToolError
from oneclaw_tools.testing.scenario import (
    DEMO_PATH,
    Canaries,
    assert_no_canary,
    scenario_policy,
    seed_canaries,
)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with Session.local(tmp_path / "vault.db", policy=scenario_policy()) as s:
        yield s


@pytest.fixture
def canaries(session: Session) -> Canaries:
    return seed_canaries(session, api_host="127.0.0.1:9")


@pytest.fixture
def handle(session: Session, canaries: Canaries) -> str:
    return str(session.call("get_secret", {"path": DEMO_PATH})["handle"])


def by_name(session: Session) -> dict[str, BaseTool]:
    return {t.name: t for t in OneClawCrewTools(session).tools()}


# -- generated tools ---------------------------------------------------------------------------
def test_one_generic_class_per_spec(session: Session) -> None:
    tools = OneClawCrewTools(session).tools()
    assert [t.name for t in tools] == [s.name for s in session.specs]
    for t, spec in zip(tools, session.specs, strict=True):
        assert type(t) is OneClawTool
        assert t.description == spec.description
        assert t.args_schema is spec.args_model
        assert t.cache_function is never_cache and t.cache_function({}, "x") is False
        assert t.result_as_answer is False


def test_the_session_stays_out_of_schemas_and_dumps(session: Session, canaries: Canaries) -> None:
    t = by_name(session)["get_secret"]
    t.run(path=DEMO_PATH)  # the session now holds a value behind a handle
    dumped = t.model_dump_json()
    assert not {k for k in t.model_dump() if "session" in k}
    assert "Session(" not in dumped
    assert repr(t) == "OneClawTool(name='get_secret')"
    assert_no_canary([dumped, repr(t), t.formatted_description], canaries)


def test_run_returns_what_the_core_returns(session: Session, canaries: Canaries) -> None:
    out = by_name(session)["list_secrets"].run(prefix="demo/")
    assert isinstance(out, str)
    assert json.loads(out) == session.call("list_secrets", {"prefix": "demo/"})
    assert_no_canary(out, canaries)


def test_get_secret_gives_a_handle_never_the_value(session: Session, canaries: Canaries) -> None:
    out = by_name(session)["get_secret"].run(path=DEMO_PATH)
    assert json.loads(out)["handle"].startswith("h_")
    assert_no_canary(out, canaries)


def test_core_errors_are_tool_failures_with_exactly_the_guarded_text(session: Session) -> None:
    with pytest.raises(ToolError) as err:
        session.call("describe_secret", {"path": "demo/missing"})
    out = by_name(session)["describe_secret"].run(path="demo/missing")
    assert isinstance(out, ToolFailure)
    assert out.reason is ToolFailureReason.TOOL_REPORTED
    assert out.as_agent_message() == err.value.text  # what CrewAI shows the model
    assert out.details == {"status": 404, "error": err.value.code}


def test_bad_arguments_get_the_core_text_not_crewai_validation(session: Session) -> None:
    out = by_name(session)["describe_secret"].run(path=123)
    assert isinstance(out, ToolFailure)
    assert out.message.startswith("Error 400 (invalid_argument): argument 'path'")
    extra = by_name(session)["describe_secret"].run(path=DEMO_PATH, nope=1)
    assert isinstance(extra, ToolFailure) and "nope" in extra.message


async def test_async_path(session: Session, canaries: Canaries) -> None:
    t = by_name(session)
    out = await t["describe_secret"].arun(path=DEMO_PATH)
    assert isinstance(out, str) and json.loads(out)["path"] == DEMO_PATH
    failed = await t["describe_secret"].arun(path="demo/missing")
    assert isinstance(failed, ToolFailure) and failed.message.startswith("Error 404")


def test_make_tool_for_a_single_spec(session: Session) -> None:
    spec = next(s for s in session.specs if s.name == "list_vaults")
    t = make_tool(session, spec)
    assert t.name == "list_vaults" and json.loads(t.run())


def test_read_only_policy_shrinks_the_tool_list(tmp_path: Path) -> None:
    with Session.local(tmp_path / "ro.db", policy=scenario_policy(read_only=True)) as ro:
        names = {t.name for t in OneClawCrewTools(ro).tools()}
    assert "list_secrets" in names and "put_secret" not in names and "rotate_and_store" not in names


# -- wrap_tool ---------------------------------------------------------------------------------
@dataclass
class Seen:
    args: list[str]


def echo_tool(name: str, seen: Seen) -> BaseTool:
    def echo(text: str) -> str:
        seen.args.append(text)
        return f"got {text}"

    return function_tool(name, "Echo the text.", echo)


def test_wrap_resolves_the_placeholder_just_in_time_and_scrubs(
    session: Session, canaries: Canaries, handle: str
) -> None:
    seen = Seen([])
    inner = echo_tool("echo_raw", seen)
    wrapped = wrap_tool(inner, session)
    assert (wrapped.name, wrapped.description, wrapped.args_schema) == (
        "echo_raw",
        "Echo the text.",
        inner.args_schema,
    )
    out = wrapped.run(text="Bearer {{secret:" + handle + "}}")
    assert seen.args == [f"Bearer {canaries.api_token}"]  # the tool really got the value
    assert isinstance(out, str) and out.startswith("got Bearer ")
    assert_no_canary(out, canaries)
    assert wrapped.cache_function({}, out) is False


def test_wrap_refuses_a_handle_not_bound_to_the_tool(session: Session, handle: str) -> None:
    seen = Seen([])
    out = wrap_tool(echo_tool("not_allowed", seen), session).run(text="{{secret:" + handle + "}}")
    assert isinstance(out, ToolFailure) and out.message.startswith("Error 403")
    assert seen.args == []


def test_wrap_refuses_a_raw_value_in_the_arguments(session: Session, canaries: Canaries, handle: str) -> None:
    seen = Seen([])
    out = wrap_tool(echo_tool("echo_raw", seen), session).run(text=canaries.api_token)
    assert isinstance(out, ToolFailure) and "contain a secret value" in out.message
    assert seen.args == []
    assert_no_canary(out.model_dump_json(), canaries)


def test_wrap_turns_an_exception_carrying_the_value_into_a_safe_failure(
    session: Session, canaries: Canaries, handle: str
) -> None:
    def boom(text: str) -> str:
        raise RuntimeError(f"upstream rejected {text}")

    out = wrap_tool(function_tool("boom", "Fails.", boom), session).run(text="{{secret:" + handle + "}}")
    assert isinstance(out, ToolFailure)
    assert out.message == "Error (tool_failed): tool boom failed (RuntimeError)."
    assert_no_canary(out.model_dump_json(), canaries)


class FailingTool(BaseTool):
    """A third-party tool that reports failure the CrewAI way, echoing its input."""

    name: str = "echo_json"
    description: str = "Reports a failure."

    def _run(self, text: str) -> ToolFailure:
        return ToolFailure(message=f"remote said no to {text}", code="denied", retryable=True)


def test_wrap_keeps_an_inner_tool_failure_and_scrubs_it(
    session: Session, canaries: Canaries, handle: str
) -> None:
    out = wrap_tool(FailingTool(), session).run(text="{{secret:" + handle + "}}")
    assert isinstance(out, ToolFailure) and out.retryable is True
    assert out.message.startswith("remote said no to ") and out.message.endswith("(code: denied)")
    assert_no_canary(out.model_dump_json(), canaries)


class MaskingTool(BaseTool):
    """A third-party tool with its own ``format_output_for_agent`` and an async body."""

    name: str = "echo_b64"
    description: str = "Formats its own output."

    def _run(self, text: str) -> dict[str, Any]:
        return {"len": len(text), "echo": text}

    async def _arun(self, text: str) -> dict[str, Any]:
        return {"len": len(text), "echo": text, "async": True}

    def format_output_for_agent(self, raw_result: Any) -> str:
        return "formatted:" + json.dumps(raw_result)


async def test_wrap_formats_inside_the_guard_sync_and_async(
    session: Session, canaries: Canaries, handle: str
) -> None:
    wrapped = wrap_tool(MaskingTool(), session)
    out = wrapped.run(text="{{secret:" + handle + "}}")
    assert isinstance(out, str) and out.startswith("formatted:")
    aout = await wrapped.arun(text="{{secret:" + handle + "}}")
    assert isinstance(aout, str) and '"async": true' in aout
    assert_no_canary([out, aout], canaries)


# -- the surface -------------------------------------------------------------------------------
def test_tool_surface_is_what_crewai_sends(session: Session) -> None:
    """Names, descriptions and argument names equal the specs'.

    CrewAI converts every schema to OpenAI strict mode on the way (all properties required,
    every object closed with ``additionalProperties: false``), so the parameter schemas are not
    byte-equal to ``spec.json_schema()``; see the adapter's report for what that means for
    free-form dict arguments such as http_request's headers.
    """
    surface = tool_surface(session)
    assert [e["name"] for e in surface] == [s.name for s in session.specs]
    for entry, spec in zip(surface, session.specs, strict=True):
        assert entry["description"] == spec.description
        assert set(entry["parameters"]["properties"]) == set(spec.json_schema()["properties"])
        for prop, schema in spec.json_schema()["properties"].items():
            assert entry["parameters"]["properties"][prop].get("description") == schema.get("description")


def test_react_prompt_block_lists_every_tool(session: Session) -> None:
    block = react_tool_block(session)
    for spec in session.specs:
        assert f"Tool Name: {spec.name}\n" in block
        assert spec.description in block


# -- the crew cache engages, but not for our tools -------------------------------------------
@dataclass(frozen=True)
class Call:
    name: str
    args: dict[str, Any]


class ListScript:
    def __init__(self, calls: list[Call]) -> None:
        self.calls = list(calls)
        self.outputs: list[str | None] = []

    def next_call(self, last_tool_output: str | None) -> Call | None:
        self.outputs.append(last_tool_output)
        return self.calls.pop(0) if self.calls else None


@pytest.mark.framework
@pytest.mark.filterwarnings("ignore::DeprecationWarning:crewai")
def test_crew_cache_stores_an_ordinary_tool_but_never_ours(
    session: Session, canaries: Canaries, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crewai import Agent, Crew, Task
    from crewai_oneclaw.testing.scripted import ScriptedLLM

    monkeypatch.chdir(tmp_path)

    @tool("ping")
    def ping(word: str) -> str:
        """Answer pong."""
        return f"pong {word}"

    script = ListScript(
        [
            Call("get_secret", {"path": DEMO_PATH}),
            Call("ping", {"word": "a"}),
            Call("list_secrets", {"prefix": "demo/"}),
        ]
    )
    llm = ScriptedLLM.for_script(script, native=True)
    agent = Agent(
        role="r", goal="g", backstory="b", llm=llm, tools=[*OneClawCrewTools(session).tools(), ping]
    )
    crew = Crew(agents=[agent], tasks=[Task(description="d", expected_output="x", agent=agent)], cache=True)
    crew.kickoff()
    cache = crew._cache_handler._cache
    assert list(cache) == ['ping-{"word": "a"}'], list(cache)
    assert json.loads(str(script.outputs[1]))["handle"].startswith("h_")
    assert_no_canary([repr(cache), json.dumps(llm.seen)], canaries)


@pytest.mark.filterwarnings("ignore::DeprecationWarning:crewai")
def test_guard_crew_guards_every_tool_of_agents_and_tasks(session: Session) -> None:
    """One call over the crew: ours stay, every other tool of each agent and task is wrapped once."""
    from crewai import Agent, Crew, Task
    from crewai_oneclaw import WrappedTool, guard_crew, guard_tools

    def shout(text: str) -> str:
        return text.upper()

    ours = OneClawCrewTools(session).tools()
    theirs = function_tool("shout", "Shout the text.", shout)
    task_tool = function_tool("whisper", "Whisper the text.", shout)
    agent = Agent(role="r", goal="g", backstory="b", tools=[*ours, theirs])
    task = Task(description="d", expected_output="x", agent=agent, tools=[task_tool])
    crew = Crew(agents=[agent], tasks=[task])
    assert guard_crew(crew, session) is crew
    assert agent.tools is not None and agent.tools[: len(ours)] == ours
    assert isinstance(agent.tools[-1], WrappedTool) and agent.tools[-1].name == "shout"
    assert task.tools is not None and isinstance(task.tools[0], WrappedTool)
    assert guard_tools(agent.tools, session) == agent.tools  # idempotent
