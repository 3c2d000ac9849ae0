"""Run a command with an env bundle in its environment and its output masked (like ``op run``).

The bundle's values go to the child through its environment only (never argv); everything the
child writes to stdout and stderr passes a streaming guard that knows those values, so a child
that prints its configuration prints masks (``NAME=[secret:…]``: the value, never the name).

The child never inherits this process's own credentials: every ``ONECLAW_*``, ``BAO_*`` and
``VAULT_*`` variable that names a key, token, PIN, secret, password or passphrase (the agent key,
the vault's key-encryption key, a PKCS#11 PIN, a Vault token) is removed from its environment,
and their values are registered with the guard too, so they are masked wherever they appear.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Mapping, Sequence
from typing import IO

from .backends.base import VaultBackend
from .envfile import parse_env
from .errors import InvalidArgument
from .guard import Guard
from .validation import validate_path

__all__ = [
    "child_environment",
    "is_own_credential",
    "parse_env_bundle",
    "run_with_env",
    "run_with_env_bundle",
]

_OWN_PREFIXES = ("ONECLAW_", "BAO_", "VAULT_")
_CREDENTIAL_WORDS = ("KEY", "TOKEN", "PIN", "SECRET", "PASSWORD", "PASSPHRASE", "CREDENTIAL")


def is_own_credential(name: str) -> bool:
    """Is ``name`` one of this project's (or OpenBao/Vault's) credential variables?"""
    upper = name.upper()
    return upper.startswith(_OWN_PREFIXES) and any(word in upper for word in _CREDENTIAL_WORDS)


def own_credentials(env: Mapping[str, str]) -> list[str]:
    """The values of our credential variables in ``env`` (8 characters or more: the guard masks
    shorter ones only as whole words, and a short PIN would mask ordinary text)."""
    return [value for name, value in env.items() if is_own_credential(name) and len(value) >= 8]


def child_environment(
    variables: Mapping[str, str], guard: Guard, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The child's environment: ``base`` (this process's) without our credentials, plus
    ``variables``. Every removed credential and every variable's value is taught to ``guard``."""
    base = os.environ if base is None else base
    env: dict[str, str] = {}
    for name, value in base.items():
        if is_own_credential(name):
            if value:
                guard.register(value)
            continue
        env[name] = value
    for value in variables.values():
        if value:
            guard.register(value)
    env.update(variables)
    return env


def parse_env_bundle(text: str) -> dict[str, str]:
    """An env bundle's variables, read by the one ``.env`` parser (:mod:`oneclaw_tools.envfile`)."""
    return parse_env(text, "env_bundle")


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
    env = child_environment(variables, guard)
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
    # each variable's value is registered (not the whole bundle text): a child printing its
    # environment shows NAME=[secret:…], with the name readable
    return run_with_env(argv, parse_env_bundle(secret.value.reveal_unsafe()), stdout=stdout, stderr=stderr)
