"""Shared-file throughput of the embedded vault: writers alone, beside readers, beside busy processes.

N writer processes each store new versions through ``LocalVault.put_secret`` for a fixed time:
alone (the baseline); beside M reader processes reading through ``get_secret`` (each read
audited, as every read is); and, as a control, beside M processes that only keep a CPU busy and
never open the vault. All three phases run in the same run on the same vault file, in an order
that turns each round (alone, readers, busy; then busy, readers, alone; ...), so that a vault
growing through the run and a machine whose other load drifts favour no phase.

Reported: writes/s of each phase (median of the rounds), write p50/p99 latency, reads/s, and,
each as the median of the rounds' own ratios, writes with readers / alone (the target: at
least 0.5) and writes with readers / with busy processes (what the vault itself costs the
writers beyond sharing the CPUs: 1.0 means the readers cost no more than any busy process).
On a machine with few cores the busy processes alone take a large share from the writers; the
load average before and after and the CPU count are printed to read the figures by.

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
    vault = LocalVault(db, env={}) if role != "busy" else None
    rng = random.Random(index)
    lat: list[float] = []
    start.wait()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        if vault is None:  # the control: CPU work only, no vault, no file
            sum(i * i for i in range(2000))
        elif role == "writer":
            vault.put_secret(vid, f"w{index}/k{n % 16}", f"value-{index}-{n}")
        else:
            vault.get_secret(vid, f"seed/k{rng.randrange(_SEEDED)}")
        lat.append((time.perf_counter() - t0) * 1e3)
        n += 1
    if vault is not None:
        vault.close()
    out.put((role, n, lat))


def _phase(db: Path, vid: str, writers: int, others: int, role: str, seconds: float) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(kind, i, str(db), vid, start, seconds, out))
        for kind, count in (("writer", writers), (role, others))
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
    """The three phases in turning order for ``rounds`` on one fresh vault file."""
    load_before = os.getloadavg()[0]
    runs: dict[str, list[dict[str, Any]]] = {"alone": [], "readers": [], "busy": []}
    with tempfile.TemporaryDirectory(prefix="oneclaw-contention-") as tmp:
        db = Path(tmp) / "vault.db"
        with LocalVault(db, env={}) as vault:
            vid = vault.default_vault_id()
            for i in range(_SEEDED):
                vault.put_secret(vid, f"seed/k{i}", f"seed-{i}")
        for r in range(rounds):
            order = ("alone", "readers", "busy") if r % 2 == 0 else ("busy", "readers", "alone")
            for phase in order:
                role, others = {
                    "alone": ("reader", 0),
                    "readers": ("reader", readers),
                    "busy": ("busy", readers),
                }[phase]
                runs[phase].append(_phase(db, vid, writers, others, role, seconds))
            print(
                f"  round {r + 1}: {writers} writers alone {runs['alone'][-1]['writes_per_s']:.0f} writes/s; "
                f"beside {readers} readers {runs['readers'][-1]['writes_per_s']:.0f} writes/s "
                f"({runs['readers'][-1]['reads_per_s']:.0f} reads/s); "
                f"beside {readers} busy processes {runs['busy'][-1]['writes_per_s']:.0f} writes/s",
                file=sys.stderr,
            )

    def ratios(num: str, den: str) -> list[float]:
        pairs = zip(runs[num], runs[den], strict=True)
        return [n["writes_per_s"] / d["writes_per_s"] if d["writes_per_s"] else 0.0 for n, d in pairs]

    alone, mixed, busy = (_summary(runs[k]) for k in ("alone", "readers", "busy"))
    with_alone, with_busy = ratios("readers", "alone"), ratios("readers", "busy")
    return {
        "writers": writers,
        "readers": readers,
        "seconds": seconds,
        "rounds": rounds,
        "cpus": os.cpu_count() or 0,
        "alone": {k: round(v, 2) for k, v in alone.items() if k != "reads_per_s"},
        "with_readers": {k: round(v, 2) for k, v in mixed.items()},
        "with_busy": {k: round(v, 2) for k, v in busy.items() if k != "reads_per_s"},
        "round_ratios": [round(x, 3) for x in with_alone],
        "round_ratio_median": round(statistics.median(with_alone), 3),
        "write_ratio": round(mixed["writes_per_s"] / alone["writes_per_s"], 3)
        if alone["writes_per_s"]
        else 0.0,
        "readers_vs_busy_median": round(statistics.median(with_busy), 3),
        "busy_vs_alone_median": round(statistics.median(ratios("busy", "alone")), 3),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "target_met": statistics.median(with_alone) >= 0.5,
    }


def rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Table rows for bench/vault.py: with readers | writers alone (the baseline) | target."""
    a, m, b = res["alone"], res["with_readers"], res["with_busy"]
    n, k = res["writers"], res["readers"]
    return [
        (f"{n} writers (+{k} readers) writes/s", f"{m['writes_per_s']:.0f}", f"alone {a['writes_per_s']:.0f}",
         ">= 0.5x"),
        ("  write p50 / p99 (ms)", f"{m['write_p50_ms']:.1f} / {m['write_p99_ms']:.1f}",
         f"{a['write_p50_ms']:.1f} / {a['write_p99_ms']:.1f}", ""),
        ("  reads/s beside the writers", f"{m['reads_per_s']:.0f}", "", ""),
        ("  writes with readers / alone", f"{res['round_ratio_median']:.2f}",
         f"of medians {res['write_ratio']:.2f}", ">= 0.5"),
        (f"  control: beside {k} busy processes w/s", f"{b['writes_per_s']:.0f}",
         f"/ alone {res['busy_vs_alone_median']:.2f}", ""),
        ("  writes with readers / with busy", f"{res['readers_vs_busy_median']:.2f}", "", ""),
        ("  load average before / after, cpus",
         f"{res['load_avg'][0]:.1f} / {res['load_avg'][1]:.1f}, {res['cpus']}", "", ""),
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
        f"{res['round_ratios']}; ratio of the medians {res['write_ratio']:.2f}; target >= 0.5); "
        f"beside {res['readers']} processes that never open the vault: {res['busy_vs_alone_median']:.2f}"
    )
    print(json.dumps({"bench": "vault_contention", **res}, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
