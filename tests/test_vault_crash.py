"""Crash safety: a writer killed with SIGKILL loses nothing it acknowledged.

A child process puts versions in a loop and prints each acknowledged version; the parent
kills it at a random moment, many times over. Every acknowledged version must then read
back with its value, versions must stay contiguous, and SQLite's integrity check must pass.
If this fails, look at the durability settings in backends/_local_store.py (WAL,
synchronous) and at the transaction boundaries of put_secret.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from oneclaw_tools.backends.local import LocalVault

_WRITER = textwrap.dedent(
    """
    import sys
    from oneclaw_tools.backends.local import LocalVault

    vault = LocalVault(sys.argv[1], env={})
    vid = vault.default_vault_id()
    tag = sys.argv[2]
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        value = f"{tag}-{i}"
        path = "crash/shared" if i % 2 else f"crash/p{i % 7}"
        meta = vault.put_secret(vid, path, value, metadata={"n": i})
        print(path, meta.version, value, flush=True)
    """
)


@pytest.mark.slow
def test_sigkill_never_loses_an_acknowledged_version(tmp_path: Path) -> None:
    db = tmp_path / "vault.db"
    rng = random.Random(1234)
    acknowledged: dict[tuple[str, int], str] = {}
    rounds = 20
    for round_no in range(rounds):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db), f"r{round_no}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + rng.uniform(0.02, 0.25)
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            path, version, value = line.split()
            acknowledged[(path, int(version))] = value
        os.kill(child.pid, signal.SIGKILL)
        rest, err = child.communicate(timeout=30)
        assert child.returncode == -signal.SIGKILL, err
        for line in rest.splitlines(keepends=True):  # printed before the kill: acknowledged too
            if not line.endswith("\n"):  # cut by the kill mid-line: its put was acknowledged, but
                continue  # the line cannot say what it was
            path, version, value = line.split()
            acknowledged[(path, int(version))] = value

    assert len(acknowledged) > rounds
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with LocalVault(db, env={}) as vault:
        vid = vault.default_vault_id()
        for (ack_path, ack_version), ack_value in acknowledged.items():
            assert vault.get_secret(vid, ack_path, ack_version).value.reveal_unsafe() == ack_value
        for path in {p for p, _ in acknowledged}:
            versions = sorted(m.version for m in vault.list_versions(vid, path))
            assert versions == list(range(1, len(versions) + 1))
            assert versions[-1] >= max(v for p, v in acknowledged if p == path)
