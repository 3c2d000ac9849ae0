"""get_secret throughput through OneClawVault against `oneclaw-tools serve`, and the client's overhead.

Starts the local server in a subprocess on a free 127.0.0.1 port with a fresh vault, creates
an agent with `oneclaw-tools agent create`, stores one secret, then for 1 and 8 concurrent
clients (threads, as ``Session.acall`` runs them) measures requests per second for

* ``client``: ``OneClawVault.get_secret`` (token refresh, retry policy, validation,
  parsing into SecretValue);
* ``bare``: a bare ``httpx.Client.get`` of the same URL with the same token, ``.json()``.

Both are measured in interleaved short rounds (medians), since the server's SQLite work per
read (a read transaction and an audit row) dominates and a shared machine is noisy. The client's own
cost is also measured without a network (both sides on httpx.MockTransport): that is the
overhead figure. The server runs in its own process, so the rates include real HTTP.
Ends with one JSON line. Usage: ``python bench/remote.py [--seconds 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from oneclaw_tools.backends.remote import OneClawVault


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str, **kwargs: Any) -> Any:
    return subprocess.run([sys.executable, "-m", "oneclaw_tools", *args], env=env, **kwargs)


def _loop(fn: Any, seconds: float) -> int:
    count = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        fn()
        count += 1
    return count


def _rate(calls: list[Any], seconds: float) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(len(calls)) as pool:
        counts = list(pool.map(lambda call: _loop(call, seconds), calls))
    return sum(counts) / (time.perf_counter() - start)


def _compare(
    client_calls: list[Any], bare_calls: list[Any], seconds: float, rounds: int = 6
) -> tuple[float, float]:
    """Interleaved short rounds, medians: the shared machine's noise hits both sides alike."""
    for call in client_calls + bare_calls:  # warm up connections and tokens
        for _ in range(20):
            call()
    client, bare = [], []
    for _ in range(rounds):
        bare.append(_rate(bare_calls, seconds / rounds))
        client.append(_rate(client_calls, seconds / rounds))
    return statistics.median(client), statistics.median(bare)


def _secret_body() -> bytes:
    return json.dumps(
        {"id": "s", "vault_id": "v", "path": "bench/key", "type": "generic", "version": 1, "value": "b" * 40,
         "metadata": {}, "created_at": "2030-01-01T00:00:00Z", "expires_at": None}
    ).encode()  # fmt: skip


def _client_only_overhead(n: int = 6000) -> dict[str, float]:
    """The client's own CPU cost per call, without a network: both sides on httpx.MockTransport."""
    body = _secret_body()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/auth/agent-token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 900, "vault_ids": ["v"]})
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    transport = httpx.MockTransport(handler)
    vault = OneClawVault("ocv_" + "k" * 43, base_url="http://bench.invalid", transport=transport)
    bare = httpx.Client(
        base_url="http://bench.invalid", transport=transport, headers={"Authorization": "Bearer t"}
    )
    for _ in range(100):
        vault.get_secret("v", "bench/key")
        bare.get("/v1/vaults/v/secrets/bench/key").json()
    samples: dict[str, list[float]] = {"client": [], "bare": []}
    rounds = 12
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n // rounds):
            bare.get("/v1/vaults/v/secrets/bench/key").json()
        samples["bare"].append((time.perf_counter() - start) / (n // rounds))
        start = time.perf_counter()
        for _ in range(n // rounds):
            vault.get_secret("v", "bench/key")
        samples["client"].append((time.perf_counter() - start) / (n // rounds))
    vault.close()
    bare.close()
    client_us, bare_us = statistics.median(samples["client"]) * 1e6, statistics.median(samples["bare"]) * 1e6
    return {
        "client_us": round(client_us, 1),
        "bare_httpx_us": round(bare_us, 1),
        "overhead_us": round(client_us - bare_us, 1),
    }


def _run(base_url: str, key: str, vault_id: str, seconds: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    url = f"/v1/vaults/{vault_id}/secrets/bench/key"
    for clients in (1, 8):
        vaults = [OneClawVault(key, base_url=base_url) for _ in range(clients)]
        token = httpx.post(base_url + "/v1/auth/agent-token", json={"api_key": key}).json()["access_token"]
        bares = [
            httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
            for _ in range(clients)
        ]

        def client_call(v: OneClawVault) -> Any:
            def call() -> None:
                secret = v.get_secret(vault_id, "bench/key")
                assert len(secret.value) == 40

            return call

        def bare_call(c: httpx.Client) -> Any:
            def call() -> None:
                resp = c.get(url)
                resp.raise_for_status()
                assert len(resp.json()["value"]) == 40

            return call

        client_rps, bare_rps = _compare(
            [client_call(v) for v in vaults], [bare_call(c) for c in bares], seconds
        )
        for v in vaults:
            v.close()
        for c in bares:
            c.close()
        results[f"clients_{clients}"] = {
            "client_rps": round(client_rps, 1),
            "bare_httpx_rps": round(bare_rps, 1),
            "throughput_ratio": round(client_rps / bare_rps, 3),
        }
        print(f"{clients} client(s) over HTTP: {results[f'clients_{clients}']}", file=sys.stderr)
    results["client_overhead_no_network"] = _client_only_overhead()
    print(f"client overhead without network: {results['client_overhead_no_network']}", file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per phase")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ONECLAW_LOCAL_VAULT=str(Path(tmp) / "vault.db"))
        env.pop("ONECLAW_AGENT_API_KEY", None)
        made = _cli(
            env, "agent", "create", "bench", "--vault", "bench", capture_output=True, text=True, check=True
        )
        agent = json.loads(made.stdout)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "oneclaw_tools", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(base_url + "/v1/auth/jwt-public-key", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.1)
            vault_id = agent["vault_ids"][0]

            with OneClawVault(agent["api_key"], base_url=base_url) as v:
                v.put_secret(vault_id, "bench/key", "b" * 40)
            results = _run(base_url, agent["api_key"], vault_id, args.seconds)
        finally:
            server.terminate()
            server.wait(timeout=10)
    line = {
        "bench": "remote_get_secret",
        "seconds_per_phase": args.seconds,
        "cpus": os.cpu_count(),
        **results,
    }
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
