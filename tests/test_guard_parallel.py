"""The guard's helper threads (guard/parallel.py): faster, never different.

* a long view scanned in pieces (the caller and helpers, overlapping by the longest needle)
  gives exactly the matches of one scan, needles straddling every cut included;
* a scan shared out in pieces (:class:`~oneclaw_tools.guard.parallel.Shared`), whichever thread
  takes each piece, gives exactly the matches of one scan;
* a scrub whose scans (pattern candidates, triggers, the main tier in pieces) the caller shares
  with a helper gives the output of one that does not;
* work handed to a busy helper runs on the caller; an error in a helper's task reaches the
  caller; a forked child scrubs a long text (it has no helper threads of its parent's).
"""

from __future__ import annotations

import itertools
import multiprocessing
import random
import string
import threading
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneclaw_tools.guard import Guard, parallel
from oneclaw_tools.guard.engines import HyperscanTier
from oneclaw_tools.guard.haystack import Haystack

pytest.importorskip("hyperscan")

NEEDLES = ["needle-one", "n2", "a-much-longer-needle-of-forty-characters", "zz"]


def _text(size: int, seed: int) -> str:
    rng = random.Random(seed)
    words = [*NEEDLES, "lorem", "ipsum", "x", "\n", "\u200b", "é"]
    parts: list[str] = []
    total = 0
    while total < size:
        part = rng.choice(words)
        parts.append(part)
        total += len(part)
    return "".join(parts)


def _one_scan(tier: HyperscanTier, hay: Haystack) -> list[tuple[int, int]]:
    return sorted(tier._scan(memoryview(hay.view_bytes())))


@pytest.fixture
def small_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Share the scans of a text from 64 bytes and one needle on, so every text of these tests is cut."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 64)
    monkeypatch.setattr(parallel, "SHARE_MIN_NEEDLES", 1)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(64, 4000), seed=st.integers(0, 10**6))
