"""Run a command with an env bundle in its environment and its output masked (like ``op run``).

The bundle's values go to the child through its environment only (never argv); everything the
child writes to stdout and stderr passes a streaming guard that knows those values, so a child
that prints its configuration prints masks.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO

from .backends.base import VaultBackend
from .errors import InvalidArgument
from .guard import Guard
from .validation import validate_path

__all__ = ["parse_env_bundle", "run_with_env", "run_with_env_bundle"]


def parse_env_bundle(text: str) -> dict[str, str]:
    """1Claw's env_bundle rules: ``KEY=VALUE`` lines, blanks and ``#`` comments skipped."""
    out: dict[str, str] = {}
    for line in text.split("\n"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def _pump(src: IO[bytes], dst: IO[bytes], guard: Guard) -> None:
    stream = guard.stream()
    decoder_errors = "surrogateescape"
    while True:
        chunk = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
        if not chunk:
            break
        dst.write(stream.feed(chunk.decode("utf-8", decoder_errors)).encode("utf-8", decoder_errors))
        dst.flush()
    dst.write(stream.flush().encode("utf-8", decoder_errors))
    dst.flush()


def run_with_env(
    argv: Sequence[str],
    variables: Mapping[str, str],
    *,
    stdout: IO[bytes],
    stderr: IO[bytes],
    guard: Guard | None = None,
) -> int:
    """Run ``argv`` with ``variables`` added to its environment; mask them in its output."""
    if not argv:
        raise InvalidArgument("COMMAND", "must name a program to run")
    guard = guard if guard is not None else Guard()
    for value in variables.values():
        if value:
            guard.register(value)
    env = {**os.environ, **variables}
    with subprocess.Popen(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        threads = [
            threading.Thread(target=_pump, args=(proc.stdout, stdout, guard), daemon=True),
            threading.Thread(target=_pump, args=(proc.stderr, stderr, guard), daemon=True),
        ]
        for t in threads:
            t.start()
        code = proc.wait()
        for t in threads:
            t.join()
    return code


def run_with_env_bundle(
    backend: VaultBackend,
    path: str,
    argv: Sequence[str],
    *,
    stdout: IO[bytes],
    stderr: IO[bytes],
    vault_id: str | None = None,
) -> int:
    """Fetch the env_bundle at ``path`` and :func:`run_with_env` with it."""
    path = validate_path(path, "env-bundle")
    secret = backend.get_secret(vault_id or backend.default_vault_id(), path)
    if secret.meta.type not in ("env_bundle", "env"):
        raise InvalidArgument("env-bundle", "must name a secret of type env_bundle")
    guard = Guard()
    guard.register(secret.value.reveal_unsafe())
    return run_with_env(
        argv, parse_env_bundle(secret.value.reveal_unsafe()), stdout=stdout, stderr=stderr, guard=guard
    )
