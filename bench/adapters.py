"""Benchmark: what each adapter adds to one tool call, outside any agent loop (issue 4).

One call, ``describe_secret`` on an embedded vault (a temporary SQLite file), is timed through
the core and through each adapter's native tool object in the same process:

* core           ``session.call_text(...)``              / ``await session.acall_text(...)``
* langchain      ``tool.invoke(args)`` and ``tool.invoke(ToolCall)`` (what ``create_agent`` does);
                 async: ``await tool.ainvoke(ToolCall)``
* llamaindex     ``FunctionTool.call(**args)``           / ``await FunctionTool.acall(**args)``
* crewai         ``BaseTool.run(**args)``
* mcp            ``await ClientSession.call_tool(...)`` against the server over in-memory streams
                 (the JSON-RPC round trip is part of what MCP adds)

An adapter that is not installed is skipped with a note. Each adapter call is paired with a
core call (alternating which goes first), and "added" is the median of the per-pair
differences (sync against sync, async against async): on a shared, loaded machine this is far
steadier than comparing two separately taken averages. "langchain floor" is a LangChain tool
whose function does nothing: what LangChain's own ``BaseTool.run`` costs (it is not an added
cost; it has no core counterpart and is reported against the core call for scale). The target
is ≤ 1 ms (1000 µs) added per call. The last line printed is one JSON object with every figure.

    python bench/adapters.py            # 10 rounds x 100 pairs per variant
    python bench/adapters.py --quick    # 4 rounds x 50 pairs
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from oneclaw_tools import Session

TARGET_ADDED_US = 1000.0
PATH = "bench/service_token"
ARGS: dict[str, Any] = {"path": PATH}

SyncCall = Callable[[], Any]
AsyncCall = Callable[[], Awaitable[Any]]


def _note(text: str) -> None:
    print(f"# {text}", flush=True)


# -- the variants ----------------------------------------------------------------------------
def core_variants(session: Session) -> tuple[dict[str, SyncCall], dict[str, AsyncCall]]:
    def sync() -> Any:
        return session.call_text("describe_secret", ARGS)

    async def asyn() -> Any:
        return await session.acall_text("describe_secret", ARGS)

    return {"core": sync}, {"core": asyn}


def langchain_variants(session: Session, home: Path) -> tuple[dict[str, SyncCall], dict[str, AsyncCall]]:
    from langchain_core.tools import StructuredTool

    OneClawToolkit = importlib.import_module("langchain_oneclaw").OneClawToolkit

    tool = {t.name: t for t in OneClawToolkit(session=session).get_tools()}["describe_secret"]
    call = {"type": "tool_call", "id": "call_1", "name": "describe_secret", "args": ARGS}
    # LangChain's own floor: the same schema on a StructuredTool whose function does nothing
    floor = StructuredTool(
        name="describe_secret",
        description=tool.description,
        args_schema=tool.args_schema,
        func=lambda **kwargs: "{}",
        handle_tool_error=True,
    )
    return (
        {
            "langchain.invoke(args)": lambda: tool.invoke(dict(ARGS)),
            "langchain.invoke(ToolCall)": lambda: tool.invoke(dict(call)),
            "langchain floor: no-op tool.invoke(ToolCall)": lambda: floor.invoke(dict(call)),
        },
        {"langchain.ainvoke(ToolCall)": lambda: tool.ainvoke(dict(call))},
    )


def llamaindex_variants(session: Session, home: Path) -> tuple[dict[str, SyncCall], dict[str, AsyncCall]]:
    OneClawToolSpec = importlib.import_module("llama_index.tools.oneclaw").OneClawToolSpec

    tools = {t.metadata.name: t for t in OneClawToolSpec(session).to_tool_list()}
    tool = tools["describe_secret"]
    return (
        {"llamaindex.call": lambda: tool.call(**ARGS)},
        {"llamaindex.acall": lambda: tool.acall(**ARGS)},
    )


def crewai_variants(session: Session, home: Path) -> tuple[dict[str, SyncCall], dict[str, AsyncCall]]:
    # CrewAI phones home and writes key files under HOME at import: keep the bench offline and
    # its files in the bench's temporary folder
    for key in (
        "CREWAI_DISABLE_TELEMETRY",
        "CREWAI_DISABLE_VERSION_CHECK",
        "OTEL_SDK_DISABLED",
        "CREWAI_TESTING",
    ):
        os.environ.setdefault(key, "true")
    os.environ["HOME"] = str(home)
    OneClawCrewTools = importlib.import_module("crewai_oneclaw").OneClawCrewTools

    tool = {t.name: t for t in OneClawCrewTools(session).tools()}["describe_secret"]
    return {"crewai.run": lambda: tool.run(**ARGS)}, {}


class McpClient:
    """A real MCP client session talking to the server over in-memory streams."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.client: Any = None
        self._cm: Any = None

    async def __aenter__(self) -> McpClient:
        from mcp.shared.memory import create_connected_server_and_client_session

        build_server = importlib.import_module("oneclaw_mcp").build_server

        server = build_server(lambda: self.session, close_session=False)
        self._cm = create_connected_server_and_client_session(server)
        self.client = await self._cm.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)

    async def call(self) -> Any:
        result = await self.client.call_tool("describe_secret", ARGS)
        if result.isError:
            raise RuntimeError("mcp call failed")
        return result


