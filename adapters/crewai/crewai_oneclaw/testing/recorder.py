"""Record every place a CrewAI run copies tool data to, for no-leak checks.

:class:`CrewRecorder` subscribes to **every** CrewAI event type on ``crewai_event_bus`` (the bus
dispatches on the exact class, so each subclass of ``BaseEvent`` gets the handler), keeps a
JSON rendering and the ``repr`` of each event, and attaches a DEBUG logging handler to the root
logger. After the run, :meth:`CrewRecorder.collect` adds what the crew kept: the messages the
model received, the crew and agent caches, ``agent.tools_results``, the ``CrewOutput`` (raw,
task outputs, token usage, tool failures) and the bytes of every file under the given folders
(the temporary ``HOME``, ``CREWAI_STORAGE_DIR`` and the working directory, where CrewAI keeps
``latest_kickoff_task_outputs.db`` and its other state). The haystack goes to
``assert_no_canary``.

The bus runs synchronous handlers in a pool of threads, so events reach the handler in any
order; on leaving the ``with`` block (after the bus is flushed) the recorder puts them back in
the order they were emitted (``BaseEvent.emission_sequence``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crewai.events import crewai_event_bus
from crewai.events.base_events import BaseEvent

__all__ = ["CrewRecorder", "all_event_types", "files_under"]


def all_event_types() -> set[type[BaseEvent]]:
    """Every concrete CrewAI event class that has been imported (all of ``crewai.events.types``)."""
    import crewai.events.types as types_pkg  # noqa: F401  (registers the event modules)

    found: set[type[BaseEvent]] = set()
    stack: list[type[BaseEvent]] = [BaseEvent]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def files_under(folders: Iterable[Path]) -> Iterator[tuple[Path, bytes]]:
    """``(path, content)`` of every regular file below ``folders``."""
    for folder in folders:
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path, path.read_bytes()


def _event_text(event: BaseEvent) -> str:
    try:
        return event.model_dump_json(warnings=False)
    except Exception:
        return repr(event)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self._sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + repr(record.exc_info[1])
        self._sink.append(f"{record.name}: {text}")


class CrewRecorder:
    """Use as a context manager around ``crew.kickoff()``; then :meth:`collect`."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.event_reprs: list[str] = []
        self.logs: list[str] = []
        self.tool_events: list[tuple[str, str, Any, Any]] = []
        self._sequences: dict[str, list[int]] = {"events": [], "tool_events": []}
        self._lock = threading.Lock()
        self._types: set[type[BaseEvent]] = set()
        self._log_handler = _ListHandler(self.logs)
        self._old_level: int | None = None

    def __repr__(self) -> str:
        return f"CrewRecorder(events={len(self.events)}, logs={len(self.logs)})"

    def _on_event(self, source: Any, event: BaseEvent) -> None:
        name = type(event).__name__
        sequence = int(getattr(event, "emission_sequence", None) or 0)
        text, shown = _event_text(event), repr(event)
        with self._lock:  # handlers run on the bus's worker threads
            self.events.append((name, text))
            self.event_reprs.append(shown)
            self._sequences["events"].append(sequence)
            if name.startswith("ToolUsage"):
                self.tool_events.append(
                    (
                        name,
                        str(getattr(event, "tool_name", "")),
                        getattr(event, "tool_args", None),
                        getattr(event, "output", getattr(event, "error", None)),
                    )
                )
                self._sequences["tool_events"].append(sequence)

    def _in_emission_order(self) -> None:
        with self._lock:
            order = sorted(range(len(self.events)), key=self._sequences["events"].__getitem__)
            self.events = [self.events[i] for i in order]
            self.event_reprs = [self.event_reprs[i] for i in order]
            tools = sorted(range(len(self.tool_events)), key=self._sequences["tool_events"].__getitem__)
            self.tool_events = [self.tool_events[i] for i in tools]

    def __enter__(self) -> CrewRecorder:
        self._types = all_event_types()
        for cls in self._types:
            crewai_event_bus.on(cls)(self._on_event)
        root = logging.getLogger()
        self._old_level = root.level
        root.addHandler(self._log_handler)
        root.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc: object) -> None:
        crewai_event_bus.flush()
        for cls in self._types:
            crewai_event_bus.off(cls, self._on_event)
        self._in_emission_order()
        root = logging.getLogger()
        root.removeHandler(self._log_handler)
        if self._old_level is not None:
            root.setLevel(self._old_level)

    def event_names(self) -> list[str]:
        return [name for name, _ in self.events]

    def collect(
        self,
        *,
        llm: Any = None,
        crew: Any = None,
        output: Any = None,
        folders: Iterable[Path] = (),
        extra: Iterable[Any] = (),
    ) -> list[Any]:
        """Everything recorded plus what the crew kept, as one haystack of str/bytes."""
        hay: list[Any] = [text for _, text in self.events]
        hay += self.event_reprs
        hay += self.logs
        if llm is not None:
            hay.append(json.dumps(getattr(llm, "seen", []), default=str))
            hay.append(json.dumps(getattr(llm, "tools_offered", []), default=str))
            hay.append(json.dumps(getattr(llm, "answers", []), default=str))
        if crew is not None:
            cache = getattr(crew, "_cache_handler", None)
            hay.append(repr(getattr(cache, "_cache", None)))
            for agent in getattr(crew, "agents", []):
                hay.append(repr(getattr(agent, "tools_results", None)))
                hay.append(repr(getattr(getattr(agent, "cache_handler", None), "_cache", None)))
                hay.append(agent.model_dump_json(warnings=False))
            for task in getattr(crew, "tasks", []):
                hay.append(repr(getattr(task, "output", None)))
        if output is not None:
            hay.append(str(output.raw))
            hay.append(output.model_dump_json(warnings=False))
            hay.append(repr(output.token_usage))
            for task_output in output.tasks_output:
                hay.append(task_output.model_dump_json(warnings=False))
        for path, content in files_under(folders):
            hay.append(str(path))
            hay.append(content)
        hay.extend(extra)
        return hay
