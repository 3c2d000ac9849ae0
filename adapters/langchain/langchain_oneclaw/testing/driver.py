"""The shared scenario in a real ``langchain.agents.create_agent`` loop (sync or ``astream_events``).

Only the LLM is scripted (:class:`~.scripted.ScriptedChatModel` asks the shared ``Script`` for
each turn); the graph, the tool node, the middleware, callbacks, tracers, ``astream_events``,
the checkpointer and ``set_debug`` output are LangChain's own. The scenario's third-party tools
are ordinary ``StructuredTool`` objects that nobody wrapped: the agent gets them, like ours,
through the one-call guard. :meth:`LangChainDriver.run_agent` returns every place LangChain
copied data to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from langchain.agents import create_agent
from langchain_core.globals import set_debug
from langchain_core.messages import HumanMessage, convert_to_openai_messages
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.checkpoint.memory import InMemorySaver

from oneclaw_tools import Session
from oneclaw_tools.testing.driver import AgentRun, SurfaceDriver, ThirdParty
from oneclaw_tools.testing.scenario import Script

from ..middleware import OneClawGuardMiddleware
from ..toolkit import OneClawToolkit
from .scripted import EventRecorder, RunCollector, ScriptedChatModel, message_text

__all__ = ["SYSTEM_PROMPT", "LangChainDriver"]

SYSTEM_PROMPT = "You manage secrets through handles. Never ask for or print a secret value."


class LangChainDriver(SurfaceDriver):
    """``mode="sync"`` runs ``invoke``; ``mode="async"`` runs ``astream_events`` (v2), then ``ainvoke``.
    ``debug=True`` switches LangChain's ``set_debug`` console output on for the run."""

    name = "langchain"
    module = "langchain_oneclaw"

    def __init__(self, *, mode: str = "sync", debug: bool = False) -> None:
        if mode not in ("sync", "async"):
            raise ValueError("mode must be 'sync' or 'async'")
        self.mode, self.debug = mode, debug

    def tool_names(self, session: Session) -> list[str]:
        return [tool.name for tool in OneClawToolkit(session=session).get_tools()]

    def run_agent(
        self, session: Session, script: Script, third_party: ThirdParty, prompts: Sequence[str]
    ) -> AgentRun:
        theirs: list[BaseTool] = [
            StructuredTool.from_function(func=func, name=name, description=description)
            for name, (description, func) in third_party.items()
        ]
        tools = OneClawToolkit(session=session).get_tools() + theirs  # nobody wrapped theirs
        model = ScriptedChatModel(next_call=script.next_call, final_answer=script.final_answer)
        saver = InMemorySaver()
        agent = create_agent(
            model,
            tools=tools,
            middleware=[OneClawGuardMiddleware(session)],  # the one call that guards them all
            system_prompt=SYSTEM_PROMPT,
            checkpointer=saver,
        )
        events, tracer = EventRecorder(), RunCollector()
        config: RunnableConfig = {
            "callbacks": [events, tracer],
            "configurable": {"thread_id": self.mode},
            "recursion_limit": 200,
        }
        recorded: list[Any] = []
        set_debug(self.debug)
        try:
            if self.mode == "sync":
                states = [agent.invoke({"messages": [HumanMessage(p)]}, config) for p in prompts]
            else:
                states = asyncio.run(self._arun(agent, config, prompts, recorded))
        finally:
            set_debug(False)
        answers = [message_text(state["messages"][-1]) for state in states]
        details: dict[str, Any] = {
            "model": model,
            "events": events,
            "tracer": tracer,
            "states": states,
            "checkpoint": saver.get_tuple(config),
            "history": list(agent.get_state_history(config)),
        }
        recorded += [
            model.calls,
            [convert_to_openai_messages(messages) for messages in model.calls],
            model.tools_seen,
            events.events,
            tracer.all_runs(),
            states,
            details["checkpoint"],
            details["history"],
        ]
        offered = [tool["function"]["name"] for tool in model.tools_seen]
        return AgentRun(answers=answers, offered=offered, recorded=recorded, details=details)

    @staticmethod
    async def _arun(
        agent: Any, config: RunnableConfig, prompts: Sequence[str], recorded: list[Any]
    ) -> list[Any]:
        states: list[Any] = []
        first, *rest = prompts
        async for event in agent.astream_events({"messages": [HumanMessage(first)]}, config, version="v2"):
            recorded.append(event)
            if event["event"] == "on_chain_end" and not event.get("parent_ids"):
                states.append(event["data"].get("output"))
        for prompt in rest:
            states.append(await agent.ainvoke({"messages": [HumanMessage(prompt)]}, config))
        return states
