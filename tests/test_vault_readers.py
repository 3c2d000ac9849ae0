"""Readers do not stall writers: a read that counts nothing takes no write lock, and is audited.

If the first test hangs for 30 s and fails with "busy", a read without ``max_access_count``
went back to a write transaction (see ``Core.run(reads=True)`` in backends/_local_core.py).
If an audit test fails, look at backends/_local_audit_log.py: a read's row must be committed
to the read log before the read returns its value. Throughput is measured in
``bench/contention.py``, never here.
"""

from __future__ import annotations

import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oneclaw_tools.audit import tool_scope
from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.errors import Gone, PermissionDenied
from oneclaw_tools.models import Principal

VALUE = "sk_test_CANARYreaders_0123456789abcdef"


@pytest.fixture
def vault(tmp_path: Path) -> LocalVault:
    v = LocalVault(tmp_path / "vault.db", env={})
    vid = v.default_vault_id()
    v.put_secret(vid, "free/k", VALUE)
    v.put_secret(vid, "limited/k", VALUE, max_access_count=2)
    return v


def _writer_holding_the_lock(db: Path) -> sqlite3.Connection:
    """Another connection that holds the vault file's write lock until it rolls back."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_reads_proceed_while_a_writer_holds_the_lock(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    other = _writer_holding_the_lock(vault.path)
    try:
        assert vault.get_secret(vid, "free/k").value.reveal_unsafe() == VALUE
        assert vault.describe_secret(vid, "free/k").version == 1
        assert [m.path for m in vault.list_secrets(vid)] == ["free/k", "limited/k"]
        assert vault.list_versions(vid, "free/k")[0].version == 1
        assert vault.get_vault(vid).id == vid and vault.list_vaults()
        assert vault.list_policies(vid) == [] and vault.list_outbound_shares() == []
    finally:
        other.rollback()
        other.close()
    vault.close()


def test_a_read_without_a_limit_changes_nothing_in_the_vault_file(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    watcher = sqlite3.connect(vault.path, isolation_level=None)
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    for _ in range(3):
        vault.get_secret(vid, "free/k")
        vault.list_secrets(vid)
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
    vault.get_secret(vid, "limited/k")  # a limit the user set is counted: a write
    assert watcher.execute("PRAGMA data_version").fetchone()[0] != before
    watcher.close()
    vault.close()


def test_a_limited_read_is_still_counted_and_runs_out(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    assert vault.get_secret(vid, "limited/k").meta.access_count == 1
    assert vault.describe_secret(vid, "limited/k").access_count == 1
    vault.get_secret(vid, "limited/k")
    with pytest.raises(Gone):
        vault.get_secret(vid, "limited/k")
    vault.close()


def test_every_read_and_refusal_is_audited_in_order_without_values(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    stranger = vault.acting_as(Principal(type="agent", id="nobody"))
    with tool_scope("get_secret"):
        vault.get_secret(vid, "free/k")
    with pytest.raises(PermissionDenied):
        stranger.get_secret(vid, "free/k")
    vault.put_secret(vid, "free/k", "v2")
    vault.describe_secret(vid, "free/k")
    events = vault.audit_events(4)
    assert [(e.action, e.outcome) for e in events] == [
        ("get_secret", "ok"),
        ("get_secret", "denied"),
        ("put_secret", "ok"),
        ("describe_secret", "ok"),
    ]
    assert events[0].tool == "get_secret" and events[1].principal == "agent:nobody"
    assert stranger.audit_events(10) == [events[1]]  # a principal sees only its own rows
    log = vault.path.with_name("vault.db.audit")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert VALUE.encode() not in log.read_bytes()
    vault.close()


_READER = textwrap.dedent(
    """
    import os, sys
    from oneclaw_tools.backends.local import LocalVault

    vault = LocalVault(sys.argv[1], env={})
    secret = vault.get_secret(vault.default_vault_id(), "free/k")
    print("read", len(secret.value), flush=True)
    os.kill(os.getpid(), 9)  # no close, no exit handlers: only what was committed survives
    """
)


def test_a_read_is_audited_durably_before_it_returns(vault: LocalVault) -> None:
    vault.close()
    proc = subprocess.run(
        [sys.executable, "-c", _READER, str(vault.path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL and proc.stdout.startswith("read")
    with LocalVault(vault.path, env={}) as fresh:
        assert [e.action for e in fresh.audit_events(1)] == ["get_secret"]
