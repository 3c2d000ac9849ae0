"""Multi-literal matchers: one compiled *tier* holds a fixed set of needles.

Both engines scan the same bytes, the normalized view as one byte per character
(:meth:`~.haystack.Haystack.view_bytes`), and report every occurrence of every needle
(overlapping ones included) as ``(start, end, needle_id)`` in its offsets, so the guard's span
union gives identical output whichever engine ran. A needle holding a non-ASCII character (or a
``?``, which stands for any non-ASCII character in those bytes) is verified against the ``str``
view when it hits (:func:`encode_needles`).

* :class:`AhoTier` (default, ``ahocorasick-rs``): an Aho-Corasick automaton (the Rust
  ``aho-corasick`` crate; small wheels for Linux, macOS and Windows) in overlapping mode.
* :class:`HyperscanTier` (extra ``fast``): a Vectorscan literal database in block mode; each
  thread gets its own scratch space, and a big tier scans a long view in pieces beside each
  other (:func:`~.parallel.split_scan`: the same matches as one scan).

Each engine's module is imported only when a tier of it is built.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from . import parallel
from .haystack import Haystack, one_byte
from .parallel import scan_pieces, split_scan

__all__ = [
    "ENGINES",
    "AhoTier",
    "Extra",
    "HyperscanTier",
    "Tier",
    "block_database",
    "encode_needles",
    "hyperscan_available",
    "make_tier",
    "resolve_engine",
]

ENGINES = ("auto", "aho", "hyperscan")
#: the aho engine builds a DFA for a tier of at most this many needles (see AhoTier)
_DFA_MAX = 300

#: what one encoded needle stands for: ``(needle_id, length, the needle to verify or None)``
_Entry = tuple[int, int, str | None]


def encode_needles(needles: Sequence[tuple[int, str]]) -> tuple[list[bytes], list[tuple[_Entry, ...]]]:
    """The distinct one-byte forms of ``needles``, and for each the needles it stands for.

    Two needles share a form only when they differ in non-ASCII characters (or ``?``): those
    carry the ``str`` needle, checked against the view on a hit; the others need no check.
    """
    groups: dict[bytes, list[_Entry]] = {}
    for nid, needle in needles:
        raw = needle.encode("ascii") if needle.isascii() else one_byte(needle)
        groups.setdefault(raw, []).append((nid, len(needle), needle if b"?" in raw else None))
    return list(groups), [tuple(entries) for entries in groups.values()]


def _emit(hay: Haystack, entries: tuple[_Entry, ...], end: int, out: list[tuple[int, int, int]]) -> None:
    for nid, length, check in entries:
        start = end - length
        if check is None or hay.view().startswith(check, start):
            out.append((start, end, nid))


def block_database(
    expressions: Sequence[Any], flags: int | Sequence[int] = 0, *, literal: bool = False
) -> Any:
    """A Vectorscan block-mode database of ``expressions``, each one's id its index (every
    database of the guard is built here: the tiers, the trigger and spaced-out passes, the
    pattern prefilter)."""
    import hyperscan

    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    options: dict[str, Any] = {"literal": True} if literal else {}
    db.compile(
        expressions=list(expressions),
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=flags if isinstance(flags, int) else list(flags),
        **options,
    )
    return db


def thread_scratch(local: threading.local, db: Any) -> Any:
    """This thread's hyperscan scratch for ``db`` (a scratch must not be shared between threads)."""
    scratch = getattr(local, "scratch", None)
    if scratch is None:
        import hyperscan

        scratch = hyperscan.Scratch(db)
        local.scratch = scratch
    return scratch


#: ``(extra literal index, end)`` of an extra literal's occurrence (see :func:`make_tier`)
Extra = list[tuple[int, int]]


