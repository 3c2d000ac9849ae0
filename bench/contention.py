"""Shared-file throughput of the embedded vault: writers alone, then writers beside readers.

N writer processes each store new versions through ``LocalVault.put_secret`` for a fixed time;
then the same N writers run again while M reader processes read through ``get_secret`` (each
read audited, as every read is). The writers-alone phase is the baseline, measured in the same
run on the same vault file. The two phases alternate for a few rounds, in the order
alone-beside, beside-alone, ... so that a vault growing through the run and a machine whose
other load drifts favour neither phase. Reported: writes/s (median of the rounds), write
p50/p99 latency (all rounds), reads/s, each round's ratio of write throughput with readers to
without, their median (the target is at least 0.5: each round compares two neighbouring
phases, which a shared machine's changing load hits alike) and the ratio of the medians, and
the machine's load average before and after (other processes competing for the CPUs lower
both phases and make the ratio noisy: compare runs made at a similar load).

Run alone: ``.venv/bin/python bench/contention.py [--writers 6] [--readers 2] [--seconds 4] [--rounds 5]``;
``bench/vault.py`` includes it. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from oneclaw_tools.backends.local import LocalVault

_SEEDED = 64  # secrets the readers read


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else 0.0


def _worker(role: str, index: int, db: str, vid: str, start: Any, seconds: float, out: Any) -> None:
    vault = LocalVault(db, env={})
    rng = random.Random(index)
    lat: list[float] = []
    start.wait()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        if role == "writer":
            vault.put_secret(vid, f"w{index}/k{n % 16}", f"value-{index}-{n}")
        else:
            vault.get_secret(vid, f"seed/k{rng.randrange(_SEEDED)}")
        lat.append((time.perf_counter() - t0) * 1e3)
        n += 1
    vault.close()
    out.put((role, n, lat))


def _phase(db: Path, vid: str, writers: int, readers: int, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(role, i, str(db), vid, start, seconds, out))
        for role, count in (("writer", writers), ("reader", readers))
        for i in range(count)
    ]
    for p in procs:
        p.start()
    time.sleep(1.5)  # let every process import and open the vault before the clock starts
    start.set()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    writes = [r for r in results if r[0] == "writer"]
    reads = [r for r in results if r[0] == "reader"]
    return {
        "writes_per_s": sum(r[1] for r in writes) / seconds,
        "reads_per_s": sum(r[1] for r in reads) / seconds,
        "latencies": [x for r in writes for x in r[2]],
    }


def _summary(phases: list[dict[str, Any]]) -> dict[str, float]:
    lat = [x for p in phases for x in p["latencies"]]
    return {
        "writes_per_s": statistics.median(p["writes_per_s"] for p in phases),
        "write_p50_ms": statistics.median(lat) if lat else 0.0,
        "write_p99_ms": _pct(lat, 99),
        "reads_per_s": statistics.median(p["reads_per_s"] for p in phases),
    }


def bench_contention(
    writers: int = 6, readers: int = 2, seconds: float = 4.0, rounds: int = 5
) -> dict[str, Any]:
    """Writers alone and beside readers, in alternating order for ``rounds`` on one fresh vault file."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="oneclaw-contention-") as tmp:
        db = Path(tmp) / "vault.db"
        with LocalVault(db, env={}) as vault:
            vid = vault.default_vault_id()
            for i in range(_SEEDED):
                vault.put_secret(vid, f"seed/k{i}", f"seed-{i}")
        alone_runs: list[dict[str, Any]] = []
        mixed_runs: list[dict[str, Any]] = []
        for r in range(rounds):
            for with_readers in (False, True) if r % 2 == 0 else (True, False):
                runs = mixed_runs if with_readers else alone_runs
                runs.append(_phase(db, vid, writers, readers if with_readers else 0, seconds))
            print(
                f"  round {r + 1}: {writers} writers alone {alone_runs[-1]['writes_per_s']:.0f} writes/s; "
                f"beside {readers} readers {mixed_runs[-1]['writes_per_s']:.0f} writes/s, "
                f"{mixed_runs[-1]['reads_per_s']:.0f} reads/s",
                file=sys.stderr,
            )
    alone, mixed = _summary(alone_runs), _summary(mixed_runs)
    ratio = mixed["writes_per_s"] / alone["writes_per_s"] if alone["writes_per_s"] else 0.0
    paired = [m["writes_per_s"] / a["writes_per_s"] for a, m in zip(alone_runs, mixed_runs, strict=True)]
    return {
        "writers": writers,
        "readers": readers,
        "seconds": seconds,
        "rounds": rounds,
        "alone": {k: round(v, 2) for k, v in alone.items() if k != "reads_per_s"},
        "with_readers": {k: round(v, 2) for k, v in mixed.items()},
        "round_ratios": [round(x, 3) for x in paired],
        "round_ratio_median": round(statistics.median(paired), 3),
        "write_ratio": round(ratio, 3),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "target_met": statistics.median(paired) >= 0.5,
    }


def rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Table rows for bench/vault.py: with readers | writers alone (the baseline) | target."""
    a, m = res["alone"], res["with_readers"]
    n, k = res["writers"], res["readers"]
    return [
        (f"{n} writers (+{k} readers) writes/s", f"{m['writes_per_s']:.0f}", f"alone {a['writes_per_s']:.0f}",
         ">= 0.5x"),
        ("  write p50 / p99 (ms)", f"{m['write_p50_ms']:.1f} / {m['write_p99_ms']:.1f}",
         f"{a['write_p50_ms']:.1f} / {a['write_p99_ms']:.1f}", ""),
        ("  reads/s beside the writers", f"{m['reads_per_s']:.0f}", "", ""),
        ("  writes with/alone (median of rounds)", f"{res['round_ratio_median']:.2f}",
         f"of medians {res['write_ratio']:.2f}", ">= 0.5"),
        ("  load average before / after", f"{res['load_avg'][0]:.1f} / {res['load_avg'][1]:.1f}", "", ""),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--readers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    res = bench_contention(args.writers, args.readers, args.seconds, args.rounds)
    print(f"\n{'measure':<40} {'with readers':>16} {'writers alone':>18} {'target':>8}")
    for name, ours, base, target in rows(res):
        print(f"{name:<40} {ours:>16} {base:>18} {target:>8}")
    print(
        f"write throughput with readers / alone: {res['round_ratio_median']:.2f} (median of the rounds "
        f"{res['round_ratios']}; ratio of the medians {res['write_ratio']:.2f}; target >= 0.5)"
    )
    print(json.dumps({"bench": "vault_contention", **res}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
