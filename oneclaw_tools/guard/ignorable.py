"""The characters matching ignores, and where they sit in a value.

Matching happens on a *view* of the text without the :data:`IGNORABLE` characters (NUL, line
breaks, and every Unicode format character, category Cf: zero-width, bidi controls, invisible
operators, tags), removed from the forms of a value as well (see :mod:`.variants`): a value split
over lines, re-wrapped, or salted with invisible characters is still contiguous in the view.

* :func:`present` tells which ones a text holds, :func:`normalize` removes them; both look only
  for those the text's storage width can hold (:func:`wide_candidates`).
* :func:`most_hidden` and :func:`line_ends` say where they sit in a value, for the placing of
  its anchors: a run of a value across a line break is shorter in the view by that break.
* :class:`Squeezed` is a stretch of text without them and without whitespace (what
  :data:`SOLID` keeps), built in C loops, with the way back to offsets in the text: the
  spelled-out view (:mod:`.derived`) and the search for a re-indented multi-line value
  (:mod:`.spans`) are both that.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from itertools import accumulate

__all__ = [
    "IGNORABLE",
    "SOLID",
    "Squeezed",
    "line_ends",
    "most_hidden",
    "normalize",
    "present",
    "squeeze",
    "wide_candidates",
]

# every Unicode format character (category Cf, Unicode 15), as ranges
_CF_RANGES = (
    (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F), (0x890, 0x891),
    (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)  # fmt: skip
_FORMAT_CHARS = "".join(chr(c) for lo, hi in _CF_RANGES for c in range(lo, hi + 1))
#: Characters dropped from both text and needles before matching: NUL, line breaks, and every
#: Unicode format character; the likeliest wide ones first.
IGNORABLE = "\x00\n\r\u200b\ufeff\u200c\u200d\u2060\u00ad\u180e" + "".join(
    ch for ch in _FORMAT_CHARS if ch not in "\u200b\ufeff\u200c\u200d\u2060\u00ad\u180e"
)
_ASCII_IGNORABLE = "\x00\n\r"
_WIDE_RE = re.compile("[" + re.escape(IGNORABLE[3:]) + "]")
#: a character that is neither whitespace nor ignorable (what a :class:`Squeezed` text keeps)
SOLID = re.compile("[^\\s" + re.escape(IGNORABLE) + "]")
#: a :class:`Squeezed` text counts its characters in blocks this long to map offsets back
_COUNT_BLOCK = 128


def present(text: str) -> tuple[str, ...]:
    """The :data:`IGNORABLE` characters that occur in ``text``, in :data:`IGNORABLE` order
    (one ``in``, a vectorized search, per character the text's storage can hold)."""
    ascii_ones = tuple(ch for ch in _ASCII_IGNORABLE if ch in text)
    if text.isascii():
        return ascii_ones
    return ascii_ones + tuple(ch for ch in wide_candidates(text) if ch in text)


#: CPython stores a str at 1, 2 or 4 bytes a character, the widest it holds: the wide ignorables
#: each width can hold (1: only the soft hyphen, 2: 43 of them, 4: all 170, tags included)
_WIDE_BY_WIDTH = {
    width: tuple(ch for ch in IGNORABLE[3:] if ord(ch) < 1 << (8 * width)) for width in (1, 2, 4)
}
#: the size of a str of each width, less its characters (measured, so any CPython version fits)
_STR_BASE = {
    width: sys.getsizeof(ch * 2) - 2 * width for width, ch in ((1, "é"), (2, "Ā"), (4, "\U00010000"))
}


def wide_candidates(text: str) -> tuple[str, ...]:
    """The wide :data:`IGNORABLE` characters ``text`` can hold, by its storage width (read in
    O(1) from its size): a Latin-1 text (French, German, Spanish) needs one search instead of 170."""
    size, n = sys.getsizeof(text), len(text)
    for width in (1, 2):
        if size == _STR_BASE[width] + width * n:
            return _WIDE_BY_WIDTH[width]
    return _WIDE_BY_WIDTH[4]


def normalize(text: str, chars: tuple[str, ...] | None = None) -> str:
    """``text`` without the :data:`IGNORABLE` characters (``chars``: those present, if known)."""
    chars = present(text) if chars is None else chars
    if len(chars) > 8:
        return _WIDE_RE.sub("", text).replace("\x00", "").replace("\n", "").replace("\r", "")
    for ch in chars:
        text = text.replace(ch, "")
    return text


def squeeze(text: str, chars: tuple[str, ...] | None = None) -> str:
    """``text`` without whitespace and :data:`IGNORABLE` characters (what :data:`SOLID` keeps),
    in C loops (``str.split`` drops the same whitespace as ``\\s``); ``chars`` as for
    :func:`normalize`."""
    return "".join(normalize(text, chars).split())


def most_hidden(text: str, windows: tuple[int, ...]) -> list[int]:
    """The most :data:`IGNORABLE` characters in any ``window`` consecutive characters of ``text``,
    for each of ``windows``.

    A run of a form that holds some is that much shorter in the view, where matching happens:
    the form's step and minimal run shrink by as many (at most half the step), so every run of
    ``anchor + step - 1`` characters with no more hidden in it still holds a whole anchor (a PEM
    body quoted across one of its line breaks). Positions are found with one literal search per
    ignorable character present (a regex class of all of them reads 1 MiB in 80 ms).
    """
    at = sorted(m.start() for ch in present(text) for m in re.finditer(re.escape(ch), text))
    out = []
    for window in windows:
        most = first = 0
        for i, pos in enumerate(at):
            while at[first] <= pos - window:
                first += 1
            if i - first >= most:
                most = i - first + 1
        out.append(most)
    return out


def line_ends(value: str, shortest: int) -> tuple[int, ...]:
    """Where the lines of ``value`` at least ``shortest`` characters long (normalized) end in its
    normalized form, where its line breaks are dropped."""
    lines = value.replace("\r", "\n").split("\n")
    if set(present(value)) <= {"\n", "\r"}:
        sizes = [len(line) for line in lines]
    else:
        sizes = [len(normalize(line)) for line in lines]
    ends: list[int] = []
    end = 0
    for size in sizes:
        end += size
        if size >= shortest:
            ends.append(end)
    return tuple(ends)


class Squeezed:
    """``source[lo:hi]`` without whitespace and :data:`IGNORABLE` characters, as ``text``, and
    the way back from an offset in ``text`` to one in ``source``.

    ``text`` is built with :func:`squeeze` (a regex match per character took a third of a
    second for a few megabytes of spaced-out text). The kept
    characters are counted by blocks of :data:`_COUNT_BLOCK` on the first :meth:`place`, which
    then lists where the kept characters of the block asked for stand (once per block).
    """

    __slots__ = ("_blocks", "_chars", "_starts", "hi", "lo", "source", "text")

    def __init__(self, source: str, lo: int = 0, hi: int | None = None) -> None:
        self.source = source
        self.lo = lo
        self.hi = len(source) if hi is None else min(hi, len(source))
        window = source[lo : self.hi]
        self._chars = present(window)
        self.text = squeeze(window, self._chars)
        self._starts: list[int] | None = None
        self._blocks: dict[int, list[int]] = {}

    def place(self, k: int) -> int:
        """The offset in ``source`` of ``text[k]``."""
        source, lo, hi = self.source, self.lo, self.hi
        starts = self._starts
        if starts is None:
            chars = self._chars
            counts = (
                len(squeeze(source[b : min(b + _COUNT_BLOCK, hi)], chars))
                for b in range(lo, hi, _COUNT_BLOCK)
            )
            starts = self._starts = list(accumulate(counts, initial=0))
        block = bisect_right(starts, k) - 1  # the last block with at most k kept before it
        kept = self._blocks.get(block)
        if kept is None:  # where the block's kept characters stand, kept for the next place
            first = lo + block * _COUNT_BLOCK
            found = SOLID.finditer(source, first, min(hi, first + _COUNT_BLOCK))
            kept = self._blocks[block] = [m.start() for m in found]
        return kept[k - starts[block]]

    def to_view(self, start: int, end: int) -> tuple[int, int]:
        """The ``source`` span of ``text[start:end]``: from its first character to its last."""
        return self.place(start), self.place(end - 1) + 1
