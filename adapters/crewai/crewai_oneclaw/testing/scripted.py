"""A scripted CrewAI model: drives a real ``Crew.kickoff`` offline, for demos, notebooks and tests.

:class:`ScriptedLLM` is a :class:`crewai.llms.base_llm.BaseLLM` that asks a *script* for its
next move instead of a provider. A script is any object with
``next_call(last_tool_output: str | None) -> ToolCall | None`` (the shared
``oneclaw_tools.testing.scenario.Script`` is one); ``ToolCall`` has ``name`` and ``args``.

It speaks both of CrewAI's protocols:

* ``native=True``: ``supports_function_calling()`` is True; CrewAI sends OpenAI tool schemas in
  ``tools=`` and the model answers with OpenAI-style tool-call dicts; tool results come back as
  ``role: "tool"`` messages.
* ``native=False``: ReAct text. The tools are described in the system prompt and the model
  writes ``Action:`` / ``Action Input:`` lines; the observation comes back inside the
  conversation text.

Every message list it receives is recorded in :attr:`ScriptedLLM.seen` (and every answer in
:attr:`ScriptedLLM.answers`), so a test can assert that no value ever reached "the model". It
emits CrewAI's ``LLMCallStarted/CompletedEvent`` and counts (estimated) tokens like a provider
integration does, so event and usage recorders see a realistic run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from crewai.events.types.llm_events import LLMCallType
from crewai.llms.base_llm import BaseLLM
from pydantic import PrivateAttr

from oneclaw_tools.testing.scenario import CallLike, ScriptLike, closing_answer

__all__ = ["FINAL_ANSWER", "ScriptProtocol", "ScriptedLLM", "ToolCallLike", "last_tool_output"]

_REACT_REMINDER = "\nYou ONLY have access to the following tools"
FINAL_ANSWER = "Done: the API call, the rotation and the share succeeded; no secret value was shown."


#: the core's protocols of a tool call and a script, under this module's older names
ToolCallLike = CallLike
ScriptProtocol = ScriptLike


@dataclass
class _Turn:
    tool: str | None
    args: dict[str, Any] | None
    answer: Any


def _message_text(message: Any) -> str:
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    return "" if content is None else str(content)


def last_tool_output(messages: list[Any], *, native: bool) -> str | None:
    """The latest tool result in a CrewAI conversation, as the model would read it."""
    if native:
        for message in reversed(messages):
            role = message.get("role") if isinstance(message, dict) else None
            if role == "tool":
                return _message_text(message)
            if role == "assistant" and not message.get("tool_calls"):
                break
        return None
    # ReAct: CrewAI appends "Observation: <result>" to the model's own last message (and, every
    # few turns, a reminder of the tool list, which is not part of the result).
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "assistant":
            continue
        text = _message_text(message).split(_REACT_REMINDER, 1)[0]
        if "Observation:" not in text:
            return None
        return text.rsplit("Observation:", 1)[1].strip()
    return None


def _estimate_tokens(obj: Any) -> int:
    return max(1, len(json.dumps(obj, default=str)) // 4)


class ScriptedLLM(BaseLLM):
    """An offline model that plays a script through CrewAI's real agent loop."""

    native: bool = True
    final_answer: str = FINAL_ANSWER
    _script: ScriptProtocol = PrivateAttr()
    _seen: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)
    _tools_offered: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)
    _answers: list[Any] = PrivateAttr(default_factory=list)
    _calls: int = PrivateAttr(default=0)

    @classmethod
    def for_script(cls, script: ScriptProtocol, *, native: bool, model: str = "scripted") -> ScriptedLLM:
        llm = cls(model=model, native=native)
        llm._script = script
        return llm

    def __repr__(self) -> str:
        return f"ScriptedLLM(native={self.native}, calls={self._calls})"

    @property
    def seen(self) -> list[list[dict[str, Any]]]:
        """Every message list CrewAI sent, JSON-normalised, oldest first."""
        return self._seen

    @property
    def tools_offered(self) -> list[list[dict[str, Any]]]:
        return self._tools_offered

    @property
    def answers(self) -> list[Any]:
        return self._answers

    def supports_function_calling(self) -> bool:
        return self.native

    def supports_stop_words(self) -> bool:
        return False

    def get_context_window_size(self) -> int:
        return 128_000

    def _next(self, messages: list[Any]) -> _Turn:
        step = self._script.next_call(last_tool_output(messages, native=self.native))
        if step is None:
            answer = closing_answer(self._script, self.final_answer)
            if self.native:
                return _Turn(None, None, answer)
            return _Turn(None, None, f"Thought: I now know the final answer\nFinal Answer: {answer}")
        self._calls += 1
        if self.native:
            call = {
                "id": f"call_{self._calls}",
                "type": "function",
                "function": {"name": step.name, "arguments": json.dumps(step.args)},
            }
            return _Turn(step.name, step.args, [call])
        text = f"Thought: next I use {step.name}.\nAction: {step.name}\nAction Input: {json.dumps(step.args)}"
        return _Turn(step.name, step.args, text)

    def call(
        self,
        messages: Any,
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any | None = None,
        from_agent: Any | None = None,
        response_model: Any | None = None,
    ) -> Any:
        msgs: list[Any] = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
        self._emit_call_started_event(
            messages=msgs,
            tools=tools,
            callbacks=callbacks,
            available_functions=available_functions,
            from_task=from_task,
            from_agent=from_agent,
        )
        self._seen.append(json.loads(json.dumps(msgs, default=str)))
        self._tools_offered.append(json.loads(json.dumps(tools or [], default=str)))
        turn = self._next(msgs)
        self._answers.append(turn.answer)
        usage = {
            "prompt_tokens": _estimate_tokens(msgs),
            "completion_tokens": _estimate_tokens(turn.answer),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        self._track_token_usage_internal(usage)
        self._emit_call_completed_event(
            response=turn.answer,
            call_type=LLMCallType.TOOL_CALL if turn.tool else LLMCallType.LLM_CALL,
            from_task=from_task,
            from_agent=from_agent,
            messages=msgs,
            usage=usage,
        )
        return turn.answer

    async def acall(self, *args: Any, **kwargs: Any) -> Any:
        """The same turn as :meth:`call` (the script answers at once)."""
        return self.call(*args, **kwargs)
