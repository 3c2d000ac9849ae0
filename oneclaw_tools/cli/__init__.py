"""``oneclaw-tools``: the operator's command line.

Each sub-module registers its sub-commands; this module only dispatches. Secret values are
read from stdin or files, never from argv. Any :class:`OneClawError` is printed as its safe
message with exit status 1; an unexpected crash prints only that the command failed.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import OneClawError

__all__ = ["main"]

# modules that define ``register(subparsers)``; each sub-command sets ``func(args) -> int``
_MODULES = ("vault_cmds", "tool_cmds", "scrub_cmd", "server_cmds", "run_cmds", "demo_cmds", "hitl_cmds")


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = argparse.ArgumentParser(
        prog="oneclaw-tools",
        description="Secret tools for AI agents: the vault, the tools a model gets, and the guard.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a sub-module not written yet
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except OneClawError as exc:
        print(exc.for_model(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
