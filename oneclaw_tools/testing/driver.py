"""A surface driver: one framework's real agent loop, playing the shared scenario with a scripted model.

Every surface (LangChain, LlamaIndex, CrewAI, MCP, and any third-party one) ships a
:class:`SurfaceDriver` in its ``testing`` subpackage and registers it under the entry-point group
``oneclaw_tools.surfaces``. Two things use it, so neither copies scaffolding:

* ``oneclaw-tools demo --framework NAME`` (:mod:`oneclaw_tools.demo`) finds the driver by its
  entry point, plays the scenario and prints what the model saw;
* the surface conformance suite (:mod:`oneclaw_tools.testing.surface`) plays the same scenario and
  searches everything the framework recorded for every seeded value.

The driver's one job is :meth:`SurfaceDriver.run_agent`: build the framework's tools for the
session (ours), turn the scenario's plain third-party functions into the framework's ordinary
tools, hand **all** of them to the adapter's one-call guard (never wrapping a tool by hand), and
run the framework's agent loop with the script as the model, one user turn per prompt. It
returns everything the framework kept or emitted (:class:`AgentRun`).

:func:`play` does the rest for both callers: a temporary embedded vault with the canaries, the
local API on 127.0.0.1, spies on the third-party functions, a root log handler at DEBUG.
Nothing here imports pytest or a framework.
"""

from __future__ import annotations

import abc
import importlib.metadata
import json
import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..session import Session
from .scenario import (
    LEAK_PROMPT,
    THIRD_PARTY_TOOLS,
    USER_PROMPT,
    Canaries,
    Script,
    local_api,
    scenario_policy,
    seed_canaries,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "AgentRun",
    "Played",
    "SurfaceDriver",
    "ThirdParty",
    "load_driver",
    "play",
    "rendered",
    "surface_names",
]

ENTRY_POINT_GROUP = "oneclaw_tools.surfaces"

#: name → (description, plain function taking one ``text`` argument)
ThirdParty = Mapping[str, tuple[str, Callable[[str], str]]]


@dataclass
class AgentRun:
    """What one agent run left behind.

    ``answers``: the agent's final answer of each user turn. ``offered``: the tool names the model
    was offered. ``recorded``: everything the framework kept or emitted (messages sent to the model,
    tool outputs, callback/trace/instrumentation events, state, caches, files it wrote, console),
    in any form :func:`~oneclaw_tools.testing.scenario.assert_no_canary` can search. ``details``:
    the same objects by name (``"events"``, ``"state"``...) for surface-specific tests; whatever is
    there must also be in ``recorded``, which is what the leak check searches.
    """

    answers: list[str]
    offered: list[str]
    recorded: list[Any] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class SurfaceDriver(abc.ABC):
    """One framework's agent loop for the shared scenario. Subclass and implement two methods."""

    #: the entry-point name and ``--framework`` value, e.g. ``"langchain"``
    name: str = ""
    #: the adapter's import name; importing it must load no demo or testing module
    module: str = ""

    @abc.abstractmethod
    def tool_names(self, session: Session) -> list[str]:
        """The names of our tools as this surface presents them to a model, in order."""

    @abc.abstractmethod
    def run_agent(
        self, session: Session, script: Script, third_party: ThirdParty, prompts: Sequence[str]
    ) -> AgentRun:
        """Run the framework's agent loop: every tool guarded by the adapter's one call, the
        script as the model, one user turn per prompt."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


@dataclass
class Played:
    """A finished scenario: the script (with its transcript), the run, and what to check."""

    script: Script
    canaries: Canaries
    run: AgentRun
    logs: list[str]
    #: what each third-party function really received (the resolved value: keep it out of every haystack)
    received: list[tuple[str, str]]

    def haystack(self) -> list[Any]:
        """Everything to search for a value: the run's records, its answers, the log records."""
        transcript = [(call.name, call.args, out) for call, out in self.script.transcript]
        return [*rendered(self.run.recorded), *self.run.answers, *self.logs, transcript]


def _render(obj: Any) -> list[Any]:
    out: list[Any] = []
    for render in (repr, str):
        try:
            out.append(render(obj))
        except Exception as exc:  # a failing repr cannot leak
            out.append(type(exc).__name__)
    dump = getattr(obj, "model_dump", None)
    if callable(dump):  # pydantic objects (messages, runs, events): fields their repr leaves out
        try:
            out.append(json.dumps(dump(mode="json", fallback=repr), default=repr))
        except Exception:
            try:
                out.append(repr(dump()))
            except Exception as exc:
                out.append(type(exc).__name__)
    return out


def rendered(*things: Any) -> list[Any]:
    """Everything an observer could read from ``things``: containers flattened, each object with its
    ``repr``, ``str`` and (for pydantic objects) its JSON dump, mappings also as JSON."""
    out: list[Any] = []
    stack: list[Any] = list(things)
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes | bytearray | int | float | bool) or item is None:
            out.append(item)
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif isinstance(item, Mapping):
            try:
                out.append(json.dumps(item, default=repr))
            except (TypeError, ValueError):  # keys JSON cannot take
                out.append(repr(item))
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            out.extend(_render(item))
    return out


class _Logs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f"\n{record.exc_info[1]!r}"
        self.lines.append(text)


@contextmanager
def _root_logs() -> Iterator[_Logs]:
    handler, root = _Logs(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _spied(received: list[tuple[str, str]]) -> dict[str, tuple[str, Callable[[str], str]]]:
    def spy(name: str, func: Callable[[str], str]) -> Callable[[str], str]:
        def spied(text: str) -> str:
            received.append((name, text))
            return func(text)

        spied.__name__, spied.__doc__ = name, func.__doc__
        spied.__annotations__ = dict(func.__annotations__)
        return spied

    return {name: (description, spy(name, func)) for name, (description, func) in THIRD_PARTY_TOOLS.items()}


def play(driver: SurfaceDriver, folder: Path | None = None) -> Played:
    """Play the shared scenario through ``driver`` on a fresh embedded vault (in ``folder``, or a
    temporary folder removed afterwards). The prompts are the user's task, then the leak request."""
    if folder is None:
        with tempfile.TemporaryDirectory(prefix=f"oneclaw-{driver.name}-") as tmp:
            return play(driver, Path(tmp))
    received: list[tuple[str, str]] = []
    with (
        local_api() as api,
        Session.local(folder / "vault.db", policy=scenario_policy()) as session,
    ):
        canaries = seed_canaries(session, api_host=api.host)
        api.token = canaries.api_token
        script = Script(api.url)
        with _root_logs() as logs:
            run = driver.run_agent(session, script, _spied(received), [USER_PROMPT, LEAK_PROMPT])
    return Played(script=script, canaries=canaries, run=run, logs=logs.lines, received=received)


def surface_names() -> list[str]:
    """The surfaces whose drivers are installed (entry points of ``oneclaw_tools.surfaces``)."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})


def load_driver(name: str) -> SurfaceDriver:
    """The installed driver called ``name``; ``LookupError`` if no installed adapter provides it."""
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP, name=name):
        driver = ep.load()()
        if not isinstance(driver, SurfaceDriver):
            raise TypeError(f"entry point {ep.value} is not a SurfaceDriver")
        return driver
    raise LookupError(name)
