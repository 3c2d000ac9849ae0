"""``oneclaw-tools demo --framework langchain``: a scripted agent, offline, on an embedded vault.

A real ``create_agent`` loop runs the shared scenario (list, describe, get, use the handle,
rotate, share, then the adversarial turns) with :class:`ScriptedChatModel` standing in for the
LLM. Each model turn prints what the model was shown; the run ends with the no-leak check over
everything recorded (model inputs, callback events, traces, tool messages and the final state).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.tools import BaseTool, StructuredTool

from oneclaw_tools import Session

from .testing import EventRecorder, RunCollector, ScriptedChatModel, message_text
from .toolkit import OneClawToolkit
from .wrap import wrap_tool

__all__ = ["build_agent", "run_demo", "third_party_langchain_tools"]


def third_party_langchain_tools(session: Session) -> list[BaseTool]:
    """The scenario's third-party tools (echoes and boom) as LangChain tools, wrapped."""
    from oneclaw_tools.testing.scenario import third_party_tools

    return [
        wrap_tool(StructuredTool.from_function(func=func, name=name, description=description), session)
        for name, (description, func) in third_party_tools().items()
    ]


def build_agent(session: Session, model: Any, *, checkpointer: Any = None) -> Any:
    """``create_agent`` with the toolkit, the wrapped third-party tools and the guard middleware."""
    from langchain.agents import create_agent

    from .middleware import OneClawGuardMiddleware

    tools = OneClawToolkit(session=session).get_tools() + third_party_langchain_tools(session)
    return create_agent(
        model,
        tools=tools,
        middleware=[OneClawGuardMiddleware(session)],
        system_prompt="You manage secrets through handles. Never ask for or print a secret value.",
        checkpointer=checkpointer,
    )


def _show(echo: Callable[[str], None], index: int, messages: list[BaseMessage]) -> None:
    last = messages[-1]
    text = message_text(last).replace("\n", " ")
    echo(f"--- model turn {index} ({len(messages)} messages), last {last.type}: {text[:240]}")


def run_demo(*, echo: Callable[[str], None] = print) -> int:
    """Run the scripted scenario; print what the model saw; 0 if nothing leaked."""
    from oneclaw_tools.testing.scenario import (
        LEAK_PROMPT,
        USER_PROMPT,
        Script,
        assert_no_canary,
        local_api,
        scenario_policy,
        seed_canaries,
    )

    with tempfile.TemporaryDirectory(prefix="oneclaw-langchain-demo-") as tmp, local_api() as api:
        session = Session.local(Path(tmp) / "vault.db", policy=scenario_policy())
        try:
            canaries = seed_canaries(session, api_host=api.host)
            api.token = canaries.api_token
            script = Script(api_url=api.url)
            model = ScriptedChatModel(next_call=script.next_call, final_answer=script.final_answer())
            agent = build_agent(session, model)
            events, tracer = EventRecorder(), RunCollector()
            config: dict[str, Any] = {"callbacks": [events, tracer], "recursion_limit": 200}
            echo(f"user: {USER_PROMPT}")
            state = agent.invoke({"messages": [HumanMessage(USER_PROMPT)]}, config)
            echo(f"user: {LEAK_PROMPT}")
            state = agent.invoke({"messages": [*state["messages"], HumanMessage(LEAK_PROMPT)]}, config)
            for i, messages in enumerate(model.calls, 1):
                _show(echo, i, messages)
            echo(f"final answer: {message_text(state['messages'][-1])}")
            try:
                script.check_flow()
                assert_no_canary([model.calls, events.events, tracer.all_runs(), state], canaries)
            except AssertionError as exc:
                echo(f"FAILED: {exc}")
                return 1
            echo(
                f"no leak: {len(canaries.values)} secrets checked in {len(model.calls)} model turns, "
                f"{len(events.events)} callback events, {len(tracer.all_runs())} traced runs and the final state"
            )
            return 0
        finally:
            session.close()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(run_demo())
