"""Offline pieces for driving a real LangChain agent loop: a scripted chat model and recorders.

``ScriptedChatModel`` is a real ``BaseChatModel`` (so ``create_agent`` runs its normal loop,
callbacks, tracers and ``astream_events``) whose replies come from a ``next_call`` function,
e.g. the shared scenario's ``Script(api_url).next_call``: given the text of the last tool
result, it returns the next tool call or ``None`` for the final answer. It records every message
list it is given (``.calls``) and every tool schema bound to it (``.tools_seen``). The fakes in
``langchain_core`` cannot be used: none implements ``bind_tools``, which ``create_agent`` calls.

``EventRecorder`` keeps every callback event with its arguments; ``RunCollector`` is a tracer
that keeps every finished root run (with all child runs, inputs, outputs, errors). Together with
the model's inputs, the agent's final state and the log records they are the haystack a leak
test searches.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.tracers.base import BaseTracer
from langchain_core.tracers.schemas import Run
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

from oneclaw_tools.testing.scenario import CallLike

__all__ = ["EventRecorder", "NextCall", "RunCollector", "ScriptedChatModel", "message_text"]


NextCall = Callable[[str | None], CallLike | None]


def message_text(message: BaseMessage) -> str:
    """The text of a message's content (string or content blocks)."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = [b if isinstance(b, str) else str(b.get("text", "")) for b in content]
    return "".join(parts)


class ScriptedChatModel(BaseChatModel):
    """A chat model whose turns come from a script; it records what it was shown."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    next_call: NextCall = Field(exclude=True, repr=False)
    #: the closing answer, or a function giving it when it is due (so it can report what happened)
    final_answer: str | Callable[[], str] = Field(
        default="Done. The secrets were used through handles; no value was shown to me.", exclude=True
    )
    calls: list[list[BaseMessage]] = Field(default_factory=list, exclude=True, repr=False)
    tools_seen: list[dict[str, Any]] = Field(default_factory=list, exclude=True, repr=False)
    _ids: Iterator[int] = PrivateAttr(default_factory=lambda: itertools.count(1))

    @property
    def _llm_type(self) -> str:
        return "oneclaw-scripted"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        self.tools_seen = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=self.tools_seen, **kwargs)

    def _next_id(self) -> str:
        return f"call_{next(self._ids)}"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append(list(messages))
        last = messages[-1] if messages else None
        last_output = message_text(last) if isinstance(last, ToolMessage) else None
        step = self.next_call(last_output)
        if step is None:
            answer = self.final_answer() if callable(self.final_answer) else self.final_answer
            reply = AIMessage(content=answer)
        else:
            call = {"name": step.name, "args": dict(step.args), "id": self._next_id(), "type": "tool_call"}
            reply = AIMessage(content="", tool_calls=[call])
        return ChatResult(generations=[ChatGeneration(message=reply)])


class EventRecorder(BaseCallbackHandler):
    """Keeps every callback event (name, positional and keyword arguments)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def _add(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.events.append((name, args, kwargs))

    def names(self) -> set[str]:
        return {name for name, _, _ in self.events}

    def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_chat_model_start", args, kwargs)

    def on_llm_start(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_llm_start", args, kwargs)

    def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_llm_new_token", args, kwargs)

    def on_llm_end(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_llm_end", args, kwargs)

    def on_llm_error(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_llm_error", args, kwargs)

    def on_chain_start(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_chain_start", args, kwargs)

    def on_chain_end(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_chain_end", args, kwargs)

    def on_chain_error(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_chain_error", args, kwargs)

    def on_tool_start(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_tool_start", args, kwargs)

    def on_tool_end(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_tool_end", args, kwargs)

    def on_tool_error(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_tool_error", args, kwargs)

    def on_agent_action(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_agent_action", args, kwargs)

    def on_agent_finish(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_agent_finish", args, kwargs)

    def on_text(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_text", args, kwargs)

    def on_custom_event(self, *args: Any, **kwargs: Any) -> None:
        self._add("on_custom_event", args, kwargs)


class RunCollector(BaseTracer):
    """A tracer keeping every finished root run, the way LangSmith or Langfuse would get it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runs: list[Run] = []

    def _persist_run(self, run: Run) -> None:
        self.runs.append(run)

    def all_runs(self) -> list[Run]:
        """Every run, children included, depth first."""
        out: list[Run] = []
        stack = list(reversed(self.runs))
        while stack:
            run = stack.pop()
            out.append(run)
            stack.extend(reversed(run.child_runs))
        return out

    def run_types(self) -> set[str]:
        return {run.run_type for run in self.all_runs()}

    def __repr__(self) -> str:
        return f"RunCollector(runs={len(self.runs)})"
