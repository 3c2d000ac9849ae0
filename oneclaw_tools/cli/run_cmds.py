"""``oneclaw-tools run --env-bundle PATH -- COMMAND``: a child process with a bundle, output masked."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from ..errors import InvalidArgument

__all__ = ["register"]


def _run(args: argparse.Namespace) -> int:
    from ..config import open_backend
    from ..run import run_with_env_bundle
    from .vault_cmds import _vault_id

    argv = list(args.command)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        raise InvalidArgument(
            "COMMAND",
            "is missing; give it after '--', e.g. oneclaw-tools run --env-bundle app/env -- ./deploy.sh",
        )
    program = argv[0]
    if shutil.which(program) is None and not (os.sep in program and os.access(program, os.X_OK)):
        raise InvalidArgument("COMMAND", f"'{program}' is not a program found on PATH (or not executable)")
    with open_backend() as backend:  # checked before the bundle is read: a typo costs no access
        return run_with_env_bundle(
            backend,
            args.env_bundle,
            argv,
            stdout=sys.stdout.buffer,
            stderr=sys.stderr.buffer,
            vault_id=_vault_id(backend, args.vault),
        )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run a command with an env bundle in its environment, masking the values in its output",
        description="Run COMMAND with the variables of the env_bundle secret at PATH in its "
        "environment; the values are masked in its output. Example: oneclaw-tools run --env-bundle "
        "app/env -- ./deploy.sh",
    )
    p.add_argument("--env-bundle", required=True, metavar="PATH", help="path of an env_bundle secret")
    p.add_argument("--vault", default=None, metavar="NAME_OR_ID", help="vault (default: the 'default' vault)")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    p.set_defaults(func=_run)
