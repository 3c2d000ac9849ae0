"""High availability, shown: a three-node Raft cluster of ``bao`` on 127.0.0.1 loses its leader
in the middle of a stream of tool calls, and no acknowledged write is lost. First, a client that
knows only a standby reads each of its writes back at once (OpenBao standbys serve reads from
their own copy; the client's ``X-Vault-Index`` makes a lagging one forward to the leader).

The cluster is bounded (a watchdog kills every node after 90 s; the fixture stops them; on Linux
they die with the test process). The session's backend knows all three addresses, the leader's
first. A write whose outcome is unknown is not repeated blindly: the backend resends the
*identical* check-and-set write and reads its write id back, so each path below must hold exactly
one version. If this fails: look at which writes were lost or duplicated, then at the retry rules
in ``oneclaw_tools/backends/_bao_http.py`` and the exactly-once write in ``_bao_kv.py``.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from oneclaw_tools import Session, ToolError
from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.testing.bao import raft_cluster

pytestmark = pytest.mark.slow


def test_leader_killed_mid_stream_loses_no_acknowledged_write() -> None:
    with raft_cluster(3, max_seconds=90) as cluster:
        leader = cluster.leader()
        cluster.enable_kv("secret")
        standby = next(a for i, a in enumerate(cluster.addrs) if i != leader)
        # read-your-writes through a standby alone: writes are forwarded to the leader, reads are
        # served by the standby's own copy unless the client sends back X-Vault-Index
        with OpenBaoVault(standby, token=cluster.token, prefix="ryw") as via_standby:
            vault = via_standby.create_vault("read-your-writes").id
            for n in range(1, 31):
                assert via_standby.put_secret(vault, "k", f"v{n}").version == n
                assert via_standby.get_secret(vault, "k").value.reveal_unsafe() == f"v{n}"
        order = [cluster.addrs[leader]] + [a for i, a in enumerate(cluster.addrs) if i != leader]
        backend = OpenBaoVault(order, token=cluster.token, deadline=20.0)
        acked: dict[str, str] = {}
        unknown: list[str] = []
        failed: list[str] = []
        reads_after_kill = 0
        before_kill = 0
        kill_at = switch = 0.0
        kill_i = 0
        killed = threading.Event()
        with Session(backend) as session:
            session.call("list_secrets", {})  # the default vault exists before the stream starts

            def kill() -> None:  # from another thread, so the leader may die with a request in flight
                nonlocal before_kill, kill_at, kill_i
                before_kill, kill_i = len(acked), i
                cluster.kill(leader)
                kill_at = time.monotonic()
                killed.set()

            threading.Timer(1.5, kill).start()
            i = 0
            while not killed.is_set() or (len(acked) < 25 + before_kill and time.monotonic() - kill_at < 30):
                i += 1
                path, value = f"stream/k{i:04d}", f"value-{i}-{uuid.uuid4().hex[:8]}"
                try:
                    result = session.call("put_secret", {"path": path, "value": value})
                    assert result["version"] == 1
                    acked[path] = value
                except ToolError as err:
                    (unknown if err.code == "outcome_unknown" else failed).append(f"{path}: {err.code}")
                if acked:
                    last = next(reversed(acked))
                    assert session.call("describe_secret", {"path": last})["version"] == 1
                    reads_after_kill += killed.is_set()
                if killed.is_set() and not switch and path in acked and i > kill_i:
                    switch = time.monotonic() - kill_at  # the first write sent after the kill, acknowledged
            assert killed.is_set(), "the stream never reached the leader kill"
            new_leader = cluster.leader()
            assert new_leader != leader
            assert len(acked) >= before_kill + 25, (len(acked), before_kill, unknown, failed)
            assert reads_after_kill >= 20
            assert not failed, failed
        # every acknowledged write is there, once, with its value, read through the new leader alone
        with OpenBaoVault(cluster.addrs[new_leader], token=cluster.token) as check:
            vault = check.default_vault_id()
            for path, value in acked.items():
                versions = check.list_versions(vault, path)
                assert [v.version for v in versions] == [1], path
                assert check.get_secret(vault, path).value.reveal_unsafe() == value
            listed = {m.path: m.version for m in check.list_secrets(vault)}
            for entry in unknown:  # a write whose outcome was unknown landed at most once
                assert listed.get(entry.split(":")[0], 1) == 1, entry
            assert set(acked) <= set(listed)
        print(
            f"acknowledged {len(acked)} ({before_kill} before the kill), unknown {len(unknown)}, "
            f"reads after the kill {reads_after_kill}, failover {switch:.2f} s, resent writes {backend._kv.resends}"
        )
