"""One text being scanned, with the representations the engines need, each built at most once.

* :meth:`Haystack.view` is the normalized view (a ``str`` without the :data:`~.variants.IGNORABLE`
  characters) that needles are matched in; it is the text itself when nothing is ignorable.
* :meth:`Haystack.raw` is the text as bytes with **one byte per character**: ASCII as is, every
  other character as ``?``. Byte offsets are therefore character offsets, so byte engines need no
  UTF-8 offset mapping; a needle with a non-ASCII character (or a ``?``) is encoded the same way
  and verified against the ``str`` when it hits. Encoding a mostly-ASCII text this way costs about
  as much as a copy; ``bytes.translate`` and ``bytes.lower`` then run at memory speed.
* :meth:`Haystack.view_bytes` is the view in that byte form, built from :meth:`raw` with one
  ``bytes.translate`` when only NUL and line breaks are ignorable (the common case), so the
  ``str`` view is never built for a byte engine.
"""

from __future__ import annotations

from bisect import bisect_left

from .variants import IGNORABLE, normalize

__all__ = ["Haystack", "Locator", "one_byte"]

_ASCII_IGN = tuple(ch for ch in IGNORABLE if ch.isascii())
_WIDE_IGN = tuple(ch for ch in IGNORABLE if not ch.isascii())
_ASCII_IGN_BYTES = tuple((ch, ch.encode("ascii")) for ch in _ASCII_IGN)
_DROP_EACH = tuple(ch.encode("ascii") for ch in _ASCII_IGN)
#: above this many wide ignorable characters, the byte view is built from the str view
_FEW_WIDE = 4096


def one_byte(text: str) -> bytes:
    """``text`` with one byte per character: ASCII unchanged, anything else ``?``."""
    return text.encode("ascii", "replace")


class Haystack:
    """Lazily built representations of ``text`` (see the module docstring).

    ``chars`` are the ignorable characters present, in :data:`~.variants.IGNORABLE` order. On a
    non-ASCII ``str`` (two or four bytes per character) the ASCII ones are looked up in
    :meth:`raw`: a NUL search in such a ``str`` is slow (every high byte of an ASCII character is
    zero), in bytes it is a ``memchr``.
    """

    __slots__ = ("_raw", "_view", "_view_bytes", "_wide_at", "chars", "text", "wide")

    def __init__(self, text: str) -> None:
        self.text = text
        self._view: str | None = None
        self._view_bytes: bytes | None = None
        self._wide_at: list[int] | None = None
        if text.isascii():
            self._raw: bytes | None = None
            self.chars = tuple(ch for ch in _ASCII_IGN if ch in text)
            self.wide: tuple[str, ...] = ()
        else:
            raw = self._raw = one_byte(text)
            self.wide = tuple(ch for ch in _WIDE_IGN if ch in text)
            self.chars = tuple(ch for ch, b in _ASCII_IGN_BYTES if b in raw) + self.wide

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
            if not self.chars:
                self._view_bytes = self.raw()
            elif not self.wide:
                data = self.raw()
                for ch in self.chars:  # bytes.replace copies between memchr hits: faster than translate
                    data = data.replace(ch.encode("ascii"), b"")
                self._view_bytes = data
            else:
                self._view_bytes = self._view_bytes_wide()
        return self._view_bytes

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

    def _view_bytes_wide(self) -> bytes:
        at = self.wide_at(_FEW_WIDE)
        if at is None:
            return one_byte(self.view())
        marked = bytearray(self.raw())
        for i in at:  # blank each wide ignorable to NUL, dropped below with the ASCII ones
            marked[i] = 0
        for b in _DROP_EACH:
            if b == b"\0" or b.decode("ascii") in self.chars:
                marked = marked.replace(b, b"")
        return bytes(marked)


class Locator:
    """Maps increasing view offsets back to offsets in the text (a span start, then its last character).

    Ignorable characters are counted in the one-byte form (``bytes.count``) and, for the wide
    ones, by bisecting their positions; a view offset maps past any ignorable run it sits on.
    """

    __slots__ = ("_counts", "_k", "_n", "_o", "_raw", "_skip", "_text", "_wide")

    def __init__(self, hay: Haystack) -> None:
        self._text = hay.text
        self._n = len(hay.text)
        self._raw = hay.raw()
        self._counts = tuple(ch.encode("ascii") for ch in hay.chars if ch.isascii())
        self._wide = hay.wide_at() if hay.wide else None
        self._skip = frozenset(hay.chars)
        self._o = 0  # position in text
        self._k = 0  # view characters in text[:_o]

    def __call__(self, v: int) -> int:
        o, k, n, raw, wide = self._o, self._k, self._n, self._raw, self._wide
        need = v - k
        while need > 0 and o < n:
            hi = min(o + need, n)
            dropped = 0
            for b in self._counts:
                dropped += raw.count(b, o, hi)
            if wide:
                dropped += bisect_left(wide, hi) - bisect_left(wide, o)
            k += hi - o - dropped
            o = hi
            need = v - k
        text, skip = self._text, self._skip
        while o < n and text[o] in skip:
            o += 1
        self._o, self._k = o, k
        return o
