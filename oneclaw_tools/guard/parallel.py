"""The guard's helper threads: Vectorscan scans of a long text run beside the calling thread.

Contract. :func:`offload` runs ``fn(*args)`` on a helper thread when one is free and returns a
:class:`Pending` whose :meth:`~Pending.result` waits for it; when none is free (every helper is
busy with another call's work, the machine has one CPU, or the text is short) it runs ``fn`` at
once on the calling thread. Either way the result is the same: only *where* the work runs
changes. Work handed here must not offload in turn, and must only read what it is given.

Why. A Vectorscan scan releases the GIL while it runs (a match callback takes it back), and on
a long text the scans are most of a scrub: at 10,000 values, a 1 MB text costs about 1.5 ms in
the main database's scan (some 25 MB of tables) and 0.7 ms in the pattern prefilter and the
trigger pass. Once a long text's view is built, the guard makes those passes and the main scan,
cut into :data:`SHARED_PIECE`-byte pieces (:func:`scan_pieces`), the tasks of a
:class:`Shared` job that the caller and a helper take first come first served: the work splits
itself between the two threads by how fast each goes. Handing work over while the caller runs
Python gains nothing (the helper's callbacks wait for the GIL, up to the interpreter's switch
interval), so only scans are handed over. :func:`split_scan` shares a big tier's other long
scans the same way. Pieces overlap by the longest needle less one byte, and each match is kept
in the piece its end falls in, so the matches are exactly those of one scan. Only texts of at
least :data:`PARALLEL_MIN` bytes are handed over (below that, waking a thread costs more than it
saves), and only when the tier scanned is big (:data:`SHARE_MIN_NEEDLES`).

What it gains is bounded by the machine: on the 2-CPU host the benchmarks run on, two scans of
the main database at once each take about 1.7 times as long as one alone (its tables do not fit
in a core's cache), so a 1 MB text at 10,000 values scrubs 2 to 16% faster with a helper than
without, a 10 MB one 25 to 40% (``python bench/guard.py`` measures both ways).

Helpers are at most :data:`MAX_HELPERS`, one fewer than the CPUs this process may run on; a
forked child starts without any (the parent's threads do not exist there) and makes its own on
first need.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, Generic, TypeVar

__all__ = [
    "MAX_HELPERS",
    "PARALLEL_MIN",
    "SHARE_MIN_NEEDLES",
    "Pending",
    "Shared",
    "helpers",
    "offload",
    "piece",
    "scan_pieces",
    "split_scan",
    "worth",
]

#: texts shorter than this (in bytes) are scanned in one piece on the calling thread
PARALLEL_MIN = 1 << 18
#: only a tier of at least this many needles has its scans shared: a scan over fewer is quick,
#: and handing it over costs more than it saves (at 10 values, a 1 MB text scrubbed about a
#: sixth slower with its scan split than without)
SHARE_MIN_NEEDLES = 4096
#: at most this many helper threads per process
MAX_HELPERS = 3
#: a :class:`Shared` scan is cut into pieces of this many bytes
SHARED_PIECE = 1 << 17

T = TypeVar("T")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_free: threading.Semaphore | None = None
_count = -1


def helpers() -> int:
    """How many helper threads this process uses (0 on a single CPU)."""
    global _count
    if _count < 0:
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
            cpus = os.cpu_count() or 1
        _count = max(0, min(MAX_HELPERS, cpus - 1))
    return _count


def _executor() -> tuple[ThreadPoolExecutor, threading.Semaphore] | None:
    global _pool, _free
    if helpers() == 0:
        return None
    with _lock:
        if _pool is None or _free is None:
            _pool = ThreadPoolExecutor(max_workers=helpers(), thread_name_prefix="oneclaw-guard-scan")
            _free = threading.Semaphore(helpers())
        return _pool, _free


def _after_fork() -> None:
    global _pool, _free, _lock
    _pool = None
    _free = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class Pending(Generic[T]):
    """The result of :func:`offload`: ready now, or being computed on a helper."""

    __slots__ = ("_future", "_value")

    def __init__(self, future: Future[T] | None, value: T | None = None) -> None:
        self._future = future
        self._value = value

    def result(self) -> T:
        """Wait for the work and return its result (or raise what it raised)."""
        if self._future is None:
            return self._value  # type: ignore[return-value]
        return self._future.result()


def offload(fn: Callable[..., T], *args: Any) -> Pending[T]:
    """``fn(*args)`` on a free helper, else at once on this thread (see the module docstring)."""
    pool = _executor()
    if pool is None or not pool[1].acquire(blocking=False):
        return Pending(None, fn(*args))
    executor, free = pool

    def run() -> T:
        try:
            return fn(*args)
        finally:
            free.release()

    try:
        return Pending(executor.submit(run))
    except RuntimeError:  # the interpreter is shutting down: no new threads
        free.release()
        return Pending(None, fn(*args))


def worth(size: int) -> bool:
    """Is a text of ``size`` bytes long enough to hand work about it to a helper?"""
    return size >= PARALLEL_MIN and helpers() > 0


Scan = Callable[[memoryview], list[tuple[int, int]]]


def split_scan(scan: Scan, data: bytes, overlap: int) -> list[tuple[int, int]]:
    """``scan(data)`` (``(pattern, end)`` pairs); a long ``data`` is scanned in pieces that the
    caller and the free helpers take (a :class:`Shared` job of :func:`scan_pieces`); ``overlap``
    is the longest pattern's length less one. Same pairs as one scan."""
    if not worth(len(data)):
        return scan(memoryview(data))
    parts = Shared(scan_pieces(scan, data, overlap)).start().results()
    return [hit for part in parts for hit in part]


