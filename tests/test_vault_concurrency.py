"""Several processes writing one vault file: versions stay contiguous, none lost or duplicated.

If this fails, check that every write in backends/_local_store.py runs in BEGIN IMMEDIATE
with a busy timeout, and that put_secret computes the next version inside that transaction.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from oneclaw_tools.backends.local import LocalVault

_WORKER = textwrap.dedent(
    """
    import sys
    from oneclaw_tools.backends.local import LocalVault

    db, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with LocalVault(db, env={}) as vault:
        vid = vault.default_vault_id()
        sys.stdin.readline()  # start together
        for i in range(n):
            vault.put_secret(vid, "race/one", f"{tag}-{i}")
            vault.get_secret(vid, "race/one")
            vault.put_secret(vid, f"race/{tag}", f"{tag}-{i}")
    """
)


def test_four_processes_one_path(tmp_path: Path) -> None:
    db = tmp_path / "vault.db"
    with LocalVault(db, env={}) as first:  # racing on a fresh file is the next test
        first.initialize()
    workers, n = 4, 40
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(db), f"w{k}", str(n)],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(workers)
    ]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err

    with LocalVault(db, env={}) as vault:
        vid = vault.default_vault_id()
        versions = vault.list_versions(vid, "race/one")
        assert [m.version for m in versions] == list(range(workers * n, 0, -1))
        values = [vault.get_secret(vid, "race/one", m.version).value.reveal_unsafe() for m in versions]
        assert sorted(values) == sorted(f"w{k}-{i}" for k in range(workers) for i in range(n))
        for k in range(workers):  # each worker's own values arrive in its own order
            mine = [v for v in reversed(values) if v.startswith(f"w{k}-")]
            assert mine == [f"w{k}-{i}" for i in range(n)]
            assert vault.describe_secret(vid, f"race/w{k}").version == n


def test_fresh_vault_initialised_by_racing_processes(tmp_path: Path) -> None:
    """Four processes open a vault that does not exist yet: one schema, one key, one default vault."""
    db = tmp_path / "fresh" / "vault.db"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(db), f"w{k}", "3"],
            stdin=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate("go\n", timeout=120)
        assert proc.returncode == 0, err
    with LocalVault(db, env={}) as vault:
        assert [v.name for v in vault.list_vaults()] == ["default"]
        assert [m.version for m in vault.list_versions(vault.default_vault_id(), "race/one")] == list(
            range(12, 0, -1)
        )
