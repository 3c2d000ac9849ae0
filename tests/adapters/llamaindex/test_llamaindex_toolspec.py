"""OneClawToolSpec: a native BaseToolSpec whose FunctionTools are the core specs, nothing more.

If one of these fails after a core change, the adapter is probably re-describing a tool instead
of reading it from ``session.specs``: fix the loop in ``base.py``, not the expectation.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from llama_index.core.tools import FunctionTool, ToolOutput
from llama_index.core.tools.calling import acall_tool, call_tool
from llama_index.core.tools.tool_spec.base import BaseToolSpec
from llama_index.tools.oneclaw import OneClawToolSpec, tool_surface

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.testing.scenario import DEMO_PATH, Canaries, assert_no_canary


def _tools(session: Session) -> dict[str, FunctionTool]:
    return {t.metadata.get_name(): t for t in OneClawToolSpec(session).to_tool_list()}


def test_is_a_native_tool_spec(session: Session) -> None:
    """The LlamaIndex convention (as in every llama-index-tools-* package's own test)."""
    assert BaseToolSpec.__name__ in [b.__name__ for b in OneClawToolSpec.__mro__]
    spec = OneClawToolSpec(session)
    assert [entry[0] for entry in spec.spec_functions] == [s.name for s in session.specs]
    assert "Session" not in repr(spec.to_tool_list()[0].metadata)


def test_one_function_tool_per_spec_with_the_specs_own_metadata(session: Session) -> None:
    tools = OneClawToolSpec(session).to_tool_list()
    assert [t.metadata.name for t in tools] == [s.name for s in session.specs]
    for tool, spec in zip(tools, session.specs, strict=True):
        assert isinstance(tool, FunctionTool)
        assert tool.metadata.description == spec.description
        assert tool.metadata.fn_schema is spec.args_model
        assert not tool.metadata.return_direct
        # a real sync function and a real coroutine function, not LlamaIndex's thread/loop shims
        assert tool.real_fn.__name__ == spec.name
        assert tool.async_fn.__name__ == "a" + spec.name
        assert tool.fn.__name__ == spec.name


def test_subset_and_unknown_names(session: Session) -> None:
    spec = OneClawToolSpec(session)
    assert [t.metadata.name for t in spec.to_tool_list(spec_functions=["get_secret", "alist_secrets"])] == [
        "get_secret",
        "list_secrets",
    ]
    with pytest.raises(ValueError, match="unknown or disallowed"):
        spec.to_tool_list(spec_functions=["reveal_secret"])


def test_operator_policy_filters_the_tools(tmp_path: Path) -> None:
    with Session.local(tmp_path / "ro.db", policy=OperatorPolicy(read_only=True)) as ro:
        names = set(_tools(ro))
    assert "get_secret" in names and "list_secrets" in names
    assert not names & {"put_secret", "delete_secret", "rotate_and_store", "share_secret"}


def test_success_is_guarded_json_in_content_and_structured_raw_output(
    session: Session, canaries: Canaries
) -> None:
    out = _tools(session)["get_secret"].call(path=DEMO_PATH)
    assert isinstance(out, ToolOutput) and not out.is_error
    body = json.loads(out.content)
    assert body["handle"].startswith("h_") and body["path"] == DEMO_PATH
    assert out.raw_output == body, "raw_output is the structured form of exactly what the model reads"
    assert out.raw_input == {"args": (), "kwargs": {"path": DEMO_PATH}}
    assert_no_canary([out.content, out.raw_output, out.raw_input, repr(out)], canaries)


async def test_async_path_matches_sync(session: Session, canaries: Canaries) -> None:
    tool = _tools(session)["describe_secret"]
    sync_out, async_out = tool.call(path=DEMO_PATH), await tool.acall(path=DEMO_PATH)
    assert json.loads(sync_out.content) == json.loads(async_out.content)
    assert not async_out.is_error


@pytest.mark.parametrize("use_async", [False, True])
async def test_core_error_is_an_error_tool_output(
    session: Session, canaries: Canaries, use_async: bool
) -> None:
    """A ToolError is an error ToolOutput (is_error, content == err.text), never raised."""
    tool = _tools(session)["get_secret"]
    out = await tool.acall(path="demo/missing") if use_async else tool.call(path="demo/missing")
    assert out.is_error
    assert out.content.startswith("Error 404 (not_found)")
    assert out.raw_output == out.content
    assert isinstance(out.exception, ToolError) and out.exception.status == 404
    assert out.exception.__cause__ is None and out.exception.__traceback__ is None


def test_validation_error_is_a_clear_error_output(session: Session) -> None:
    out = _tools(session)["get_secret"].call(path="demo/x", colour="blue")
    assert out.is_error and out.content.startswith("Error 400 (invalid_argument)")
    assert "colour" in out.content


def test_llamaindex_call_helpers_keep_the_error_output(session: Session) -> None:
    """``call_tool``/``acall_tool`` (used by LLM.predict_and_call) see a result, not an exception."""
    tool = _tools(session)["describe_secret"]
    out = call_tool(tool, {"path": "demo/missing"})
    assert out.is_error and out.content.startswith("Error 404") and "Encountered error" not in out.content


async def test_async_call_helper(session: Session) -> None:
    out = await acall_tool(_tools(session)["list_vaults"], {})
    assert not out.is_error and "vaults" in json.loads(out.content)


def test_a_value_the_model_stores_is_masked_in_raw_input(session: Session) -> None:
    """put_secret takes a value from the model; afterwards no output field carries it."""
    value = "CANARYput-" + "q7" * 12
    out = _tools(session)["put_secret"].call(path="demo/new", value=value)
    assert not out.is_error, out.content
    assert_no_canary([out.content, out.raw_output, out.raw_input, repr(out)], [value])


def test_exfiltration_attempt_in_arguments_is_refused_and_masked(
    session: Session, canaries: Canaries
) -> None:
    """Once the session fetched a value, an argument carrying it is refused and masked everywhere."""
    tools = _tools(session)
    assert not tools["get_secret"].call(path=DEMO_PATH).is_error
    out = tools["list_secrets"].call(prefix=canaries.api_token)
    assert out.is_error and "403" in out.content
    assert_no_canary([out.content, out.raw_output, out.raw_input], canaries)


def test_tool_surface_is_what_llamaindex_sends_to_a_model(session: Session) -> None:
    surface = tool_surface(session)
    tools = OneClawToolSpec(session).to_tool_list()
    assert [entry["name"] for entry in surface] == [s.name for s in session.specs]
    for entry, tool, spec in zip(surface, tools, session.specs, strict=True):
        assert set(entry) == {"name", "description", "parameters"}
        assert entry == {
            "name": tool.metadata.to_openai_tool()["function"]["name"],
            "description": spec.description,
            "parameters": tool.metadata.get_parameters_dict(),
        }
        schema = spec.json_schema()
        assert entry["parameters"]["properties"] == schema["properties"]
        assert entry["parameters"].get("required", []) == schema.get("required", [])
        # LlamaIndex enforces OpenAI's 1024-character limit on descriptions
        assert len(spec.description) <= 1024


def test_react_parsed_arguments_are_accepted(session: Session) -> None:
    """ReActAgent parses Action Input with dirtyjson (dict subclasses that cannot be rebuilt)."""
    from llama_index.core.agent.react.output_parser import ReActOutputParser
    from llama_index.core.agent.react.types import ActionReasoningStep

    step = ReActOutputParser().parse(
        'Thought: store it\nAction: put_secret\nAction Input: {"path": "demo/new", "value": "v-123456789",'
        ' "metadata": {"owner": "ops", "tags": ["a", "b"]}}'
    )
    assert isinstance(step, ActionReasoningStep)
    assert type(step.action_input["metadata"]) is not dict  # the framework's own type
    out = _tools(session)["put_secret"].call(**step.action_input)
    assert not out.is_error, out.content
    assert out.raw_input["kwargs"]["metadata"] == {"owner": "ops", "tags": ["a", "b"]}


class _CrashingSession(Session):
    """A session whose call fails in a way the core never should (not a ToolError)."""

    def call_text(self, name: str, args: object = None) -> str:
        raise RuntimeError("internal detail CANARYcrash-0123456789")

    async def acall_text(self, name: str, args: object = None) -> str:
        raise RuntimeError("internal detail CANARYcrash-0123456789")


def test_an_unexpected_crash_shows_only_that_the_tool_failed(tmp_path: Path) -> None:
    with _CrashingSession.local(tmp_path / "c.db") as crashing:
        tool = _tools(crashing)["list_secrets"]
        outputs = [tool.call(prefix="demo/"), asyncio.run(tool.acall(prefix="demo/"))]
    for out in outputs:  # the sync and the async path alike
        assert out.is_error and out.content == "Error (tool_failed): tool list_secrets failed."
        assert_no_canary([out.content, out.raw_output, out.raw_input, repr(out)], ["CANARYcrash-0123456789"])
