"""Candidate starts for the pattern rules, so their regexes run only where they can match.

Both prefilters read the text in one-byte form (:func:`~.haystack.one_byte`: a non-ASCII
character reads as ``?``, never as a letter), so offsets are character offsets and the keyword
search is ASCII-case-insensitive by ``bytes.lower()``. Both report, for each regex of
:data:`~.rules.PATTERNS`, a superset of the positions where it can match (see
:func:`~.patterns.detect_at`).

* :func:`aho_candidates` (default engine): one ``ahocorasick-rs`` pass, overlapping matches,
  over the lowercased bytes for every rule literal; a literal found at ``p`` is a candidate
  start ``p - offset``.
* :class:`HyperscanPrefilter` (``fast`` extra): one Vectorscan database of the bounded
  :attr:`~.rules.Pattern.prefilter` regexes. Their matches are rare (an assignment operator
  after ``token``, not every ``token``), so little Python runs per megabyte; for a match ending
  at ``e`` the candidates are the rule's literals found in the ``span`` characters before ``e``.

Each compiled prefilter is built once per process, on first use, and shared by all guards
(read-only after construction; Hyperscan scratch space is per thread).
"""

from __future__ import annotations

import threading
from typing import Any

from .engines import block_database, thread_scratch
from .haystack import one_byte
from .rules import PATTERNS

__all__ = ["HyperscanPrefilter", "aho_candidates", "hyperscan_prefilter"]

_lock = threading.Lock()
_automaton: Any = None
_hyperscan: HyperscanPrefilter | None = None


def _aho() -> Any:
    global _automaton
    if _automaton is not None:
        return _automaton
    with _lock:
        if _automaton is None:
            import ahocorasick_rs

            where: dict[str, list[tuple[int, int]]] = {}
            for index, pattern in enumerate(PATTERNS):
                for literal, offset in pattern.literals:
                    where.setdefault(literal, []).append((index, offset))
            automaton = ahocorasick_rs.BytesAhoCorasick([literal.encode("ascii") for literal in where])
            _automaton = (automaton, [tuple(places) for places in where.values()])
        return _automaton


def aho_candidates(text: str, raw: bytes | None = None) -> dict[int, list[int]]:
    """Candidate starts per pattern index; ``raw``, if given, is ``one_byte(text)`` (and ``text``
    is not read)."""
    automaton, places = _aho()
    low = (one_byte(text) if raw is None else raw).lower()
    found: dict[int, list[int]] = {}
    for literal, at, _ in automaton.find_matches_as_indexes(low, overlapping=True):
        for index, offset in places[literal]:
            if at >= offset:
                found.setdefault(index, []).append(at - offset)
    return found


class HyperscanPrefilter:
    """One Vectorscan block-mode database of every pattern's prefilter regex."""

    __slots__ = ("_db", "_keys", "_local")

    def __init__(self) -> None:
        import hyperscan

        self._db = block_database(
            [p.prefilter.encode("ascii") for p in PATTERNS],
            [hyperscan.HS_FLAG_CASELESS if p.caseless else 0 for p in PATTERNS],
        )
        self._local = threading.local()
        self._keys = [
            (p.span, tuple((literal.encode("ascii"), offset) for literal, offset in p.literals))
            for p in PATTERNS
        ]

    def _scratch(self) -> Any:
        return thread_scratch(self._local, self._db)

    def candidates(self, raw: bytes) -> dict[int, list[int]]:
        """Candidate starts per pattern index in the one-byte text ``raw``."""
        hits: list[tuple[int, int]] = []

        def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            hits.append((index, to))

        self._db.scan(raw, match_event_handler=on_match, scratch=self._scratch())
        found: dict[int, list[int]] = {}
        keys = self._keys
        for index, to in hits:
            span, literals = keys[index]
            lo = max(0, to - span)
            window = raw[lo:to].lower()
            starts = found.setdefault(index, [])
            for key, offset in literals:
                i = window.find(key)
                while i >= 0:
                    if lo + i >= offset:
                        starts.append(lo + i - offset)
                    i = window.find(key, i + 1)
        return found


def hyperscan_prefilter() -> HyperscanPrefilter:
    """The process-wide :class:`HyperscanPrefilter` (compiled on first use)."""
    global _hyperscan
    if _hyperscan is not None:
        return _hyperscan
    with _lock:
        if _hyperscan is None:
            _hyperscan = HyperscanPrefilter()
        return _hyperscan