def test_a_view_scanned_in_pieces_gives_the_matches_of_one_scan(size: int, seed: int) -> None:
    tier = HyperscanTier(list(enumerate(NEEDLES)))
    text = _text(size, seed)
    saved = parallel.PARALLEL_MIN
    try:
        parallel.PARALLEL_MIN = 64
        whole = sorted(parallel.split_scan(tier._scan, Haystack(text).view_bytes(), tier._overlap))
    finally:
        parallel.PARALLEL_MIN = saved
    assert whole == _one_scan(tier, Haystack(text))
    # and by hand, in four pieces whatever the helpers: the cuts at every offset
    view = memoryview(Haystack(text).view_bytes())
    cuts = sorted({0, len(view) // 4, len(view) // 2, 3 * len(view) // 4, len(view)})
    pieces = [parallel.piece(tier._scan, view, lo, hi, tier._overlap) for lo, hi in itertools.pairwise(cuts)]
    assert sorted(hit for part in pieces for hit in part) == whole


def test_a_scrub_with_helpers_gives_the_output_of_one_without(small_cuts: None) -> None:
    rng = random.Random(5)
    values = [
        "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(10, 60))) for _ in range(40)
    ]
    text = _text(300_000, 9)
    chunks = [text[i : i + 7000] for i in range(0, len(text), 7000)]
    text = " ".join(c + " " + values[i % len(values)] + " token=" + values[-1] for i, c in enumerate(chunks))
    g = Guard("hyperscan")
    masks = [g.register(v, f"v{i}") for i, v in enumerate(values)]
    with_helpers = g.scrub(text)
    parallel.PARALLEL_MIN = 1 << 60
    alone = g.scrub(text)
    assert with_helpers == alone
    assert all(v not in alone for v in values) and masks[0] in alone


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 4000),
    seed=st.integers(0, 10**6),
    piece=st.integers(1, 600),
    takers=st.integers(1, 3),
)
def test_a_shared_scan_taken_by_several_threads_gives_the_matches_of_one_scan(
    size: int, seed: int, piece: int, takers: int
) -> None:
    tier = HyperscanTier(list(enumerate(NEEDLES)))
    hay = Haystack(_text(size, seed))
    saved = parallel.SHARED_PIECE
    try:
        parallel.SHARED_PIECE = piece
        job = parallel.Shared(tier.pieces(hay))
    finally:
        parallel.SHARED_PIECE = saved
    threads = [threading.Thread(target=job.work) for _ in range(takers - 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(hit for part in job.results() for hit in part) == _one_scan(tier, hay)


def test_a_shared_task_that_fails_on_the_helper_reaches_the_caller() -> None:
    ran_on: list[int] = []

    def boom() -> None:
        ran_on.append(threading.get_ident())
        raise ValueError("from a shared task")

    with pytest.raises(ValueError, match="from a shared task"):
        job = parallel.Shared([boom, lambda: 1]).start()  # the helper takes the first task
        while not ran_on:
            time.sleep(0.001)
        job.results()
    assert ran_on[0] != threading.get_ident() or parallel.helpers() == 0


def test_a_scrub_sharing_the_main_scan_gives_the_output_of_one_without(
    small_cuts: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values in a compacted main tier, whose scan the caller and the helper share in small
    pieces (needles straddle many cuts): the output of a scrub on the caller alone."""
    rng = random.Random(7)
    values = [
        "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randint(12, 90)))
        for _ in range(60)
    ]
    text = _text(200_000, 3)
    chunks = [text[i : i + 3000] for i in range(0, len(text), 3000)]
    text = "\n".join(c + " " + values[i % len(values)] for i, c in enumerate(chunks))
    g = Guard("hyperscan")
    masks = g.register_many([(v, f"v{i}") for i, v in enumerate(values)])
    g.compact()
    assert isinstance(g._state.main, HyperscanTier)
    monkeypatch.setattr(parallel, "SHARED_PIECE", 997)
    tasks: list[int] = []
    real_init = parallel.Shared.__init__

    def init(job: parallel.Shared, todo: list[Any]) -> None:
        tasks.append(len(todo))
        real_init(job, todo)

    monkeypatch.setattr(parallel.Shared, "__init__", init)
    with_helpers = g.scrub(text)
    assert tasks and tasks[0] > 100  # candidates, triggers, and the main scan in small pieces
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1 << 60)
    alone = g.scrub(text)
    assert with_helpers == alone
    assert all(v not in alone for v in values) and all(m in alone for m in masks)


def test_busy_helpers_leave_the_work_to_the_caller(small_cuts: None) -> None:
    release = threading.Event()
    blockers = [parallel.offload(release.wait, 10) for _ in range(parallel.helpers())]
    try:
        caller = threading.get_ident()
        pending = parallel.offload(threading.get_ident)
        assert pending.result() == caller  # every helper busy: ran here, at once
    finally:
        release.set()
    assert all(b.result() for b in blockers)
    assert parallel.offload(lambda: 42).result() == 42


def test_an_error_on_a_helper_reaches_the_caller(small_cuts: None) -> None:
    def boom() -> None:
        raise ValueError("from the helper")

    with pytest.raises(ValueError, match="from the helper"):
        parallel.offload(boom).result()


def _scrub_in_child(queue: multiprocessing.Queue[str], text: str) -> None:
    g = Guard("hyperscan")
    g.register("child-value-0123456789", "c")
    queue.put(g.scrub(text))


# Python 3.12 warns on any fork of a process with threads; forking servers do it all the same
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_scrubs_a_long_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "SHARE_MIN_NEEDLES", 1)
    text = _text(600_000, 1) + " child-value-0123456789"
    Guard("hyperscan").scrub(text)  # the parent has made its helpers
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = ctx.Queue()
    child = ctx.Process(target=_scrub_in_child, args=(queue, text))
    child.start()
    out = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert out.endswith("[secret:c]")
