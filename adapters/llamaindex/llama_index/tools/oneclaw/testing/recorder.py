"""What a leak test records in a LlamaIndex run: every place LlamaIndex copies tool data to.

Instrumentation events and spans on the root dispatcher, the legacy callback manager (a
``LlamaDebugHandler`` given to the model), streamed workflow events, tool outputs, and anything
else a test adds (memory, serialized context, console, logs). ``Recorder.haystack()`` is what
``assert_no_canary`` searches; ``with recorder.attached():`` adds its handlers to the root
dispatcher for the block.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.span import SimpleSpan
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from llama_index.core.tools import ToolOutput
from llama_index_instrumentation import get_dispatcher
from pydantic import Field

from oneclaw_tools.testing.driver import rendered

__all__ = ["EventRecorder", "Recorder", "SpanRecorder", "dump"]


def dump(obj: Any) -> list[Any]:
    """Everything an observer could read from ``obj``: its repr, str and pydantic dump."""
    return rendered(obj)


class EventRecorder(BaseEventHandler):
    """Every instrumentation event (LLM chat start/end, workflow step output, span drops...)."""

    events: list[Any] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "OneClawEventRecorder"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append((type(event).__name__, dump(event)))


class SpanRecorder(BaseSpanHandler[SimpleSpan]):
    """Every span: its bound arguments on entry, its result on exit, its error when dropped."""

    records: list[Any] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "OneClawSpanRecorder"

    def new_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        parent_span_id: str | None = None,
        tags: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SimpleSpan | None:
        self.records.append(("enter", id_.split("-")[0], dump(bound_args.arguments), tags))
        return SimpleSpan(id_=id_, parent_id=parent_span_id)

    def prepare_to_exit_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        result: Any | None = None,
        **kwargs: Any,
    ) -> SimpleSpan | None:
        self.records.append(("exit", id_.split("-")[0], dump(result)))
        return self.open_spans.get(id_)

    def prepare_to_drop_span(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        err: BaseException | None = None,
        **kwargs: Any,
    ) -> SimpleSpan | None:
        self.records.append(("drop", id_.split("-")[0], dump(err)))
        return self.open_spans.get(id_)

    def names(self) -> set[str]:
        return {record[1] for record in self.records}


class Recorder:
    """Collects everything observable during a run; ``haystack()`` is what the leak check searches."""

    def __init__(self) -> None:
        self.events = EventRecorder()
        self.spans = SpanRecorder()
        self.debug = LlamaDebugHandler(print_trace_on_end=True)
        self.callback_manager = CallbackManager([self.debug])
        self.stream: list[Any] = []
        self.tool_outputs: list[ToolOutput] = []
        self.extra: list[Any] = []

    @contextmanager
    def attached(self) -> Iterator[Recorder]:
        """Record the root dispatcher's events and spans for the block."""
        root = get_dispatcher()
        root.add_event_handler(self.events)
        root.add_span_handler(self.spans)
        try:
            yield self
        finally:
            root.event_handlers = [h for h in root.event_handlers if h is not self.events]
            root.span_handlers = [h for h in root.span_handlers if h is not self.spans]

    def add_tool_output(self, output: ToolOutput) -> None:
        self.tool_outputs.append(output)

    def tool_output_texts(self) -> list[Any]:
        out: list[Any] = []
        for o in self.tool_outputs:
            out += [o.content, o.raw_output, o.raw_input, dump(o), str(o.exception), repr(o.exception)]
        return out

    def legacy_callback_payloads(self) -> list[Any]:
        out: list[Any] = []
        for event in self.debug.get_events():
            out.append(dump(event.payload))
        return out

    def haystack(self) -> list[Any]:
        return [
            self.events.events,
            self.spans.records,
            self.stream,
            self.tool_output_texts(),
            self.legacy_callback_payloads(),
            self.extra,
        ]
