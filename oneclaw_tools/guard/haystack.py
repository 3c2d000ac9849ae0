"""One text being scanned, with the representations the engines need, each built at most once.

* :meth:`Haystack.view` is the normalized view (a ``str`` without the :data:`~.variants.IGNORABLE`
  characters) that needles are matched in; it is the text itself when nothing is ignorable.
* :meth:`Haystack.raw` is the text as bytes with **one byte per character**: ASCII as is, every
  other character as ``?``. Byte offsets are therefore character offsets, so byte engines need no
  UTF-8 offset mapping; a needle with a non-ASCII character (or a ``?``) is encoded the same way
  and verified against the ``str`` when it hits. For an ASCII ``str`` this is a copy; for a wider
  one it runs at about 1 GB/s, the largest fixed cost of a byte engine on such text.
* :meth:`Haystack.view_bytes` is the view in that byte form, built from :meth:`raw` with
  ``bytes.replace`` (``memchr`` and ``memcpy``, several times faster than ``bytes.translate``
  or ``str.replace``), so the ``str`` view is never built for a byte engine.
* :class:`Locator` maps spans found in the view back to the text.
"""

from __future__ import annotations

from bisect import bisect_left

from .variants import IGNORABLE, normalize

__all__ = ["Haystack", "Locator", "one_byte"]

_ASCII_IGN = tuple(ch for ch in IGNORABLE if ch.isascii())
_WIDE_IGN = tuple(ch for ch in IGNORABLE if not ch.isascii())
_WIDE_SET = frozenset(_WIDE_IGN)
_ASCII_IGN_BYTES = tuple((ch, ch.encode("ascii")) for ch in _ASCII_IGN)
#: a mostly-ASCII text has at most this many '?' in its one-byte form (see Haystack._find_wide)
_FEW_MARKS = 64
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
            self.wide = self._find_wide(text, raw)
            self.chars = tuple(ch for ch, b in _ASCII_IGN_BYTES if b in raw) + self.wide

    def _find_wide(self, text: str, raw: bytes) -> tuple[str, ...]:
        # Mostly-ASCII text: visit the few '?' of the one-byte form (each non-ASCII character is
        # one) and record the wide ignorables among them, positions included. Otherwise one
        # ``in`` per wide ignorable (each a full pass over the str).
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
        return tuple(ch for ch in _WIDE_IGN if ch in text)

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
        drop = [ch.encode("ascii") for ch in self.chars if ch.isascii()] or [b"\0"]
        marked = bytearray(self.raw())
        mark = drop[0][0]
        for i in at:  # turn each wide ignorable into an ASCII one, dropped with them below
            marked[i] = mark
        for b in drop:
            marked = marked.replace(b, b"")
        return bytes(marked)


class Locator:
    """Maps view offsets back to offsets in the text.

    Ignorable characters are counted in the one-byte form (``bytes.count``) and, for the wide
    ones, by bisecting their positions, in one left-to-right sweep that stops at the last offset
    asked for; a view offset maps past any ignorable run it sits on.
    """

    __slots__ = ("_hay",)

    def __init__(self, hay: Haystack) -> None:
        self._hay = hay

    def spans(self, spans: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
        """``spans`` (view offsets, sorted by start, not overlapping) in text offsets."""
        hay = self._hay
        text, raw = hay.text, hay.raw()
        n = len(text)
        counts = [ch.encode("ascii") for ch in hay.chars if ch.isascii()]
        single = counts[0] if len(counts) == 1 else None
        wide = hay.wide_at() if hay.wide else None
        skip = frozenset(hay.chars)
        o = k = 0  # position in text; view characters in text[:o]
        out: list[tuple[int, int, int, str]] = []
        for s, e, order, mask in spans:
            mapped = []
            for v in (s, e - 1):
                need = v - k
                while need > 0 and o < n:
                    hi = o + need
                    if hi > n:
                        hi = n
                    if single is not None:
                        dropped = raw.count(single, o, hi)
                    else:
                        dropped = 0
                        for b in counts:
                            dropped += raw.count(b, o, hi)
                    if wide:
                        dropped += bisect_left(wide, hi) - bisect_left(wide, o)
                    k += hi - o - dropped
                    o = hi
                    need = v - k
                while o < n and text[o] in skip:
                    o += 1
                mapped.append(o)
            out.append((mapped[0], mapped[1] + 1, order, mask))
        return out
