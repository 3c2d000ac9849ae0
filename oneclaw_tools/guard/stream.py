"""Scrubbing a text that arrives in chunks (subprocess output, streamed tool results, logs).

``feed`` returns the scrubbed part of the text that can no longer change; it holds back only
the tail a match could still extend into: twice the longest form (counted in normalized
characters with backslash runs collapsed, so a value split by line breaks or NULs, spelled out
with spaces, or JSON-escaped at any depth, is still held whole), room for the pattern detectors, any match that reaches into that tail, and a base64 or
hex run reaching it (compressed data inflates only whole). ``flush`` scrubs and returns the rest.
For known values the concatenated output equals ``guard.scrub`` of the whole text.

One scrubber serves one stream; it is not meant to be fed from several threads at once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .haystack import Haystack
from .ignorable import IGNORABLE, normalize
from .variants import collapse_backslashes

if TYPE_CHECKING:
    from .guard import Guard

__all__ = ["StreamScrubber"]

#: characters held back for the pattern detectors (longest token rule is well below this)
PATTERN_HOLD = 512
#: a match that started this long ago is emitted (masked) even if it may still grow
MAX_HOLD = 1 << 20
_RUN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_RUN_END = re.compile("[A-Za-z0-9+/=_" + re.escape(IGNORABLE) + "-]+$")


class StreamScrubber:
    """Chunks in, scrubbed chunks out."""

    __slots__ = ("_before", "_guard", "_pending")

    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        self._pending = ""
        self._before = ""

    def __repr__(self) -> str:
        return f"StreamScrubber(pending={len(self._pending)})"

    def _cut(self, buf: str) -> int:
        guard = self._guard
        st = guard._state
        hold = max(st.max_short + 1, PATTERN_HOLD if guard.patterns else 0, 1)
        view_hold = 2 * st.max_needle + 2  # a spaced-out value is twice its length
        if len(buf) <= hold:
            return 0
        h = hold
        # deep JSON escapes grow without bound in raw characters but not in the collapsed view
        while h < len(buf) and len(collapse_backslashes(normalize(buf[-h:]))) < view_hold:
            h = min(len(buf), h * 2)
        cut = len(buf) - h
        if cut <= 0:
            return 0
        # never cut a base64 or hex run: it may be compressed data that only inflates whole
        if buf[cut] in _RUN_CHARS:
            m = _RUN_END.search(buf, max(0, len(buf) - MAX_HOLD), cut)
            if m is not None and m.group().strip(IGNORABLE):  # ignorable characters join runs
                cut = m.start()
        intervals = [(s, e) for s, e, _, _ in guard._value_spans(Haystack(buf), self._before)]
        if guard.patterns:
            intervals.extend((f.start, f.end) for f in guard._detect(buf, self._before))
        for s, e in sorted(intervals, reverse=True):
            if s < cut < e and len(buf) - s <= MAX_HOLD:
                cut = s
        return cut

    def feed(self, chunk: str) -> str:
        """Add ``chunk``; return the scrubbed text that is now final (possibly empty)."""
        if not isinstance(chunk, str):
            raise TypeError("StreamScrubber.feed takes a str")
        buf = self._pending + chunk
        cut = self._cut(buf)
        if cut <= 0:
            self._pending = buf
            return ""
        out = self._guard._scrub(buf[:cut], self._before, buf[cut])
        self._before = buf[cut - 1]
        self._pending = buf[cut:]
        return out

    def flush(self) -> str:
        """Scrub and return everything still held back."""
        buf, self._pending = self._pending, ""
        if not buf:
            return ""
        out = self._guard._scrub(buf, self._before, "")
        self._before = buf[-1]
        return out
