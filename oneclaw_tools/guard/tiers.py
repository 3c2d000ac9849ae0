"""The compiled tiers over a guard's needles, and the snapshot every scan reads.

Contract. :class:`Tiers` publishes one immutable :class:`State` at a time (``tiers.state``):
every needle with an id below ``state.count`` is in exactly the tiers listed there, so a scan
that reads ``state`` once sees a consistent set and needs no lock. Writers hold ``tiers.lock``:
a registration appends needles to the shared list, asks :meth:`Tiers.grown` for a state with a
tier for its new needles, publishes it, then calls :meth:`Tiers.kick_locked`. Needles are never
changed once published; a registration that fails truncates the list before publishing
anything.

Tiers: a large *main* tier plus small *recent* tiers. Registering a value builds a tier for its
needles only (about a millisecond for a short value; with the hyperscan engine, a registration of
more than 2,000 needles gets an aho tier, several times faster to build); one background worker
(the *merger*) folds the recent tiers into one, another (the *rebuilder*) rebuilds the main tier
when the recent ones hold more than an eighth of it. Each swaps its tier in under the lock,
keeping every needle covered: the main tier covers ``[0, main_upto)``, each recent tier its own
``[lo, hi)``, and a recent tier overlapping the main tier only repeats some matches (the guard's
span union is the same). Two workers, so that a long main rebuild never lets recent tiers pile up.
The main tier also finds the guard's trigger literals (:attr:`Tiers.extras`), so that its scan
of a text is the trigger pass too (see :mod:`.derived`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from .engines import Tier, make_tier

__all__ = ["MAIN_MIN", "State", "Tiers"]

_log = logging.getLogger("oneclaw_tools.guard")

#: the main tier is rebuilt when the recent tiers hold more than max(this, main / 8) needles
MAIN_MIN = 4096
#: the merger folds all recent tiers into one while they hold at most this many needles
_FOLD_ALL = 2048
#: past this many recent tiers, the merger folds the newest surplus into one
_MAX_RECENT = 6
#: from this many recent tiers on, a registration folds the newest small ones (together at most
#: _SYNC_FOLD_NEEDLES needles, a build of a few milliseconds) into its own tier
_SYNC_FOLD = 8
_SYNC_FOLD_NEEDLES = 256
#: a registration adding more needles than this builds its own tier with the aho engine when the
#: guard's engine is hyperscan (Vectorscan compiles about 20,000 literals a second, the aho
#: engine about ten times more); the background merger folds it into a hyperscan tier
_SYNC_HYPERSCAN_MAX = 2000

Recent = tuple[tuple[Tier, int, int], ...]


@dataclass(frozen=True, slots=True)
class State:
    """What a scan reads: the tiers, and the registry's facts that are not needles."""

    main: Tier | None = None
    main_upto: int = 0
    recent: Recent = ()
    count: int = 0
    #: (value, mask) of the short values; left out of repr, like every field holding a value
    short: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    max_needle: int = 0
    max_short: int = 0
    #: mask -> (the value without whitespace or ignorables, its view length), for each value
    #: holding a line break
    multiline: Mapping[str, tuple[str, int]] = field(default_factory=dict, repr=False)
    #: does a known value hold whitespace (see .derived: spelled out, it needs one more test)
    inner_space: bool = False


