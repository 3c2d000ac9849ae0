"""``oneclaw-tools run --env-bundle PATH -- COMMAND``: a child process with a bundle, output masked."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from ..config import open_backend
    from ..run import run_with_env_bundle

    argv = list(args.command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    with open_backend() as backend:
        return run_with_env_bundle(
            backend,
            args.env_bundle,
            argv,
            stdout=sys.stdout.buffer,
            stderr=sys.stderr.buffer,
            vault_id=args.vault,
        )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run a command with an env bundle in its environment, masking the values in its output",
    )
    p.add_argument("--env-bundle", required=True, metavar="PATH", help="path of an env_bundle secret")
    p.add_argument("--vault", default=None, help="vault id (default: the default vault)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    p.set_defaults(func=_run)
