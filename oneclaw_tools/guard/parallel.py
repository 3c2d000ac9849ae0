"""The guard's helper threads: Vectorscan scans of a long text run beside the calling thread.

Contract. :func:`offload` runs ``fn(*args)`` on a helper thread when one is free and returns a
:class:`Pending` whose :meth:`~Pending.result` waits for it; when none is free (every helper is
busy with another call's work, the machine has one CPU, or the text is short) it runs ``fn`` at
once on the calling thread. Either way the result is the same: only *where* the work runs
changes. Work handed here must not offload in turn, and must only read what it is given.

Why. A Vectorscan scan releases the GIL while it runs (a match callback takes it back), and on
a long text the scans are most of a scrub: at 10,000 values, a 1 MB text costs about 1.5 ms in
the main database's scan (some 25 MB of tables) and 0.7 ms in the pattern prefilter and the
trigger pass. Once a long text's view is built, the guard hands those two passes to a helper,
which then takes pieces of the main scan (a :class:`Shared` scan, cut into
:data:`SHARED_PIECE`-byte pieces that the caller takes too, first come first served): the
scans split themselves between the two threads by how fast each goes. Handing work over
while the caller runs Python gains nothing (the helper's callbacks wait for the GIL), so only
scans are handed over. :func:`split_scan` cuts a scan into one piece per free helper plus one
for the caller. Pieces overlap by the longest needle less one byte, and each match is kept in
the piece its end falls in, so the matches are exactly those of one scan. Only texts of at
least :data:`PARALLEL_MIN` bytes are handed over: below that, waking a thread costs more than it
saves. On 2 CPUs at 10,000 values, a 1 MB text scrubs about a quarter faster than without a
helper, a 10 MB one about a third (``python bench/guard.py`` measures both ways).

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
from typing import Any, Generic, TypeVar

__all__ = [
    "MAX_HELPERS",
    "PARALLEL_MIN",
    "Pending",
    "Shared",
    "helpers",
    "offload",
    "piece",
    "split_scan",
    "worth",
]

#: texts shorter than this (in bytes) are scanned in one piece on the calling thread
PARALLEL_MIN = 1 << 18
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
    """``scan(data)`` (``(pattern, end)`` pairs), in pieces run beside each other when ``data`` is
    long; ``overlap`` is the longest pattern's length less one. Same pairs as one scan."""
    n = len(data)
    view = memoryview(data)
    if not worth(n):
        return scan(view)
    pieces = helpers() + 1
    size = -(-n // pieces)
    bounds = [(i * size, min(n, (i + 1) * size)) for i in range(pieces)]
    pending = [offload(piece, scan, view, lo, hi, overlap) for lo, hi in bounds[1:]]
    out = scan(view[: bounds[0][1]])
    for part in pending:
        out.extend(part.result())
    return out


def piece(scan: Scan, view: memoryview, lo: int, hi: int, overlap: int) -> list[tuple[int, int]]:
    """The matches ending in ``(lo, hi]``, from a scan of ``view[lo - overlap : hi]``."""
    start = max(0, lo - overlap)
    skip = lo - start
    return [(index, start + end) for index, end in scan(view[start:hi]) if end > skip]


class Shared:
    """A scan cut into pieces that several threads take in turn, first come first served.

    The caller hands one to the helper running its value-free passes, which takes pieces once
    those are done, and takes pieces itself meanwhile: the scan's work splits itself by how
    fast each thread goes. :meth:`work` returns when no piece is left to take (another thread
    may still be scanning its last one); :meth:`hits` is read once every taker has returned.
    """

    __slots__ = ("_bounds", "_next", "_overlap", "_parts", "_scan", "_view")

    def __init__(self, scan: Scan, data: bytes, overlap: int, size: int | None = None) -> None:
        n = len(data)
        size = SHARED_PIECE if size is None else size
        self._scan = scan
        self._view = memoryview(data)
        self._overlap = overlap
        self._bounds = [(lo, min(n, lo + size)) for lo in range(0, n, size)]
        self._parts: list[list[tuple[int, int]]] = [[] for _ in self._bounds]
        self._next = itertools.count()  # next() on it is atomic: each piece is taken once

    def work(self) -> None:
        """Scan pieces until none is left to take."""
        bounds = self._bounds
        while (i := next(self._next)) < len(bounds):
            lo, hi = bounds[i]
            self._parts[i] = piece(self._scan, self._view, lo, hi, self._overlap)

    def hits(self) -> list[tuple[int, int]]:
        """``(pattern, end)`` of every match, in piece order: the same pairs as one scan."""
        return [hit for part in self._parts for hit in part]