# -- timing ----------------------------------------------------------------------------------
def _us(ns: int) -> float:
    return ns / 1000.0


def paired_sync(core: SyncCall, fn: SyncCall, rounds: int, calls: int) -> tuple[list[float], list[float]]:
    """Per-call times of ``core`` and ``fn``, called alternately (order flipped every pair)."""
    core_t: list[float] = []
    fn_t: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for i in range(calls):
            first, second = (core, fn) if i % 2 == 0 else (fn, core)
            a = clock()
            first()
            b = clock()
            second()
            c = clock()
            t_first, t_second = _us(b - a), _us(c - b)
            core_t.append(t_first if first is core else t_second)
            fn_t.append(t_second if first is core else t_first)
    return core_t, fn_t


async def paired_async(
    core: AsyncCall, fn: AsyncCall, rounds: int, calls: int
) -> tuple[list[float], list[float]]:
    core_t: list[float] = []
    fn_t: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for i in range(calls):
            first, second = (core, fn) if i % 2 == 0 else (fn, core)
            a = clock()
            await first()
            b = clock()
            await second()
            c = clock()
            t_first, t_second = _us(b - a), _us(c - b)
            core_t.append(t_first if first is core else t_second)
            fn_t.append(t_second if first is core else t_first)
    return core_t, fn_t


def figures(core_t: list[float], fn_t: list[float]) -> dict[str, float]:
    """Medians of both and the median of the per-pair differences (robust to load drift)."""
    diffs = [f - c for c, f in zip(core_t, fn_t, strict=True)]
    return {
        "core_median_us": round(statistics.median(core_t), 1),
        "adapter_median_us": round(statistics.median(fn_t), 1),
        "added_us": round(statistics.median(diffs), 1),
        "added_p25_us": round(statistics.quantiles(diffs, n=4)[0], 1),
        "added_p75_us": round(statistics.quantiles(diffs, n=4)[2], 1),
        "pairs": len(diffs),
    }


async def run(rounds: int, calls: int) -> dict[str, Any]:
    skipped: dict[str, str] = {}
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="oneclaw-bench-") as tmp:
        session = Session.local(Path(tmp) / "vault.db")
        try:
            session.call("put_secret", {"path": PATH, "value": "bench-" + "x" * 24, "type": "api_key"})
            core_sync, core_async = core_variants(session)
            sync_fns: dict[str, SyncCall] = {}
            async_fns: dict[str, AsyncCall] = {}
            for label, factory in (
                ("langchain", langchain_variants),
                ("llamaindex", llamaindex_variants),
                ("crewai", crewai_variants),
            ):
                try:
                    more_sync, more_async = factory(session, Path(tmp))
                except ImportError as exc:
                    skipped[label] = f"not installed ({exc.name or exc})"
                    _note(f"skipping {label}: {skipped[label]}")
                    continue
                sync_fns.update(more_sync)
                async_fns.update(more_async)

            mcp: McpClient | None = None
            try:
                mcp = await McpClient(session).__aenter__()
                async_fns["mcp.call_tool"] = mcp.call
            except ImportError as exc:
                skipped["mcp"] = f"not installed ({exc.name or exc})"
                _note(f"skipping mcp: {skipped['mcp']}")

            for name, fn in sync_fns.items():
                paired_sync(core_sync["core"], fn, 1, 10)  # warm up: imports, caches, SQLite pages
                results[name] = figures(*paired_sync(core_sync["core"], fn, rounds, calls))
                _note(f"{name:<46} added {results[name]['added_us']:+8.1f} us/call")
            for name, afn in async_fns.items():
                await paired_async(core_async["core"], afn, 1, 10)
                results[f"{name} (async)"] = figures(
                    *await paired_async(core_async["core"], afn, rounds, calls)
                )
                _note(f"{name + ' (async)':<46} added {results[name + ' (async)']['added_us']:+8.1f} us/call")
            if mcp is not None:
                await mcp.__aexit__(None, None, None)
        finally:
            session.close()

    added = {name: r["added_us"] for name, r in results.items() if not name.startswith("langchain floor")}
    return {
        "bench": "adapters",
        "call": "describe_secret",
        "backend": "embedded",
        "rounds": rounds,
        "calls_per_round": calls,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "variants": results,
        "added_us": added,
        "target_added_us": TARGET_ADDED_US,
        "within_target": {name: value <= TARGET_ADDED_US for name, value in added.items()},
        "skipped": skipped,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="4 rounds x 50 calls")
    args = parser.parse_args(argv)
    rounds, calls = (4, 50) if args.quick else (args.rounds, args.calls)
    result = asyncio.run(run(rounds, calls))
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
