"""Benchmark of the redaction guard (issue 3): throughput, build, memory, latency, add-one cost.

Corpus: deterministic mixed text (JSON records, log lines, prose) of 1 MB and 10 MB, with
several registered values planted in each supported encoding. For 10, 1,000 and 10,000
registered values it measures, per engine (aho, hyperscan) and a naive ``str.replace`` loop over
the same needles:

* MB/s of ``scrub`` with the guard a session uses (``Guard(engine)``: known values and the
  pattern detectors), after checking that no planted value survives and that both engines
  produce identical output (best of 25 scrubs for 1 MB, of 5 for 10 MB, with the median beside
  it); and MB/s with values only (``patterns=False``) and with patterns only (no value registered);
* build time (``register_many`` + ``compact``), RSS growth, the worker's peak RSS;
* latency per call for a 1 KB and a 100 KB output (the session's guard);
* the cost of adding one value to the loaded guard (median and max of 20 additions), and the
  MB/s after those additions (the first scrub, and the best of 5);
* growth: 1,000 more values added back to back, a 1 KB scrub after each, while the background
  workers fold tiers and rebuild the main tier: register and scrub time (p50, p99, max) and the
  most tiers a scan met;
* with the hyperscan engine, the same MB/s without helper threads (``guard/parallel.py``: a
  long text's Vectorscan scans are shared between the caller and a helper on a second CPU);
* the old forms (issue 12): the same values registered with only the forms of before issue 12
  (no base32, reversed, rot13, case or wire forms, no anchors, no derived views), measured in the
  same run: MB/s (best and median) and 1 KB latency, printed next to the new figures;
* registration (``--register``): the median time to register one value of 1 KB, 64 KB (the
  densest anchors), 100 KB and 1 MiB, random, repetitive (``'y' * n``) and random in lines of
  64 characters (a PEM body, a certificate bundle), in a fresh guard;
  the time its background workers then take (``settle``: off the caller's path, waited for so
  it never lands in the next measurement); and the time to scrub a text holding it.

The host is shared (other jobs run beside this one): figures swing by a third or more from run
to run; compare the new and old columns of one run, and read the medians.

Each configuration runs in its own process so memory figures do not mix. The last line
printed is one JSON object with every figure. ``--quick`` runs a smaller set in well under a
minute.

    python bench/guard.py            # full run (a few minutes)
    python bench/guard.py --quick
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import resource
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

MB = 1_000_000
SEED = 20240611
WORDS = (
    "the a of to and in is it you that he was for on are with as his they be at one have this from or had by "
    "word but what some we can out other were all there when up use your how said an each she which do their "
    "time if will way about many then them write would like so these her long make thing see him two has look "
    "more day could go come did number sound no most people my over know water than call first who may down "
    "side been now find any new work part take get place made live where after back little only round man year "
    "came show every good me give our under name very through just form sentence great think say help low line "
    "request response service token session vault secret deploy cluster database latency handler retry"
).split()


def make_values(n: int, rng: random.Random) -> list[str]:
    alphabet = string.ascii_letters + string.digits
    out: list[str] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append("".join(rng.choice("0123456789abcdef") for _ in range(40)))
        elif kind == 1:
            out.append("".join(rng.choice(alphabet + "-_") for _ in range(rng.randint(20, 44))))
        elif kind == 2:
            out.append("".join(rng.choice(alphabet + "!@#$%^&*/+=") for _ in range(rng.randint(12, 24))))
        else:
            out.append("sk_" + "".join(rng.choice(alphabet) for _ in range(32)))
    return out


def encodings(value: str) -> list[str]:
    """The planted forms (one per supported encoding family)."""
    raw = value.encode()
    mid = len(value) // 2
    return [
        value,
        "Basic " + base64.b64encode(b"user:" + raw).decode(),
        base64.urlsafe_b64encode(b"xy" + raw + b"z").decode(),
        urllib.parse.quote(value, safe=""),
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote_plus(value, safe="")),
        json.dumps(json.dumps({"password": value})),
        raw.hex(),
        raw.hex().upper(),
        value[:mid] + "\n" + value[mid:],
        value[:3] + "\u200b" + value[3:],
    ]


def _prose(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))).capitalize() + ".\n"


def _log(rng: random.Random, i: int) -> str:
    return (
        f"2024-06-11T10:{i % 60:02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z "
        f"{rng.choice(['INFO', 'DEBUG', 'WARN', 'ERROR'])} {rng.choice(['api', 'worker', 'db', 'auth'])}"
        f"[{rng.randint(1000, 9999)}]: {rng.choice(['GET', 'POST', 'PUT'])} /v1/{rng.choice(WORDS)}/"
        f"{rng.randint(1, 99999)} status={rng.choice([200, 201, 404, 500])} latency_ms={rng.randint(1, 900)} "
        f"request_id={rng.getrandbits(64):016x}\n"
    )


def _json(rng: random.Random, i: int) -> str:
    record = {
        "id": i,
        "user": rng.choice(WORDS) + str(rng.randint(1, 999)),
        "tags": rng.sample(WORDS, 3),
        "score": rng.random(),
        "blob": base64.b64encode(rng.randbytes(rng.randint(12, 60))).decode(),
        "note": " ".join(rng.choice(WORDS) for _ in range(6)),
    }
    return json.dumps(record, indent=rng.choice([None, 2])) + "\n"


def make_corpus(size: int, plants: list[str], rng: random.Random) -> str:
    parts: list[str] = []
    total = i = 0
    while total < size:
        r = rng.random()
        piece = _prose(rng) if r < 0.35 else _log(rng, i) if r < 0.7 else _json(rng, i)
        parts.append(piece)
        total += len(piece)
        i += 1
    for plant in plants:  # spread the planted encodings evenly
        pos = rng.randrange(len(parts))
        parts[pos] = parts[pos] + " " + plant + "\n"
    return "".join(parts)[: size + sum(len(p) + 2 for p in plants)]


def _rss_mb() -> float:
    import psutil  # type: ignore[import-untyped]

    return float(psutil.Process().memory_info().rss) / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _times(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _time(fn: Any, repeat: int) -> float:
    return min(_times(fn, repeat))


def worker(engine: str, n: int, corpus_dir: Path, sizes: list[int], quick: bool) -> dict[str, Any]:
    from oneclaw_tools.guard import Guard
    from oneclaw_tools.guard.variants import legacy_expand

    rng = random.Random(SEED)
    values = make_values(n, rng)
    planted = values[:: max(1, n // 10)][:10]
    texts = {size: (corpus_dir / f"corpus_{n}_{size}.txt").read_text("utf-8") for size in sizes}
    result: dict[str, Any] = {"engine": engine, "values": n}
    rss0 = _rss_mb()
    if engine == "naive":
        # the classic forms only (as before issue 12): this loop is the slow reference
        needles = sorted(
            {nd for v in values for nd, _ in legacy_expand(v)} | set(values), key=len, reverse=True
        )
        result["needles"] = len(needles)

        def naive(text: str) -> str:
            for needle in needles:
                if needle in text:
                    text = text.replace(needle, "[secret]")
            return text

        result["mb_s"] = {}
        for size, text in texts.items():
            if size > MB and n > 1000:
                continue
            result["mb_s"][f"{size // MB}MB"] = round(len(text) / MB / _time(lambda t=text: naive(t), 1), 2)
        return result

    t0 = time.perf_counter()
    guard = Guard(engine)  # what a session uses: known values and the pattern detectors
    guard.register_many([(v, f"h_{i:05d}") for i, v in enumerate(values)])
    guard.compact()
    result["build_s"] = round(time.perf_counter() - t0, 4)
    result["needles"] = guard._state.count
    result["rss_growth_mb"] = round(_rss_mb() - rss0, 1)
    result["mb_s"] = {}
    result["median_mb_s"] = {}
    digests = {}
    for size, text in texts.items():
        out = guard.scrub(text)
        leaked = [i for i, v in enumerate(planted) for form in encodings(v) if form in out]
        if leaked:
            raise SystemExit(f"{engine} N={n}: planted values {leaked} survived")
        digests[f"{size // MB}MB"] = hashlib.sha256(out.encode()).hexdigest()
        # Best of several (the cost without interference), and the median beside it: a 1 MB
        # scrub takes a few ms and this shared host's speed swings by a third from second to second
        repeat = 25 if size <= MB else 5
        times = _times(lambda t=text, g=guard: g.scrub(t), repeat)
        result["mb_s"][f"{size // MB}MB"] = round(len(text) / MB / min(times), 1)
        result["median_mb_s"][f"{size // MB}MB"] = round(len(text) / MB / statistics.median(times), 1)
        if engine == "hyperscan":  # the same without helper threads (see guard/parallel.py)
            from oneclaw_tools.guard import parallel

            saved, parallel.PARALLEL_MIN = parallel.PARALLEL_MIN, 1 << 62
            try:
                times = _times(lambda t=text, g=guard: g.scrub(t), repeat)
            finally:
                parallel.PARALLEL_MIN = saved
            result.setdefault("no_helpers_mb_s", {})[f"{size // MB}MB"] = round(
                len(text) / MB / min(times), 1
            )
            result.setdefault("no_helpers_median_mb_s", {})[f"{size // MB}MB"] = round(
                len(text) / MB / statistics.median(times), 1
            )
    result["sha256"] = digests
    base = texts[min(texts)]
    for label, length, calls in (
        ("1KB", 1000, 300 if quick else 2000),
        ("100KB", 100_000, 10 if quick else 40),
    ):
        starts = [rng.randrange(len(base) - length) for _ in range(calls)]
        chunks = [base[s : s + length] for s in starts]
        t0 = time.perf_counter()
        for chunk in chunks:
            guard.scrub(chunk)
        result[f"latency_{label}_us"] = round((time.perf_counter() - t0) / calls * 1e6, 1)
    adds = []
    for i, value in enumerate(make_values(20, random.Random(SEED + 1))):
        t0 = time.perf_counter()
        guard.register(value + "x", f"h_new{i}")
        adds.append((time.perf_counter() - t0) * 1e3)
        time.sleep(0.02)  # let a background merge run between additions, as between real fetches
    result["add_one_ms_median"] = round(statistics.median(adds), 3)
    result["add_one_ms_max"] = round(max(adds), 3)
    text = base
    t0 = time.perf_counter()
    guard.scrub(text)
    # the first scrub after the additions (cold caches, any tier still merging), then best of 5
    result["after_adds_first_1MB_mb_s"] = round(len(text) / MB / (time.perf_counter() - t0), 1)
    result["after_adds_1MB_mb_s"] = round(len(text) / MB / _time(lambda g=guard: g.scrub(text), 5), 1)
    # growth: 1,000 more values added back to back, a 1 KB scrub after each (the background
    # workers fold the new tiers and rebuild the main tier meanwhile)
    grow, scrubs, most_tiers = [], [], 0
    chunk = base[:1000]
    for i, value in enumerate(make_values(1000, random.Random(SEED + 2))):
        t0 = time.perf_counter()
        guard.register(value + "g", f"h_grow{i}")
        t1 = time.perf_counter()
        guard.scrub(chunk)
        scrubs.append(time.perf_counter() - t1)
        grow.append(t1 - t0)
        most_tiers = max(most_tiers, len(guard._state.recent) + 1)
    grow.sort()
    scrubs.sort()
    result["growth_register_ms"] = {
        "p50": round(grow[500] * 1e3, 2),
        "p99": round(grow[990] * 1e3, 2),
        "max": round(grow[-1] * 1e3, 1),
    }
    result["growth_scrub_1KB_ms"] = {
        "p50": round(scrubs[500] * 1e3, 3),
        "p99": round(scrubs[990] * 1e3, 2),
        "max": round(scrubs[-1] * 1e3, 1),
    }
    result["growth_most_tiers"] = most_tiers
    if n == 10:
        pguard = Guard(engine)
        result["patterns_only_1MB_mb_s"] = round(len(base) / MB / _time(lambda: pguard.scrub(base), 3), 1)
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    del guard  # the same values without the pattern detectors, built after the first guard is gone
    values_only = Guard(engine, patterns=False)
    values_only.register_many([(v, f"h_{i:05d}") for i, v in enumerate(values)])
    values_only.compact()
    result["values_only_mb_s"] = {
        f"{size // MB}MB": round(
            len(text) / MB / _time(lambda t=text: values_only.scrub(t), 25 if size <= MB else 5), 1
        )
        for size, text in texts.items()
    }
    # the old forms (before issue 12: no base32, reversed, rot13, case, wire forms, anchors or
    # derived views), same values and patterns, measured in this run for the comparison
    old = Guard(engine)
    old._legacy_forms = True
    old.register_many([(v, f"h_{i:05d}") for i, v in enumerate(values)])
    old.compact()
    result["old_forms_needles"] = old._state.count
    result["old_forms_mb_s"] = {}
    result["old_forms_median_mb_s"] = {}
    for size, text in texts.items():
        times = _times(lambda t=text, g=old: g.scrub(t), 25 if size <= MB else 5)
        result["old_forms_mb_s"][f"{size // MB}MB"] = round(len(text) / MB / min(times), 1)
        result["old_forms_median_mb_s"][f"{size // MB}MB"] = round(
            len(text) / MB / statistics.median(times), 1
        )
    chunks = [
        base[s : s + 1000] for s in (rng.randrange(len(base) - 1000) for _ in range(300 if quick else 2000))
    ]
    t0 = time.perf_counter()
    for chunk in chunks:
        old.scrub(chunk)
    result["old_forms_latency_1KB_us"] = round((time.perf_counter() - t0) / len(chunks) * 1e6, 1)
    return result


def _settle(guard: Any, limit: float = 120.0) -> float:
    """Wait until the guard's background workers are done (seconds waited)."""
    t0 = time.perf_counter()
    while not guard._tiers.idle() and time.perf_counter() - t0 < limit:
        time.sleep(0.002)
    return time.perf_counter() - t0


