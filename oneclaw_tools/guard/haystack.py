"""One text being scanned, with the representations the engines need, each built at most once.

* :meth:`Haystack.view` is the normalized view (a ``str`` without the :data:`~.ignorable.IGNORABLE`
  characters) that needles are matched in; it is the text itself when nothing is ignorable. The
  engines scan it in the one-byte form below and read the ``str`` only to verify a needle
  holding a non-ASCII character.
* :meth:`Haystack.raw` is the text as bytes with **one byte per character**: ASCII as is, every
  other character as ``?``. Byte offsets are therefore character offsets, so byte engines need no
  UTF-8 offset mapping; a needle with a non-ASCII character (or a ``?``) is encoded the same way
  and verified against the ``str`` when it hits. For an ASCII ``str`` this is a copy; for a wider
  one it runs at about 1 GB/s (3 GB/s when the only non-ASCII characters are zero-width ones,
  see :func:`one_byte`), the largest fixed cost of a byte engine on such text.
* :meth:`Haystack.view_bytes` is the view in the one-byte form: :meth:`raw` with each wide
  ignorable turned into an ASCII one (only in the pieces that hold one), without the
  :attr:`~Haystack.drop` bytes, removed with ``bytes.replace`` (``memchr`` and ``memcpy``, several
  times faster than ``bytes.translate`` or ``str.replace``), so the ``str`` view is built only
  for such a verification.
* :class:`Locator` maps spans found in the view back to the text.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right

from .ignorable import IGNORABLE, normalize, wide_candidates

__all__ = ["Haystack", "Locator", "ascii_twin", "one_byte"]

_ASCII_IGN = tuple(ch for ch in IGNORABLE if ch.isascii())
_WIDE_IGN = tuple(ch for ch in IGNORABLE if not ch.isascii())
_WIDE_SET = frozenset(_WIDE_IGN)
#: the wide ignorables, likeliest first: swapped for ``?`` one by one (see one_byte)
_WIDE_SWAP = tuple("\u200b\ufeff\u200c\u200d\u2060\u00ad\u180e")
_ASCII_IGN_BYTES = tuple((ch, ch.encode("ascii")) for ch in _ASCII_IGN)
#: a mostly-ASCII text has at most this many '?' in its one-byte form (see Haystack._find_wide)
_FEW_MARKS = 64
#: above this many wide ignorable characters, the byte view is built from the str view
_FEW_WIDE = 4096
#: the byte view of a longer text is built block by block, recording each block's view length
#: (see Haystack.block_starts): the Locator then jumps to the right block instead of counting
#: every dropped byte before a match, which on text with a line break every 50 characters
#: cost more than the scan
_BLOCK = 8192


def one_byte(text: str) -> bytes:
    """``text`` with one byte per character: ASCII unchanged, anything else ``?``.

    ``encode("ascii", "replace")`` reads a wide ``str`` one character at a time (about 1.2 GB/s);
    when :func:`ascii_twin` applies, encoding the twin (a ``memcpy``) gives the same bytes three
    times faster.
    """
    twin = ascii_twin(text)
    return twin.encode("ascii") if twin is not None else text.encode("ascii", "replace")


def ascii_twin(text: str) -> str | None:
    """``text`` with each wide ignorable swapped for ``?``, when that leaves it ASCII, else ``None``.

    For ASCII text salted with zero-width characters: ``str.replace`` is a vectorized search and
    a copy that CPython narrows to ASCII once the widest character is gone. A four-byte ``str``
    (``sys.getsizeof`` tells its width in O(1)) holds a character outside the BMP, which no swap
    removes, so it is not tried.
    """
    if text.isascii() or sys.getsizeof(text) > 3 * len(text) + 80:
        return None
    swapped = text
    for ch in _WIDE_SWAP:
        swapped = swapped.replace(ch, "?")
        if swapped.isascii():
            return swapped
    return None


class Haystack:
    """Lazily built representations of ``text`` (see the module docstring).

    ``chars`` are the ignorable characters present, in :data:`~.ignorable.IGNORABLE` order. On a
    non-ASCII ``str`` (two or four bytes per character) the ASCII ones are looked up in
    :meth:`raw`: a NUL search in such a ``str`` is slow (every high byte of an ASCII character is
    zero), in bytes it is a ``memchr``.
    """

    __slots__ = (
        "_blocks",
        "_raw",
        "_twin",
        "_view",
        "_view_bytes",
        "_wide_at",
        "chars",
        "drop",
        "text",
        "wide",
    )

    def __init__(self, text: str) -> None:
        self.text = text
        self._view: str | None = None
        self._view_bytes: bytes | None = None
        self._wide_at: list[int] | None = None
        self._blocks: list[int] | None = None
        self._twin: str | None = None
        if text.isascii():
            self._raw: bytes | None = None
            self.chars = tuple(ch for ch in _ASCII_IGN if ch in text)
            self.wide: tuple[str, ...] = ()
        else:
            twin = self._twin = ascii_twin(text)
            raw = self._raw = twin.encode("ascii") if twin is not None else text.encode("ascii", "replace")
            self.wide = self._find_wide(text, raw)
            self.chars = tuple(ch for ch, b in _ASCII_IGN_BYTES if b in raw) + self.wide
        #: the bytes dropped from raw(), its wide ignorables marked, to give view_bytes(): each
        #: ASCII ignorable present (the first also marks every wide one), or NUL when only wide
        #: ones are present
        self.drop = tuple(ch.encode("ascii") for ch in self.chars if ch.isascii()) or (
            (b"\0",) if self.chars else ()
        )

    def _find_wide(self, text: str, raw: bytes) -> tuple[str, ...]:
        # Mostly-ASCII text: visit the few '?' of the one-byte form (each non-ASCII character is
        # one) and record the wide ignorables among them, positions included. Otherwise one
        # ``in`` per wide ignorable the str can hold (each a full pass over it).
        found: list[int] = []
        i = raw.find(b"?")
        for _ in range(_FEW_MARKS):
            if i < 0:
                self._wide_at = found
                present = {text[j] for j in found}
                return tuple(ch for ch in _WIDE_IGN if ch in present)
            if text[i] in _WIDE_SET:
                found.append(i)
            i = raw.find(b"?", i + 1)
        return tuple(ch for ch in wide_candidates(text) if ch in text)

    def view(self) -> str:
        if self._view is None:
            self._view = normalize(self.text, self.chars) if self.chars else self.text
        return self._view

    def raw(self) -> bytes:
        if self._raw is None:
            self._raw = one_byte(self.text)
        return self._raw

    def view_bytes(self) -> bytes:
        if self._view_bytes is None:
            at = self.wide_at(_FEW_WIDE) if self.wide else []
            if at is None:  # too many wide ignorables to mark one by one
                self._view_bytes = one_byte(self.view())
            elif len(self.text) <= _BLOCK or not self.drop:
                data = self._marked(self.raw(), 0, at)
                for b in self.drop:  # bytes.replace copies between memchr hits: faster than translate
                    data = data.replace(b, b"")
                self._view_bytes = data
            else:
                self._view_bytes = b"".join(self._drop_blocks(at))
        return self._view_bytes

    def _marked(self, part: bytes, lo: int, at: list[int]) -> bytes:
        """``part`` (``raw()[lo:]``, or a piece of it) with each wide ignorable in ``at`` turned
        into ``drop[0]``, so that dropping the :attr:`drop` bytes leaves its view. Only the pieces
        holding one are copied: a copy of the whole one-byte text costs page faults too."""
        i = bisect_left(at, lo)
        if i == len(at) or at[i] >= lo + len(part):
            return part
        marked = bytearray(part)
        mark = self.drop[0][0]
        end = lo + len(part)
        while i < len(at) and at[i] < end:
            marked[at[i] - lo] = mark
            i += 1
        return bytes(marked)

    def _drop_blocks(self, at: list[int]) -> list[bytes]:
        """The view in blocks: :meth:`raw` cut into ``_BLOCK`` bytes, the wide ignorables at
        ``at`` marked and the :attr:`drop` bytes removed from each; records :meth:`block_starts`
        on the way."""
        data = self.raw()
        drop = self.drop
        parts: list[bytes] = []
        starts = [0]
        total = 0
        for i in range(0, len(data), _BLOCK):
            part = self._marked(data[i : i + _BLOCK], i, at) if at else data[i : i + _BLOCK]
            for b in drop:
                part = part.replace(b, b"")
            parts.append(part)
            total += len(part)
            starts.append(total)
        self._blocks = starts
        return parts

    def block_starts(self) -> list[int] | None:
        """View characters before each ``_BLOCK``-sized block of the text (``None`` for a short
        text or one with too many wide ignorables)."""
        if self._blocks is None and len(self.text) > _BLOCK and self.drop:
            at = self.wide_at(_FEW_WIDE) if self.wide else []
            if at is not None:
                self._drop_blocks(at)
        return self._blocks

    def masked(self, spans: list[tuple[int, int, int, str]]) -> str:
        """The text with each span (text offsets, sorted, not overlapping) replaced by its mask.

        Slices of a wide ``str`` are each scanned and narrowed by CPython, then widened again by
        ``join``; when the text has an :func:`ascii_twin`, every piece without a wide ignorable is
        cut from the twin instead (same characters, plain copies).
        """
        text = self.text
        twin = self._twin
        at = self.wide_at(_FEW_WIDE) if twin is not None else None
        pieces: list[str] = []
        pos = 0
        if twin is None or at is None:
            for s, e, _, mask in spans:
                pieces.append(text[pos:s])
                pieces.append(mask)
                pos = e
            pieces.append(text[pos:])
            return "".join(pieces)
        for s, e, _, mask in spans:
            pieces.append(text[pos:s] if bisect_left(at, s) > bisect_left(at, pos) else twin[pos:s])
            pieces.append(mask)
            pos = e
        n = len(text)
        pieces.append(text[pos:] if bisect_left(at, n) > bisect_left(at, pos) else twin[pos:])
        return "".join(pieces)

    def wide_at(self, limit: int | None = None) -> list[int] | None:
        """Sorted positions of the wide ignorable characters (``None`` past ``limit`` of them)."""
        if self._wide_at is None:
            text = self.text
            found: list[int] = []
            for ch in self.wide:
                i = text.find(ch)
                while i >= 0:
                    if limit is not None and len(found) >= limit:
                        return None
                    found.append(i)
                    i = text.find(ch, i + 1)
            found.sort()
            self._wide_at = found
        return self._wide_at


class Locator:
    """Maps view offsets back to offsets in the text.

    One left-to-right sweep that stops at the last offset asked for; on a long text it jumps
    straight to the block holding the next offset (:meth:`Haystack.block_starts`). The view
    characters in a stretch of text are counted as the length of that stretch of
    :meth:`Haystack.raw` with the ASCII ignorables removed (``bytes.replace`` skips between
    ``memchr`` hits, faster than ``bytes.count``, which tests every byte), less the wide
    ignorables in it, found by bisecting their positions. A view offset maps past any
    ignorable run it sits on.
    """

    __slots__ = ("_hay",)

    def __init__(self, hay: Haystack) -> None:
        self._hay = hay

    def spans(self, spans: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
        """``spans`` (view offsets, sorted by start, not overlapping) in text offsets."""
        hay = self._hay
        text = hay.text
        n = len(text)
        raw = hay.raw()
        drop = [ch.encode("ascii") for ch in hay.chars if ch.isascii()]
        single = drop[0] if len(drop) == 1 else None
        wide: list[int] = (hay.wide_at() or []) if hay.wide else []
        last = len(wide)
        skip = frozenset(hay.chars)
        blocks = hay.block_starts()
        o = k = 0  # position in text; view characters in text[:o]
        w = 0  # wide[w] is the first wide ignorable at o or after (once counted up to o)
        out: list[tuple[int, int, int, str]] = []
        for s, e, order, mask in spans:
            mapped = []
            for v in (s, e - 1):
                if blocks is not None:  # jump to the block holding view offset v
                    block = bisect_right(blocks, v) - 1
                    if block * _BLOCK > o:
                        o, k = block * _BLOCK, blocks[block]
                need = v - k
                while need > 0 and o < n:
                    hi = o + need
                    if hi > n:
                        hi = n
                    if single is not None:
                        k += len(raw[o:hi].replace(single, b""))
                    elif drop:
                        part = raw[o:hi]
                        for b in drop:
                            part = part.replace(b, b"")
                        k += len(part)
                    else:
                        k += hi - o
                    if w < last and wide[w] < hi:
                        if wide[w] < o:
                            w = bisect_left(wide, o)
                        j = bisect_left(wide, hi, w)
                        k -= j - w
                        w = j
                    o = hi
                    need = v - k
                while o < n and text[o] in skip:
                    o += 1
                mapped.append(o)
            out.append((mapped[0], mapped[1] + 1, order, mask))
        return out
