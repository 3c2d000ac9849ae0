"""Glob matching time: a pathological pattern beside a plain one, measured in the same run.

Run: ``python bench/policy.py``. The old matcher turned a glob into a backtracking regular
expression (``*a*a*...*b`` against ``aaaa...`` took seconds at 13 stars); the segment-by-segment
matcher in :mod:`oneclaw_tools.globs` must cost about what a plain pattern costs, and a
512-character pattern against a 1,024-character path well under a millisecond.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

from oneclaw_tools.globs import glob_match


def median(fn: Callable[[], object], calls: int = 501) -> float:
    """The median of ``calls`` single calls, in microseconds (robust to a busy machine)."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def old_regex(pattern: str) -> re.Pattern[str]:
    """The previous translation (one segment only is enough to show the backtracking)."""
    return re.compile("".join("[^/]*" if ch == "*" else re.escape(ch) for ch in pattern))


def main() -> None:
    plain = ("prod/stripe/*", "prod/stripe/api_key")
    nasty = ("*a" * 13 + "*b", "a" * 40)
    long_nasty = ("/".join(["**", "*a" * 12 + "*b"] * 40)[:511] + "c", "/".join(["a" * 31] * 32)[:1024])
    long_plain = ("/".join(["x" * 31] * 15) + "/" + "x" * 28 + "*/**", "/".join(["x" * 31] * 32))
    print(f"{'case':<44} {'pattern':>8} {'path':>6} {'µs/match (median)':>18}")
    assert len(long_plain[0]) == 512 and glob_match(*long_plain)
    for name, (pattern, path) in {
        "plain pattern (baseline)": plain,
        "pathological *a*a…*b (13 stars)": nasty,
        "512-char plain pattern vs 1,024-char path": long_plain,
        "512-char pathological pattern vs 1,024-char": long_nasty,
    }.items():
        us = median(lambda p=pattern, q=path: glob_match(p, q))
        print(f"{name:<44} {len(pattern):>8} {len(path):>6} {us:>18.1f}")
    old_pattern, old_path = "*a" * 7 + "*b", "a" * 30
    rx = old_regex(old_pattern)
    start = time.perf_counter()
    rx.fullmatch(old_path)
    old = (time.perf_counter() - start) * 1e6
    new = median(lambda: glob_match(old_pattern, old_path))
    print(
        f"{'old backtracking regex, 7 stars (one run)':<44} {len(old_pattern):>8} {len(old_path):>6} {old:>18.1f}"
    )
    print(f"{'this matcher, same input':<44} {len(old_pattern):>8} {len(old_path):>6} {new:>18.1f}")


if __name__ == "__main__":
    main()
