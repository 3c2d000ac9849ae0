"""The README's quick start, run line by line as written: it must end with an agent that sees the
secret (the secret and the agent in the same vault, the secret bound to a host).

Only three things are substituted, each the way a reader would: ``$TOKEN`` is set in the
environment, the fixed port 8787 becomes a free port on 127.0.0.1 (tests never take a fixed
port), and ``ocv_...`` becomes the key ``agent create`` printed on the line before. The line
ending in ``&`` is started in the background and stopped at the end. If this fails, the README's
block and the commands disagree: fix whichever is wrong.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def quickstart() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- quickstart -->\n```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/auth/jwt-public-key", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the server did not start: " + log.read_text())


def test_the_quickstart_ends_with_an_agent_that_sees_the_secret(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    token = "qs-token-" + os.urandom(12).hex()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONECLAW_", "BAO_", "VAULT_"))}
    env.update(
        PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "data"),
        TOKEN=token,
    )
    port = free_port()
    key = None
    server: subprocess.Popen[bytes] | None = None
    log_path = tmp_path / "serve.log"
    outputs: list[str] = []
    with log_path.open("wb") as log:
        try:
            for line in quickstart():
                line = line.replace("8787", str(port))
                if key is not None:
                    line = line.replace("ocv_...", key)
                if line.endswith("&"):
                    server = subprocess.Popen(shlex.split(line[:-1]), env=env, stdout=log, stderr=log)
                    wait_for(port, server, log_path)
                    continue
                proc = subprocess.run(
                    ["bash", "-c", line], env=env, capture_output=True, text=True, timeout=120
                )
                assert proc.returncode == 0, f"{line}\n{proc.stderr}"
                assert token not in proc.stdout + proc.stderr, line
                outputs.append(proc.stdout)
                if " agent create " in line:
                    key = json.loads(proc.stdout)["api_key"]
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    assert key is not None and re.match(r"ocv_", key)
    handle = json.loads(outputs[3])
    assert handle["handle"].startswith("h_") and handle["allowed_hosts"] == ["api.example.com"]
    seen = json.loads(outputs[-1])
    assert [s["path"] for s in seen["secrets"]] == ["prod/api_key"], seen
    assert token not in log_path.read_text()
