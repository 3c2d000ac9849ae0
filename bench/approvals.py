"""Benchmark of the approval path: what a human-in-the-loop gate costs per call.

Run: ``.venv/bin/python bench/approvals.py [--samples 300]``.

On a fresh embedded vault in a temporary folder it times, ``--samples`` times each:

* ``describe_secret`` through ``Session.call``: an ungated call;
* ``share_secret`` to an allowlisted recipient (``share_recipients``): the share without the
  gate, the baseline of this run for the gated shares;
* ``share_secret`` with a waiting grant: the gate rebuilds the action's digest and consumes the
  grant in the SQLite approval store (one transaction), then the share is created;
* ``share_secret`` with no grant: the refusal path (the pending request is filed, or found);
* the out-of-band cycle an operator's decision adds: ``pending_for`` (file the request) plus
  ``decide`` (one transaction), as ``oneclaw-tools approve`` or an adapter's prompt does it.

Each gated call uses a fresh recipient, so every sample is a new action. Prints a table (p50 and
p99 in microseconds) and one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from oneclaw_tools import OperatorPolicy, Session, ToolError


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def share(i: int) -> dict[str, Any]:
    return {"path": "bench/token", "email": f"user{i}@example.com", "expires_at": "2031-01-01T00:00:00Z"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    n = parser.parse_args().samples
    figures: dict[str, list[float]] = {
        "share, allowlisted": [],
        "ungated describe_secret": [],
        "share with a grant": [],
        "share refused": [],
        "file + decide": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault.db"
        allow = OperatorPolicy(share_recipients=("@example.com",))
        with Session.local(vault, policy=OperatorPolicy()) as s, Session.local(vault, policy=allow) as free:
            s.backend.put_secret(s.vault_for(None), "bench/token", "sk_bench_0123456789abcdef0123")
            for warm in (s, free):  # vault id resolved, store opened
                warm.call("describe_secret", {"path": "bench/token"})
            # interleaved, so drift on a shared machine hits every path alike
            for i in range(n):
                t = time.perf_counter()
                s.call("describe_secret", {"path": "bench/token"})
                figures["ungated describe_secret"].append(time.perf_counter() - t)
                t = time.perf_counter()
                free.call("share_secret", share(3 * n + i))
                figures["share, allowlisted"].append(time.perf_counter() - t)
                t = time.perf_counter()
                record = s.approvals.pending_for("share_secret", share(i))
                assert record is not None
                s.approvals.approve(record, by="bench")
                figures["file + decide"].append(time.perf_counter() - t)
                t = time.perf_counter()
                s.call("share_secret", share(i))
                figures["share with a grant"].append(time.perf_counter() - t)
                t = time.perf_counter()
                try:
                    s.call("share_secret", share(n + i))
                except ToolError:
                    pass
                figures["share refused"].append(time.perf_counter() - t)
                for left in s.approvals.store.pending():  # a human denies it (untimed): the list stays short
                    s.approvals.store.decide(left.id, approve=False, by="bench")
    print(f"\n{'path':<26} {'p50 us':>10} {'p99 us':>10} {'mean us':>10}   ({n} samples each)")
    out: dict[str, dict[str, float]] = {}
    for name, samples in figures.items():
        us = [x * 1e6 for x in samples]
        out[name] = {
            "p50_us": round(pct(us, 50), 1),
            "p99_us": round(pct(us, 99), 1),
            "mean_us": round(statistics.fmean(us), 1),
        }
        print(
            f"{name:<26} {out[name]['p50_us']:>10.1f} {out[name]['p99_us']:>10.1f} {out[name]['mean_us']:>10.1f}"
        )
    print(json.dumps({"bench": "approvals", "samples": n, "figures": out}, sort_keys=True))


if __name__ == "__main__":
    main()