class Tier(Protocol):
    """A compiled matcher over a fixed set of needles (and perhaps extra literals)."""

    #: does the tier also find extra literals (see :func:`make_tier`)?
    has_extras: bool

    def scan(self, hay: Haystack, out: list[tuple[int, int, int]], extra: Extra | None = None) -> None:
        """Append ``(start, end, needle_id)`` for every occurrence in ``hay``'s view, and to
        ``extra`` (when given) each occurrence of an extra literal."""


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_engine(engine: str) -> str:
    """``auto`` becomes ``hyperscan`` when the extra is installed, else ``aho``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown guard engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "hyperscan" if hyperscan_available() else "aho"
    if engine == "hyperscan" and not hyperscan_available():
        raise ImportError('the hyperscan engine needs the extra: pip install "oneclaw-tools[fast]"')
    return engine


class AhoTier:
    """An ``ahocorasick-rs`` automaton over the needles' one-byte forms, overlapping matches."""

    __slots__ = ("_automaton", "_entries", "_first_extra", "has_extras")

    def __init__(self, needles: Sequence[tuple[int, str]], extras: Sequence[bytes] = ()) -> None:
        import ahocorasick_rs

        patterns, self._entries = encode_needles(needles)
        self._first_extra = len(patterns)
        self.has_extras = bool(extras)
        patterns += extras
        # a DFA scans a small set three times faster, but builds slowly past a few hundred needles
        dfa = ahocorasick_rs.Implementation.DFA if len(patterns) <= _DFA_MAX else None
        self._automaton = ahocorasick_rs.BytesAhoCorasick(patterns, implementation=dfa)

    def scan(self, hay: Haystack, out: list[tuple[int, int, int]], extra: Extra | None = None) -> None:
        entries, first = self._entries, self._first_extra
        for index, _, end in self._automaton.find_matches_as_indexes(hay.view_bytes(), overlapping=True):
            if index < first:
                _emit(hay, entries[index], end, out)
            elif extra is not None:
                extra.append((index - first, end))


class HyperscanTier:
    """A Vectorscan literal database over the needles' one-byte forms; one scratch per thread."""

    __slots__ = ("_db", "_entries", "_first_extra", "_local", "_overlap", "has_extras")

    def __init__(self, needles: Sequence[tuple[int, str]], extras: Sequence[bytes] = ()) -> None:
        patterns, self._entries = encode_needles(needles)
        self._first_extra = len(patterns)
        self.has_extras = bool(extras)
        patterns += extras
        self._db = block_database(patterns, literal=True)
        self._local = threading.local()
        self._overlap = max(map(len, patterns), default=1) - 1

    def _scratch(self) -> Any:
        return thread_scratch(self._local, self._db)

    def _scan(self, data: memoryview) -> list[tuple[int, int]]:
        """``(pattern index, end)`` of every match in ``data`` (on any thread)."""
        hits: list[tuple[int, int]] = []

        def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            hits.append((index, to))

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        return hits

    def scan(self, hay: Haystack, out: list[tuple[int, int, int]], extra: Extra | None = None) -> None:
        view = hay.view_bytes()
        if len(self._entries) >= parallel.SHARE_MIN_NEEDLES:
            self.emit(hay, split_scan(self._scan, view, self._overlap), out, extra)
        else:
            self.emit(hay, self._scan(memoryview(view)), out, extra)

    def pieces(self, hay: Haystack) -> list[Callable[[], list[tuple[int, int]]]]:
        """A scan of ``hay``'s view as tasks for :class:`~.parallel.Shared` (see :meth:`emit`)."""
        return scan_pieces(self._scan, hay.view_bytes(), self._overlap)

    def emit(
        self,
        hay: Haystack,
        hits: list[tuple[int, int]],
        out: list[tuple[int, int, int]],
        extra: Extra | None = None,
    ) -> None:
        """Append the needle occurrences behind ``hits`` (from :meth:`_scan`) to ``out``, and
        those of the extra literals to ``extra`` (when given)."""
        entries, first = self._entries, self._first_extra
        for index, to in hits:
            if index < first:
                _emit(hay, entries[index], to, out)
            elif extra is not None:
                extra.append((index - first, to))


def make_tier(engine: str, needles: Sequence[tuple[int, str]], extras: Sequence[bytes] = ()) -> Tier:
    """A tier of ``engine`` (``aho`` or ``hyperscan``) over ``(needle_id, needle)`` pairs.

    ``extras``: literals (bytes) the tier also finds, reported apart (``scan``'s ``extra``) and
    never as needles: the guard's main tier finds the literals of the trigger pass this way
    (:func:`~.derived.trigger_literals`), so that one scan of a text does both.
    """
    if engine == "hyperscan":
        return HyperscanTier(needles, extras)
    return AhoTier(needles, extras)
