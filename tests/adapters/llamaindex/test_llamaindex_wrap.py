"""wrap_tool: any LlamaIndex tool, placeholders resolved just in time, output scrubbed everywhere.

The spans test matters most: LlamaIndex instruments ``FunctionTool.call``/``acall``, so a wrapper
that called the inner tool the ordinary way would hand the *resolved* arguments and the raw output
to every span handler. If it fails, check that ``wrap.py`` still calls the undecorated method.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.tools import FunctionTool, ToolMetadata, ToolOutput
from llama_index.core.tools.types import BaseTool
from llama_index.tools.oneclaw import wrap_tool, wrap_tools
from llama_index.tools.oneclaw.testing.recorder import Recorder

from oneclaw_tools import Session, ToolError
from oneclaw_tools.testing.scenario import DEMO_PATH, Canaries, assert_no_canary, third_party_tools


def _handle(session: Session) -> str:
    out = session.call("get_secret", {"path": DEMO_PATH})
    return str(out["handle"])


def _placeholder(handle: str) -> str:
    return "{{secret:" + handle + "}}"


def _third_party(session: Session) -> dict[str, FunctionTool]:
    tools = [
        FunctionTool.from_defaults(fn=func, name=name, description=desc)
        for name, (desc, func) in third_party_tools().items()
    ]
    return {t.metadata.get_name(): t for t in wrap_tools(list(tools), session)}


def test_metadata_is_kept() -> None:
    inner = FunctionTool.from_defaults(
        fn=lambda text: text, name="shout", description="Shout it.", return_direct=True
    )

    class _Session:
        pass

    wrapped = wrap_tool(inner, _Session())  # type: ignore[arg-type]
    assert wrapped.metadata.name == "shout"
    assert wrapped.metadata.description == "Shout it."
    assert wrapped.metadata.fn_schema is inner.metadata.fn_schema
    assert wrapped.metadata.return_direct is True


@pytest.mark.parametrize("name", ["echo_raw", "echo_b64", "echo_url", "echo_json", "echo_lines"])
@pytest.mark.parametrize("use_async", [False, True])
async def test_echoed_value_is_scrubbed_in_every_field(
    session: Session, canaries: Canaries, recorder: Recorder, name: str, use_async: bool
) -> None:
    placeholder = _placeholder(_handle(session))
    tool = _third_party(session)[name]
    out = await tool.acall(text=placeholder) if use_async else tool.call(text=placeholder)
    assert not out.is_error, out.content
    assert "{{secret:" not in out.content, "the placeholder was not resolved"
    assert out.raw_input == {"args": (), "kwargs": {"text": placeholder}}, (
        "raw_input keeps what the model wrote"
    )
    assert isinstance(out.raw_output, str) and out.raw_output == out.content
    assert_no_canary([out.content, out.raw_output, out.raw_input, repr(out), recorder.haystack()], canaries)
    # the outer call is observed (with placeholders), the inner one is not
    enters = [r for r in recorder.spans.records if r[0] == "enter"]
    assert enters and all(placeholder in json.dumps(r[2], default=str) for r in enters)


@pytest.mark.parametrize("use_async", [False, True])
async def test_a_tool_raising_with_the_value_is_an_error_output(
    session: Session, canaries: Canaries, recorder: Recorder, use_async: bool
) -> None:
    tool = _third_party(session)["boom"]
    placeholder = _placeholder(_handle(session))
    out = await tool.acall(text=placeholder) if use_async else tool.call(text=placeholder)
    assert out.is_error
    assert out.content == "Error (tool_failed): tool boom failed (RuntimeError)."
    assert isinstance(out.exception, ToolError) and out.exception.__cause__ is None
    assert not [r for r in recorder.spans.records if r[0] == "drop"], "no span saw the exception"
    assert_no_canary(
        [out.content, out.raw_output, repr(out), str(out.exception), recorder.haystack()], canaries
    )


def test_handle_not_allowed_for_this_tool(session: Session, canaries: Canaries) -> None:
    inner = FunctionTool.from_defaults(fn=lambda text: f"got {text}", name="other_echo", description="Echo.")
    out = wrap_tool(inner, session).call(text=_placeholder(_handle(session)))
    assert out.is_error and out.content.startswith("Error 403"), out.content
    assert_no_canary([out.content, out.raw_output, out.raw_input], canaries)


def test_raw_value_in_arguments_is_refused(session: Session, canaries: Canaries) -> None:
    _handle(session)  # the session now knows the value
    calls: list[str] = []

    def send(text: str) -> str:
        calls.append(text)
        return "sent"

    inner = FunctionTool.from_defaults(fn=send, name="echo_raw", description="d")
    out = wrap_tool(inner, session).call(text=canaries.api_token)
    assert out.is_error and "403" in out.content and not calls
    assert_no_canary([out.content, out.raw_output, out.raw_input], canaries)


def test_function_tool_semantics_are_kept(session: Session, canaries: Canaries) -> None:
    """partial_params and the inner callback still apply (the undecorated call is the same code)."""
    seen: dict[str, Any] = {}

    def send(text: str, client: str) -> dict[str, Any]:
        seen["client"] = client
        return {"sent": text, "ok": True}

    inner = FunctionTool.from_defaults(
        fn=send, name="echo_json", description="d", partial_params={"client": "c1"}
    )
    out = wrap_tool(inner, session).call(text=_placeholder(_handle(session)))
    assert seen == {"client": "c1"} and not out.is_error
    assert out.raw_output["ok"] is True and "[secret:" in out.raw_output["sent"]
    assert_no_canary([out.content, out.raw_output], canaries)


def test_an_inner_error_output_stays_an_error(session: Session, canaries: Canaries) -> None:
    inner = FunctionTool.from_defaults(
        fn=lambda text: text,
        name="echo_raw",
        description="d",
        callback=lambda raw: ToolOutput(
            tool_name="echo_raw", content=f"bad token {raw}", raw_input={}, is_error=True
        ),
    )
    out = wrap_tool(inner, session).call(text=_placeholder(_handle(session)))
    assert out.is_error and out.content.startswith("bad token [secret:")
    assert_no_canary([out.content, out.raw_output], canaries)


class _PlainTool(BaseTool):
    """A tool that is not a FunctionTool (sync only): wrapped through the ordinary call."""

    @property
    def metadata(self) -> ToolMetadata:
        return ToolMetadata(name="echo_url", description="Echo as a URL.")

    def __call__(self, input: Any = None, **kwargs: Any) -> ToolOutput:
        text = kwargs.get("input", input)
        return ToolOutput(
            tool_name="echo_url",
            content=f"https://x.test/?t={text}",
            raw_input={"input": text},
            raw_output={"t": text},
        )


@pytest.mark.parametrize("use_async", [False, True])
async def test_any_base_tool(session: Session, canaries: Canaries, use_async: bool) -> None:
    wrapped = wrap_tool(_PlainTool(), session)
    placeholder = _placeholder(_handle(session))
    out = await wrapped.acall(input=placeholder) if use_async else wrapped.call(input=placeholder)
    assert not out.is_error, out.content
    assert out.content.startswith("https://x.test/?t=[secret:")
    assert_no_canary([out.content, out.raw_output, out.raw_input], canaries)


@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")  # llama-index-workflows
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
def test_guard_tools_keeps_ours_and_wraps_the_rest(session: Session) -> None:
    """One call over the agent's list: ours unchanged, other tools and plain functions wrapped once."""
    from llama_index.tools.oneclaw import OneClawToolSpec, guard_agent, guard_tools

    def shout(text: str) -> str:
        """Shout the text."""
        return text.upper()

    ours = OneClawToolSpec(session).to_tool_list()
    theirs = FunctionTool.from_defaults(fn=shout)
    guarded = guard_tools([*ours, theirs, shout], session)
    assert guarded[: len(ours)] == ours
    assert [t.metadata.name for t in guarded[len(ours) :]] == ["shout", "shout"]
    assert all(t is not theirs for t in guarded)
    assert guard_tools(guarded, session) == guarded  # idempotent

    from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent
    from llama_index.core.llms.mock import MockFunctionCallingLLM

    one = FunctionAgent(name="one", description="d", tools=[theirs], llm=MockFunctionCallingLLM())
    two = FunctionAgent(name="two", description="d", tools=[*ours, shout], llm=MockFunctionCallingLLM())
    workflow = AgentWorkflow(agents=[one, two], root_agent="one")
    assert guard_agent(workflow, session) is workflow
    assert one.tools is not None and one.tools[0] is not theirs and one.tools[0].metadata.name == "shout"
    assert two.tools is not None and two.tools[: len(ours)] == ours
