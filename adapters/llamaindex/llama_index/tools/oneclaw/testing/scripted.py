"""Scripted stand-ins for a model, to run real LlamaIndex agent loops offline.

They are driven by the core's shared scenario (``oneclaw_tools.testing.scenario.Script``), or by
anything with ``next_call(last_tool_output) -> call | None`` where a call has ``.name`` and
``.args``: each time the agent asks the model for a step, the model asks the script for the next
tool call given the text of the last tool result, and answers in plain text when the script is done.

Both record every message list they receive (``seen``) and the tool schemas they were offered
(``tools_seen``), which is what a leak test inspects: it is exactly what a hosted model would get.

* :class:`ScriptedFunctionCallingLLM` for ``FunctionAgent`` / ``AgentWorkflow`` (native tool calls,
  tools presented as OpenAI tool schemas, as the OpenAI integration does).
* :class:`ScriptedReActLLM` for ``ReActAgent`` (the text protocol ``Thought / Action / Action Input``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools.types import BaseTool
from pydantic import PrivateAttr

from oneclaw_tools.testing.scenario import ScriptLike, closing_answer

__all__ = ["ScriptLike", "ScriptedFunctionCallingLLM", "ScriptedReActLLM", "last_tool_output"]

FINAL_ANSWER = "All the steps are done; no secret value was shown to me."
OBSERVATION = "Observation: "


def last_tool_output(messages: Sequence[ChatMessage]) -> str | None:
    """The text of the tool result the model is answering, if the last message is one.

    Native tool calling ends the history with a ``tool`` message; the ReAct protocol ends it with a
    ``user`` message ``"Observation: ..."``. Anything else is a new user turn: ``None``.
    """
    if not messages:
        return None
    last = messages[-1]
    text = last.content or ""
    if last.role == MessageRole.TOOL:
        return text
    if last.role == MessageRole.USER and text.startswith(OBSERVATION):
        return text[len(OBSERVATION) :]
    return None


def _snapshot(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    return [message.model_dump(mode="json") for message in messages]


class ScriptedFunctionCallingLLM(MockFunctionCallingLLM):
    """A function-calling "model" that follows a script and records all it is given."""

    _script: ScriptLike = PrivateAttr()
    _seen: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)
    _tools_seen: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)
    _calls: int = PrivateAttr(default=0)

    def __init__(self, script: ScriptLike, **kwargs: Any) -> None:
        super().__init__(response_generator=self._respond, **kwargs)
        self._script = script

    @classmethod
    def class_name(cls) -> str:
        return "ScriptedFunctionCallingLLM"

    @property
    def seen(self) -> list[list[dict[str, Any]]]:
        """Every message list sent to this model, in order (JSON-able dumps)."""
        return self._seen

    @property
    def tools_seen(self) -> list[list[dict[str, Any]]]:
        """The tool schemas offered with each call."""
        return self._tools_seen

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        prepared = super()._prepare_chat_with_tools(
            tools, user_msg=user_msg, chat_history=chat_history, verbose=verbose, **kwargs
        )
        prepared["tools"] = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        return prepared

    def _respond(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self._seen.append(_snapshot(messages))
        self._tools_seen.append(list(kwargs.get("tools") or []))
        call = self._script.next_call(last_tool_output(messages))
        if call is None:
            return ChatMessage(role=MessageRole.ASSISTANT, content=closing_answer(self._script, FINAL_ANSWER))
        self._calls += 1
        block = ToolCallBlock(tool_call_id=f"call_{self._calls}", tool_name=call.name, tool_kwargs=call.args)
        return ChatMessage(role=MessageRole.ASSISTANT, blocks=[block])


class ScriptedReActLLM(CustomLLM):
    """A text "model" for ``ReActAgent``: it writes ``Thought / Action / Action Input`` steps."""

    _script: ScriptLike = PrivateAttr()
    _seen: list[list[dict[str, Any]]] = PrivateAttr(default_factory=list)

    def __init__(self, script: ScriptLike, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._script = script

    @classmethod
    def class_name(cls) -> str:
        return "ScriptedReActLLM"

    @property
    def seen(self) -> list[list[dict[str, Any]]]:
        """Every message list sent to this model (the ReAct prompt, history and observations)."""
        return self._seen

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(is_chat_model=True, model_name="scripted-react")

    def _step(self, messages: Sequence[ChatMessage]) -> str:
        self._seen.append(_snapshot(messages))
        call = self._script.next_call(last_tool_output(messages))
        if call is None:
            return f"Thought: I can answer without using any more tools.\nAnswer: {closing_answer(self._script, FINAL_ANSWER)}"
        return (
            f"Thought: I should use {call.name}.\nAction: {call.name}\nAction Input: {json.dumps(call.args)}"
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = self._step(messages)
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        text = self._step(messages)

        def gen() -> ChatResponseGen:
            yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=text)

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._step([ChatMessage(role=MessageRole.USER, content=prompt)]))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        response = self.complete(prompt, formatted=formatted, **kwargs)

        def gen() -> CompletionResponseGen:
            yield CompletionResponse(text=response.text, delta=response.text)

        return gen()
