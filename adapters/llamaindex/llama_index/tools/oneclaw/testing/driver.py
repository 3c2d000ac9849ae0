"""The shared scenario through a real ``FunctionAgent`` or ``ReActAgent``.

Only the model is scripted. The scenario's third-party tools are ordinary ``FunctionTool``
objects nobody wrapped; the agent gets them, like ours, through the adapter's one-call guard.
Everything observable is recorded: the messages and tool schemas the model received, every
``ToolOutput`` (content, raw_output, raw_input, exception), the streamed workflow events, the
instrumentation events and spans, the legacy callback handler, the agent's memory and the
serialized workflow context (and, with ``verbose=True``, the console output of the global
"simple" handler and of the agent, which the conformance suite captures).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Sequence
from typing import Any

import llama_index.core
from llama_index.core import set_global_handler
from llama_index.core.agent.workflow import FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.callbacks import CallbackManager
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context

from oneclaw_tools import Session
from oneclaw_tools.testing.driver import AgentRun, SurfaceDriver, ThirdParty
from oneclaw_tools.testing.scenario import Script

from ..base import OneClawToolSpec
from ..wrap import guard_agent
from .recorder import Recorder, dump
from .scripted import ScriptedFunctionCallingLLM, ScriptedReActLLM

__all__ = ["SYSTEM_PROMPT", "LlamaIndexDriver"]

SYSTEM_PROMPT = (
    "You manage credentials with the oneclaw tools. Secret values are never shown to you: use the "
    "handle placeholder {{secret:HANDLE}} wherever a tool needs the value, and never try to print it."
)


class LlamaIndexDriver(SurfaceDriver):
    """``kind="function"`` (``FunctionAgent``) or ``kind="react"`` (``ReActAgent``)."""

    name = "llamaindex"
    module = "llama_index.tools.oneclaw"

    def __init__(self, *, kind: str = "function", verbose: bool = False) -> None:
        if kind not in ("function", "react"):
            raise ValueError("kind must be 'function' or 'react'")
        self.kind, self.verbose = kind, verbose

    def tool_names(self, session: Session) -> list[str]:
        return [tool.metadata.get_name() for tool in OneClawToolSpec(session).to_tool_list()]

    def run_agent(
        self, session: Session, script: Script, third_party: ThirdParty, prompts: Sequence[str]
    ) -> AgentRun:
        def run() -> AgentRun:
            return asyncio.run(self._arun(session, script, third_party, prompts))

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return run()
        # called from inside a running loop (a notebook): run on a fresh loop in a thread
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(run).result()

    async def _arun(
        self, session: Session, script: Script, third_party: ThirdParty, prompts: Sequence[str]
    ) -> AgentRun:
        theirs = [
            FunctionTool.from_defaults(fn=func, name=name, description=description)
            for name, (description, func) in third_party.items()
        ]
        tools: list[Any] = [*OneClawToolSpec(session).to_tool_list(), *theirs]  # nobody wrapped theirs
        recorder = Recorder()
        callbacks = CallbackManager([recorder.debug])
        llm: ScriptedFunctionCallingLLM | ScriptedReActLLM
        agent: FunctionAgent | ReActAgent
        if self.kind == "function":
            llm = ScriptedFunctionCallingLLM(script, callback_manager=callbacks)
            agent = FunctionAgent(tools=tools, llm=llm, system_prompt=SYSTEM_PROMPT, verbose=self.verbose)
        else:
            llm = ScriptedReActLLM(script, callback_manager=callbacks)
            agent = ReActAgent(tools=tools, llm=llm, system_prompt=SYSTEM_PROMPT, verbose=self.verbose)
        guard_agent(agent, session)  # the one call that guards every tool of the agent
        previous_handler = llama_index.core.global_handler
        if self.verbose:
            set_global_handler("simple")  # prints every LLM input/output to stdout
        answers: list[str] = []
        try:
            with recorder.attached():
                ctx = Context(agent)
                for prompt in prompts:
                    handler = agent.run(user_msg=prompt, ctx=ctx)
                    async for event in handler.stream_events():
                        recorder.stream.append((type(event).__name__, dump(event)))
                        if isinstance(event, ToolCallResult):
                            recorder.add_tool_output(event.tool_output)
                    result = await handler
                    recorder.extra.append(dump(result))
                    answers.append(str(result))
        finally:
            llama_index.core.global_handler = previous_handler
        memory = await ctx.store.get("memory")
        history = await memory.aget_all()
        tools_seen: list[list[dict[str, Any]]] = getattr(llm, "tools_seen", [])
        recorder.extra += [
            [dump(message) for message in history],
            json.dumps(ctx.to_dict(), default=repr),
            llm.seen,
            tools_seen,
        ]
        offered = (
            [tool["function"]["name"] for tool in tools_seen[0]]
            if tools_seen
            else [tool.metadata.get_name() for tool in tools]  # ReAct: the tools are in the prompt
        )
        details = {"recorder": recorder, "llm": llm, "history": history, "agent": agent}
        return AgentRun(answers=answers, offered=offered, recorded=recorder.haystack(), details=details)