def piece(scan: Scan, view: memoryview, lo: int, hi: int, overlap: int) -> list[tuple[int, int]]:
    """The matches ending in ``(lo, hi]``, from a scan of ``view[lo - overlap : hi]``."""
    start = max(0, lo - overlap)
    skip = lo - start
    return [(index, start + end) for index, end in scan(view[start:hi]) if end > skip]


class Shared:
    """Tasks that the caller and a helper take in turn, first come first served.

    :meth:`start` hands :meth:`work` to every free helper (with none free, runs it at once);
    :meth:`results` takes what tasks are left on the calling thread, waits for the helpers'
    last ones, and returns every task's result in task order (or raises what a task raised).
    The work splits itself between the threads by how fast each goes.
    """

    __slots__ = ("_helpers", "_next", "_results", "_tasks")

    def __init__(self, tasks: list[Callable[[], Any]]) -> None:
        self._tasks = tasks
        self._results: list[Any] = [None] * len(tasks)
        self._next = itertools.count()  # next() on it is atomic: each task is taken once
        self._helpers: list[Pending[None]] = []

    def start(self) -> Shared:
        for _ in range(max(1, helpers())):
            pending = offload(self.work)
            self._helpers.append(pending)
            if pending._future is None:  # no helper was free: the work is done
                break
        return self

    def work(self) -> None:
        """Run tasks until none is left to take."""
        tasks = self._tasks
        while (i := next(self._next)) < len(tasks):
            self._results[i] = tasks[i]()

    def results(self) -> list[Any]:
        self.work()
        for pending in self._helpers:
            pending.result()
        return self._results


def scan_pieces(scan: Scan, data: bytes, overlap: int) -> list[Callable[[], list[tuple[int, int]]]]:
    """``scan(data)`` as tasks of :data:`SHARED_PIECE` bytes (see :func:`piece`): their results,
    concatenated in order, are the ``(pattern, end)`` pairs of one scan."""
    view, size = memoryview(data), SHARED_PIECE
    return [
        partial(piece, scan, view, lo, min(len(data), lo + size), overlap) for lo in range(0, len(data), size)
    ]
