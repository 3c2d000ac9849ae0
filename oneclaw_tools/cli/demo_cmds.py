"""``oneclaw-tools demo``: the main job, on a temporary embedded vault, no account needed."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _demo(args: argparse.Namespace) -> int:
    from ..demo import run_demo

    return run_demo(framework=args.framework)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run a scripted agent that uses a credential it never sees, and check nothing leaked",
    )
    p.add_argument(
        "--framework",
        choices=("core", "langchain", "llamaindex", "crewai", "mcp"),
        default="core",
        help="run the agent through this framework's adapter (default: the core loop)",
    )
    p.set_defaults(func=_demo)
