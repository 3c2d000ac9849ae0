"""Texts derived from a view, for forms that no needle of a value can match in place.

The guard scans a text's normalized view (see :mod:`.haystack`). Three transformations need a
view of their own, built only when a cheap test on the view's bytes says the text may hold one;
each derived text is scanned with the same tiers, and its matches are mapped back to the view:

* **spaced out** (``s e c r e t``): where :data:`SPACED_RUN` or more single characters follow
  one another, each after one space (or each after one tab), that stretch is also scanned with
  its whitespace removed (:func:`spaced`); the test is a regex starting with a literal (fast in
  ``re``), or, with the ``hyperscan`` engine, literals in the Vectorscan pass that finds the
  leads below (each run starts with one of the 14,641 literals ``" X Y "`` or 121 ``"\tX\t"``,
  ``X`` and ``Y`` not whitespace; a hit is checked with the regex at that spot (a spaced-out
  text holds one at nearly every position, and the engine then scrubs at about 5 MB/s, one
  match callback each): a regex in the pass would run an automaton over every byte, three
  times the cost; those literals take a quarter of a second to compile, once per process, so
  views under :data:`LITERAL_PASS_MIN` bytes, where the regexes cost microseconds, keep them; a guard's main tier finds the same
  literals beside its needles, see :func:`trigger_literals`, and then its scan is the trigger
  pass for a view of any length, for that quarter of a second more in each build of a main
  tier: in the background, or in a bulk load or ``compact``). When a known value holds
  whitespace (a passphrase), its pieces between it may all be shorter than that: then a
  value's own whitespace spelled out (``x   y`` between spaces, ``x\t \ty`` between tabs)
  sets it off too (a test that costs about half as much again in ``re``, so it runs only
  while such a value is known). Other separators (two spaces, a mix) are not looked for: a
  value spelled out that way is caught only by what its pieces reveal, which for characters
  one by one is nothing;
* **JSON escapes at any depth**: a text with two backslashes in a row is also scanned with every
  backslash run collapsed to one backslash; the JSON escapes of a value are registered in the
  same collapsed form (:func:`~.variants.collapse_backslashes`), so a value escaped three,
  five or ten times over is caught (:func:`collapsed`);
* **compressed then base64 (or hex)**: each base64 run that starts like gzip (``H4sI``) or zlib
  (``eJ``, ``eN``, ``eA``, ``eF``, a ``0x78`` header), and each hex run starting ``1f8b08``, is
  decoded and inflated, at most :data:`INFLATE_MAX` bytes out, and the result scanned; a hit
  masks the whole run (:func:`compressed`).

A derived text is scanned with its own derived texts turned off, so the work is bounded.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any

from .engines import block_database, thread_scratch
from .ignorable import Squeezed

__all__ = [
    "INFLATE_MAX",
    "LITERAL_PASS_MIN",
    "SPACED_RUN",
    "Derived",
    "Triggers",
    "collapsed",
    "compressed",
    "from_hits",
    "literal_triggers",
    "spaced",
    "trigger_literals",
    "triggers",
]

#: single characters between whitespace, this many in a row, make a text "spaced out"
SPACED_RUN = 5
#: the ``hyperscan`` engine tells a view of at least this many bytes spaced out by literals
#: (see the module docstring)
LITERAL_PASS_MIN = 1 << 16
#: at most this many bytes are inflated from one compressed run
INFLATE_MAX = 1 << 20
#: the shortest base64 run that is decoded (a gzip header alone is 10 bytes)
_MIN_RUN = 16
#: (finder, extender) per separator: single characters each after one space, or one tab
_SPACED = tuple(
    # the run spelled out: ``re`` tries it about half again as fast as the ``{5}`` repeat
    (re.compile(sep + (rb"[^\s]" + sep) * SPACED_RUN), re.compile(rb"(?:[^\s]" + sep + rb")*"))
    for sep in (rb" ", rb"\t")
)
#: a value's own space, tab, vertical tab or form feed (what else of ``\s`` is not in a view),
#: spelled out between spaces or between tabs (see the module docstring)
_SPACED_WS = (rb" [ \t\x0b\x0c] [^\s] ", rb"\t[ \t\x0b\x0c]\t[^\s]\t")
_SPACED_WS_RE = tuple(re.compile(p) for p in _SPACED_WS)
_BACKSLASH_RUN = re.compile(r"\\{2,}")
_B64_RUN = re.compile(rb"[A-Za-z0-9+/_-]+={0,2}")
_HEX_RUN = re.compile(rb"[0-9a-fA-F]+")
_B64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_HEX_BYTES = frozenset(b"0123456789abcdefABCDEF")
#: gzip, then zlib with each compression level's header (0x78 0x01, 0x5e, 0x9c, 0xda)
_B64_STARTS = (
    b"H4sI",
    *(
        b"e" + x + y
        for x, ys in ((b"A", b"EFGH"), (b"F", b"4567"), (b"J", b"wxyz"), (b"N", b"opqr"))
        for y in (bytes([c]) for c in ys)
    ),
)
_HEX_STARTS = (b"1f8b08", b"1F8B08")


class Derived:
    """A window ``[lo, hi)`` of a view with runs of it replaced, and the way back to view offsets."""

    __slots__ = ("_shift", "_starts", "text")

    def __init__(self, view: str, lo: int, hi: int, pattern: re.Pattern[str], repl: str) -> None:
        parts: list[str] = []
        starts = [0]
        shift = [lo]
        pos = lo
        d = 0
        for m in pattern.finditer(view, lo, hi):
            piece = view[pos : m.start()]
            parts.append(piece)
            parts.append(repl)
            d += len(piece) + len(repl)
            starts.append(d)
            shift.append(m.end() - d)
            pos = m.end()
        parts.append(view[pos:hi])
        self.text = "".join(parts)
        self._starts = starts
        self._shift = shift

    def to_view(self, start: int, end: int) -> tuple[int, int]:
        """The view span of the derived span ``[start, end)``: from its first character to its last."""
        a = start + self._shift[bisect_right(self._starts, start) - 1]
        b = end - 1 + self._shift[bisect_right(self._starts, end - 1) - 1]
        return a, b + 1


def _windows(spots: list[tuple[int, int]], reach: int, size: int) -> list[tuple[int, int]]:
    """The spots widened by ``reach`` on either side, overlapping ones joined."""
    out: list[tuple[int, int]] = []
    for s, e in spots:
        lo, hi = max(0, s - reach), min(size, e + reach)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


#: the literals that set off a derived text: compressed-data heads, then two backslashes
_LEADS = (*_B64_STARTS, *_HEX_STARTS, b"\\\\")
_BACKSLASH_LEAD = len(_LEADS) - 1
_SPACED_ID = len(_LEADS)  # the Vectorscan id of the first spaced-out regex or literal
#: every byte ``[^\s]`` matches in a view (one byte per character, ASCII; NUL is never in a view)
_NON_SPACE = tuple(bytes([c]) for c in range(1, 128) if c not in b" \t\n\r\x0b\x0c")
#: the literals one of which starts every spaced-out run (see the module docstring): after the
#: leads, ``" X Y "``, then ``"\tX\t"``
_SPACE_STARTS = tuple(b" " + x + b" " + y + b" " for x in _NON_SPACE for y in _NON_SPACE)
_TAB_STARTS = tuple(b"\t" + x + b"\t" for x in _NON_SPACE)
_TAB_ID = _SPACED_ID + len(_SPACE_STARTS)


class Triggers:
    """Where the literals of :data:`_LEADS` occur in a view, and whether it looks spaced out."""

    __slots__ = ("leads", "spaced")

    def __init__(self, leads: list[tuple[int, int]], spaced: bool | None) -> None:
        #: ``(lead index, start)`` of every lead occurrence
        self.leads = leads
        #: ``None``: not known yet (the aho engine asks ``re`` when needed)
        self.spaced = spaced


_lock = threading.Lock()
_aho: Any = None
#: the Vectorscan databases without and with the regexes of a value's own whitespace (a pass
#: over them costs about half as much again), each with its own scratch per thread
_hs_dbs: dict[bool, Any] = {}
_hs_locals = {False: threading.local(), True: threading.local()}
#: the Vectorscan database of literals only (leads and starts of spaced-out runs), used while
#: no known value holds whitespace
_hs_literal_db: Any = None
_hs_literal_local = threading.local()


def triggers(view_bytes: bytes, engine: str, inner_space: bool) -> Triggers:
    """One pass over the view for every lead: an ``ahocorasick-rs`` automaton (a SIMD prefilter
    for so few literals), or one Vectorscan database that also tells whether the view is
    spaced out: with the spaced-out regexes (those of a value's own whitespace only with
    ``inner_space``), or for a long view without ``inner_space``, :func:`literal_triggers`."""
    if engine == "hyperscan":
        if not inner_space and len(view_bytes) >= LITERAL_PASS_MIN:
            return literal_triggers(view_bytes)
        db = _hyperscan_db(inner_space)
        found: list[tuple[int, int]] = []
        spaced = False

        def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            nonlocal spaced
            if index >= _SPACED_ID:
                spaced = True
            else:
                found.append((index, to - len(_LEADS[index])))

        db.scan(view_bytes, match_event_handler=on_match, scratch=thread_scratch(_hs_locals[inner_space], db))
        return Triggers(found, spaced)
    automaton = _aho_automaton()
    return Triggers([(i, start) for i, start, _ in automaton.find_matches_as_indexes(view_bytes)], None)


def literal_triggers(view_bytes: bytes) -> Triggers:
    """:func:`triggers` of the ``hyperscan`` engine without ``inner_space``, in one pass of
    literals: the leads, and the starts of spaced-out runs, each checked with its run's regex."""
    db = _hyperscan_literal_db()
    hits: list[tuple[int, int]] = []

    def on_match(index: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
        hits.append((index, to))

    db.scan(view_bytes, match_event_handler=on_match, scratch=thread_scratch(_hs_literal_local, db))
    return from_hits(view_bytes, "hyperscan", hits)


def trigger_literals(engine: str) -> tuple[bytes, ...]:
    """The literals whose occurrences in a view :func:`from_hits` turns into its triggers: for
    the ``hyperscan`` engine those of :func:`literal_triggers`, for the ``aho`` engine the leads.
    The guard's main tier finds them beside the needles (:func:`~.engines.make_tier`), so that
    its scan of a view is the trigger pass too."""
    return (*_LEADS, *_SPACE_STARTS, *_TAB_STARTS) if engine == "hyperscan" else _LEADS


def from_hits(view_bytes: bytes, engine: str, hits: list[tuple[int, int]]) -> Triggers:
    """The triggers of ``view_bytes`` from every occurrence of :func:`trigger_literals`
    (``(literal index, end)``, in order of end): what :func:`triggers` gives, for the ``aho``
    engine, and for the ``hyperscan`` engine while no known value holds whitespace."""
    if engine != "hyperscan":
        return Triggers([(index, to - len(_LEADS[index])) for index, to in hits], None)
    found = [(index, to - len(_LEADS[index])) for index, to in hits if index < _SPACED_ID]
    space, tab = _SPACED[0][0], _SPACED[1][0]
    spaced = any(
        (space.match(view_bytes, to - 5) if index < _TAB_ID else tab.match(view_bytes, to - 3)) is not None
        for index, to in hits
        if index >= _SPACED_ID
    )
    return Triggers(found, spaced)


def _hyperscan_literal_db() -> Any:
    """The literal database, compiled on first use together with the regex one of short views
    (a few milliseconds more), so that a short view after a long one pays no compile."""
    global _hs_literal_db
    db = _hs_literal_db
    if db is None:
        _hyperscan_db(False)
        with _lock:
            db = _hs_literal_db
            if db is None:
                db = block_database(trigger_literals("hyperscan"), literal=True)
                _hs_literal_db = db
    return db


def _aho_automaton() -> Any:
    global _aho
    if _aho is None:
        with _lock:
            if _aho is None:
                import ahocorasick_rs

                _aho = ahocorasick_rs.BytesAhoCorasick(list(_LEADS))
    return _aho


def _hyperscan_db(inner_space: bool) -> Any:
    db = _hs_dbs.get(inner_space)
    if db is None:
        with _lock:
            db = _hs_dbs.get(inner_space)
            if db is None:
                import hyperscan

                spaced = [find.pattern for find, _ in _SPACED] + (list(_SPACED_WS) if inner_space else [])
                patterns = [re.escape(lead) for lead in _LEADS] + spaced
                flags = [0] * len(_LEADS) + [hyperscan.HS_FLAG_SINGLEMATCH] * len(spaced)
                db = block_database(patterns, flags)
                _hs_dbs[inner_space] = db
    return db


def _spaced_spots(view_bytes: bytes, inner_space: bool) -> list[tuple[int, int]]:
    spots: list[tuple[int, int]] = []
    for find, more in _SPACED:
        m = find.search(view_bytes)
        while m is not None:
            end = more.match(view_bytes, m.end()).end()  # type: ignore[union-attr]
            spots.append((m.start(), end))
            m = find.search(view_bytes, end)
    if inner_space:
        for find in _SPACED_WS_RE:
            spots.extend(m.span() for m in find.finditer(view_bytes))
    spots.sort()
    return spots


def spaced(
    view: Callable[[], str], view_bytes: bytes, reach: int, found: Triggers, inner_space: bool
) -> list[Derived | Squeezed]:
    """Each spaced-out stretch of the view (:data:`SPACED_RUN` single characters or more, each
    after one space, or each after one tab; with ``inner_space``, also each spelled-out space or
    tab of a value), widened by ``reach``, with its whitespace removed."""
    if found.spaced is False:
        return []
    spots = _spaced_spots(view_bytes, inner_space)
    if not spots:
        return []
    text = view()
    out: list[Derived | Squeezed] = [Squeezed(text, lo, hi) for lo, hi in _windows(spots, reach, len(text))]
    return out


def collapsed(view: Callable[[], str], view_bytes: bytes, reach: int, found: Triggers) -> list[Derived]:
    """The stretches around backslash runs, widened by ``reach``, each run collapsed to one."""
    spots: list[tuple[int, int]] = []
    for index, i in found.leads:
        if index == _BACKSLASH_LEAD and not (spots and i < spots[-1][1]):
            j = i + 2
            while j < len(view_bytes) and view_bytes[j] == 0x5C:
                j += 1
            spots.append((i, j))
    if not spots:
        return []
    text = view()
    return [Derived(text, lo, hi, _BACKSLASH_RUN, "\\") for lo, hi in _windows(spots, reach, len(text))]


def _inflate(data: bytes) -> bytes | None:
    try:
        inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
        out = inflater.decompress(data, INFLATE_MAX)
    except zlib.error:
        return None
    return out or None


def compressed(view_bytes: bytes, found: Triggers) -> Iterator[tuple[int, int, str]]:
    """``(start, end, inflated text)`` for every compressed run of the view that inflates."""
    hex_first = len(_B64_STARTS)
    for index, i in found.leads:
        if index == _BACKSLASH_LEAD:
            continue
        run, allowed, decode = (
            (_B64_RUN, _B64_BYTES, _b64_decode) if index < hex_first else (_HEX_RUN, _HEX_BYTES, _hex_decode)
        )
        if i > 0 and view_bytes[i - 1] in allowed:
            continue
        m = run.match(view_bytes, i)
        if m is not None and m.end() - i >= _MIN_RUN:
            data = decode(m.group())
            out = _inflate(data) if data else None
            if out is not None:
                yield i, m.end(), out.decode("utf-8", "surrogateescape")


def _b64_decode(run: bytes) -> bytes | None:
    run = run.rstrip(b"=").replace(b"-", b"+").replace(b"_", b"/")
    run = run[: len(run) - len(run) % 4 if len(run) % 4 == 1 else len(run)]
    try:
        return base64.b64decode(run + b"=" * (-len(run) % 4))
    except (binascii.Error, ValueError):
        return None


def _hex_decode(run: bytes) -> bytes | None:
    try:
        return binascii.unhexlify(run[: len(run) - len(run) % 2])
    except (binascii.Error, ValueError):
        return None