def register_worker(engine: str, quick: bool) -> dict[str, Any]:
    """Registration time of one big value (random, repetitive, in lines) in a fresh guard: the median
    of several, each in a new guard (the engine's first tier is built in the caller). Each
    guard's background workers (which fold a big value's tier into a main tier of the engine)
    finish before the text is scrubbed and before the next guard is timed: their time is
    reported apart (``settle``), and it never lands in the next measurement."""
    from oneclaw_tools.guard import Guard

    rng = random.Random(SEED + 3)
    letters = string.ascii_letters + string.digits + "+/"
    out: dict[str, Any] = {"engine": engine}
    for label, size in (("1KB", 1000), ("64KB", 65536), ("100KB", 100_000), ("1MiB", 1 << 20)):
        for kind in ("random", "repetitive", "lines"):
            if kind == "repetitive":
                value = "y" * size
            else:
                value = "".join(rng.choice(letters) for _ in range(size))
                if kind == "lines":  # a PEM body or a certificate bundle: 64 characters a line
                    value = "\n".join(value[i : i + 64] for i in range(0, size - size // 65, 64))
            times, settles, scrubs = [], [], []
            for _ in range(3 if quick or size > 100_000 else 7):
                guard = Guard(engine, patterns=False)
                t0 = time.perf_counter()
                mask = guard.register(value, "h_big")
                times.append(time.perf_counter() - t0)
                settles.append(_settle(guard))
                t0 = time.perf_counter()
                scrubbed = guard.scrub("head " + value + " tail")
                scrubs.append(time.perf_counter() - t0)
                if scrubbed != "head " + mask + " tail":
                    raise SystemExit(f"{engine}: a {label} {kind} value was not masked whole")
                del guard
            out[f"register_{label}_{kind}_ms"] = round(statistics.median(times) * 1e3, 1)
            out[f"settle_{label}_{kind}_ms"] = round(statistics.median(settles) * 1e3, 1)
            out[f"scrub_{label}_{kind}_ms"] = round(statistics.median(scrubs) * 1e3, 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 MB only, fewer calls")
    parser.add_argument("--worker", nargs=4, metavar=("ENGINE", "N", "DIR", "SIZES"), help=argparse.SUPPRESS)
    parser.add_argument("--register", metavar="ENGINE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.register:
        print(json.dumps(register_worker(args.register, args.quick)))
        return 0
    if args.worker:
        engine, n, directory, sizes = args.worker
        res = worker(engine, int(n), Path(directory), [int(s) for s in sizes.split(",")], args.quick)
        print(json.dumps(res))
        return 0

    sizes = [MB] if args.quick else [MB, 10 * MB]
    counts = [10, 1000, 10000]
    engines = ["aho", "hyperscan"]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            rng = random.Random(SEED)
            values = make_values(n, rng)
            planted = values[:: max(1, n // 10)][:10]
            plants = [form for v in planted for form in encodings(v)]
            for size in sizes:
                text = make_corpus(size, plants, random.Random(SEED + size))
                Path(tmp, f"corpus_{n}_{size}.txt").write_text(text, "utf-8")
        for n in counts:
            for engine in [*engines, "naive"]:
                cmd = [sys.executable, __file__, "--worker", engine, str(n), tmp, ",".join(map(str, sizes))]
                if args.quick:
                    cmd.insert(2, "--quick")
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=os.environ.copy())
                if proc.returncode:
                    print(proc.stdout, proc.stderr, file=sys.stderr)
                    return 1
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                results.append(res)
                print(
                    f"{engine:9s} N={n:<6d} "
                    + " ".join(f"{k}={v}" for k, v in res.items() if k not in ("engine", "values", "sha256"))
                )
    registration: dict[str, Any] = {}
    for engine in engines:
        cmd = [sys.executable, __file__, "--register", engine] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=os.environ.copy())
        if proc.returncode:
            print(proc.stdout, proc.stderr, file=sys.stderr)
            return 1
        registration[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(
            f"{engine:9s} " + " ".join(f"{k}={v}" for k, v in registration[engine].items() if k != "engine")
        )
    print("\nMB/s at 1 MB, median (best), new forms vs the old ones, same run; shared host: noisy")
    for r in results:
        if r["engine"] == "naive":
            continue
        print(
            f"  {r['engine']:9s} N={r['values']:<6d} new {r['median_mb_s']['1MB']:>6} ({r['mb_s']['1MB']:>6})"
            f"  old {r['old_forms_median_mb_s']['1MB']:>6} ({r['old_forms_mb_s']['1MB']:>6})"
            f"  1KB {r['latency_1KB_us']} us (old {r['old_forms_latency_1KB_us']} us)"
            f"  needles {r['needles']} (old {r['old_forms_needles']})"
            + (
                f"  no helper threads {r['no_helpers_median_mb_s']['1MB']} ({r['no_helpers_mb_s']['1MB']})"
                if "no_helpers_mb_s" in r
                else ""
            )
        )
    identical = all(
        a["sha256"] == b["sha256"]
        for a in results
        for b in results
        if a["engine"] == "aho" and b["engine"] == "hyperscan" and a["values"] == b["values"]
    )
    by = {(r["engine"], r["values"]): r for r in results}
    size_key = "10MB" if not args.quick else "1MB"
    hs, aho = by[("hyperscan", 10000)], by[("aho", 10000)]
    targets: dict[str, Any] = {
        "hyperscan_ge_250_mb_s_at_10k": min(hs["mb_s"].values()) >= 250,
        "aho_ge_20_mb_s_at_10k": min(aho["mb_s"].values()) >= 20,
        "latency_1KB_le_50_us_at_10k": max(hs["latency_1KB_us"], aho["latency_1KB_us"]) <= 50,
        "add_one_le_5_ms_at_10k": max(hs["add_one_ms_median"], aho["add_one_ms_median"]) <= 5,
        "engines_identical": identical,
        "register_1MiB_le_200_ms": max(
            registration[e][f"register_1MiB_{k}_ms"]
            for e in engines
            for k in ("random", "repetitive", "lines")
        )
        <= 200,
    }
    for key in ("aho", "hyperscan"):
        flat = by[(key, 10000)]["mb_s"][size_key] / by[(key, 10)]["mb_s"][size_key]
        targets[f"{key}_10k_vs_10_ratio"] = round(flat, 2)
        # the figures behind the verdicts: the session's guard, and values only for comparison
        targets[f"{key}_10k_min_mb_s"] = min(by[(key, 10000)]["mb_s"].values())
        targets[f"{key}_10k_values_only_min_mb_s"] = min(by[(key, 10000)]["values_only_mb_s"].values())
    for r in results:
        r.pop("sha256", None)
    summary = {
        "bench": "guard",
        "quick": args.quick,
        "cpus": os.cpu_count(),
        "targets": targets,
        "registration": registration,
        "results": results,
    }
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