class Tiers:
    """The tiers of ``engine`` over ``needles`` (a list the registry appends to, under ``lock``)."""

    def __init__(self, engine: str, needles: list[str], extras: tuple[bytes, ...] = ()) -> None:
        self.engine = engine
        #: the literals every main tier also finds (see :func:`~.engines.make_tier`)
        self.extras = extras
        self.lock = threading.Lock()
        self.state = State()
        self._needles = needles
        self._main_lock = threading.Lock()
        self._merger: threading.Thread | None = None
        self._rebuilder: threading.Thread | None = None

    def idle(self) -> bool:
        """Is no background worker running (every fold and rebuild that was due is done)?"""
        return self._merger is None and self._rebuilder is None

    def _tier(self, lo: int, hi: int, engine: str | None = None, main: bool = False) -> Tier:
        needles = self._needles
        return make_tier(
            engine or self.engine, [(i, needles[i]) for i in range(lo, hi)], self.extras if main else ()
        )

    def grown(self, st: State, lo: int, hi: int, longest: int, bulk: bool) -> State:
        """``st`` with a tier for the needles ``[lo, hi)`` (the engine may raise: nothing changed)."""
        if st.main is None and hi - lo > MAIN_MIN and bulk:  # a bulk load: straight to main
            main = self._tier(0, hi, main=True)
            return replace(st, main=main, main_upto=hi, recent=(), count=hi, max_needle=longest)
        recent = st.recent
        if len(recent) >= _SYNC_FOLD:
            # Values come faster than the merger folds: take in the newest tiers up to twice
            # the size gathered so far (a binary counter: the tiers made here double in size, so
            # there are only a few of them), at most _SYNC_FOLD_NEEDLES needles in all.
            held = hi - lo
            while recent:
                size = recent[-1][2] - recent[-1][1]
                if size > 2 * held or held + size > _SYNC_FOLD_NEEDLES:
                    break
                held += size
                lo = min(lo, recent[-1][1])
                recent = recent[:-1]
        fast = "aho" if self.engine == "hyperscan" and hi - lo > _SYNC_HYPERSCAN_MAX else None
        recent = (*recent, (self._tier(lo, hi, fast), lo, hi))
        return replace(st, recent=recent, count=hi, max_needle=max(st.max_needle, longest))

    @staticmethod
    def _to_fold(recent: Recent) -> Recent:
        """The newest recent tiers to fold into one (empty: none).

        All of them while they hold at most _FOLD_ALL needles (a build of a few milliseconds,
        and every tier costs a pass over the text). Past that, the newest tiers that together
        hold at least a quarter of the needles of the tier before them, so that sizes shrink
        fourfold from the oldest tier to the newest: a needle is rebuilt only a few times before
        the next main rebuild, and a scan meets few tiers. Past _MAX_RECENT tiers (values added
        faster than the merger folds), the newest surplus; otherwise, past two tiers out of that
        order (after such a burst), all of them.
        """
        if len(recent) >= 2 and sum(r[2] - r[1] for r in recent) <= _FOLD_ALL:
            return recent
        k = len(recent) - 1
        held = recent[k][2] - recent[k][1] if recent else 0
        while k > 0 and held * 4 >= recent[k - 1][2] - recent[k - 1][1]:
            k -= 1
            held += recent[k][2] - recent[k][1]
        if len(recent) - k >= 2:
            return recent[k:]
        if len(recent) > _MAX_RECENT:
            return recent[_MAX_RECENT - 1 :]
        return recent if len(recent) > 2 else ()

    @staticmethod
    def _main_due(st: State) -> bool:
        return st.count - st.main_upto > max(MAIN_MIN, st.main_upto // 8)

    def kick_locked(self) -> None:
        """Start the workers that have work (call with ``lock`` held, after publishing)."""
        st = self.state
        if self._merger is None and self._to_fold(st.recent):
            self._merger = threading.Thread(target=self._merge_loop, name="oneclaw-guard-merge", daemon=True)
            self._merger.start()
        if self._main_due(st) and self._rebuilder is None:
            self._rebuilder = threading.Thread(
                target=self._rebuild_loop, name="oneclaw-guard-main", daemon=True
            )
            self._rebuilder.start()

    def _merge_loop(self) -> None:
        try:
            while True:
                with self.lock:
                    folded = self._to_fold(self.state.recent)
                    if not folded:
                        self._merger = None
                        return
                lo, hi = min(r[1] for r in folded), max(r[2] for r in folded)
                tier = self._tier(lo, hi)
                with self.lock:
                    now = self.state
                    # in the folded tiers' place (newer ones may have come after them); not at
                    # all when none is left (a registration folded them, or a new main covers them)
                    at = next((i for i, r in enumerate(now.recent) if any(r is f for f in folded)), None)
                    if at is not None:
                        kept = [r for r in now.recent if all(r is not f for f in folded)]
                        kept.insert(at, (tier, lo, hi))
                        self.state = replace(now, recent=tuple(kept))
        except Exception:
            _log.exception("the guard's background merge failed; recent tiers stay in use")
            with self.lock:
                self._merger = None

    def _rebuild_loop(self) -> None:
        try:
            while True:
                with self.lock:
                    if not self._main_due(self.state):
                        self._rebuilder = None
                        return
                self.build_main()
        except Exception:
            _log.exception("the guard's background rebuild failed; recent tiers stay in use")
            with self.lock:
                self._rebuilder = None

    def build_main(self) -> None:
        """Build one main tier over every published needle and swap it in (blocking)."""
        with self._main_lock:
            hi = self.state.count
            if hi == 0:
                return
            tier = self._tier(0, hi, main=True)
            with self.lock:
                now = self.state
                if hi > now.main_upto:
                    recent = tuple(r for r in now.recent if r[2] > hi)
                    self.state = replace(now, main=tier, main_upto=hi, recent=recent)
