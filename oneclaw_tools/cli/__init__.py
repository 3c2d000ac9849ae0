"""``oneclaw-tools``: the operator's command line.

Each sub-module registers its sub-commands; this module only dispatches and turns every failure
into one line on stderr, addressed to the operator, saying what went wrong and what to do
(:mod:`._errors`). No path prints a traceback: a vault error prints its safe message, a missing
optional dependency names the install command, a closed pipe (``… | head``) ends quietly, and an
unexpected crash prints only its type. Secret values are read from stdin or files, never from
argv, and an argument the parser did not expect is never echoed back (it may be a value typed
in the wrong place).
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
from collections.abc import Sequence
from typing import NoReturn

from ._errors import describe_failure

__all__ = ["main"]

# modules that define ``register(subparsers)``; each sub-command sets ``func(args) -> int``
_MODULES = (
    "vault_cmds",
    "bind_cmds",
    "share_cmds",
    "tool_cmds",
    "scrub_cmd",
    "server_cmds",
    "run_cmds",
    "demo_cmds",
    "hitl_cmds",
)


class _Parser(argparse.ArgumentParser):
    """argparse that never repeats an unexpected argument (it may be a secret typed in argv)."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            message = (
                "unexpected extra arguments (not repeated here: one may be a secret value). "
                "Values are read from stdin or a file, never from the command line"
            )
        elif "invalid choice" in message:  # keep the choices, drop what was typed
            message = re.sub(
                r"invalid choice: .*? \(choose from", "invalid choice (choose from", message, flags=re.S
            )
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    parser = _Parser(
        prog="oneclaw-tools",
        description="Secret tools for AI agents: the vault, the tools a model gets, and the guard.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND")
    for name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a sub-module not written yet
            if exc.name != f"{__name__}.{name}":
                raise
            continue
        module.register(sub)
    return parser


def _quiet_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the interpreter's last flush is silent."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        status = int(func(args) or 0)
        sys.stdout.flush()
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `oneclaw-tools audit | head`: the reader has what it wanted
        _quiet_stdout()
        return 0
    except Exception as exc:
        name = str(getattr(args, "subcommand", "") or "")
        try:
            text = describe_failure(exc, name)
        except Exception:  # never a traceback, even from the describer
            text = f"failed unexpectedly ({type(exc).__name__})."
        print(f"oneclaw-tools {name}: {text}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
