"""Span arithmetic of the guard: merging matches, widening them, mapping pattern candidates.

Every function here is pure. A span is ``(start, end, order, mask)``: text (or view) offsets,
an order (lower wins a tie between two members of equal length) and the mask that replaces it.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Iterable, Mapping

from .ignorable import Squeezed
from .prefilter import aho_candidates

__all__ = ["Span", "apply", "is_word", "merge", "shift", "widen_b64", "widen_multiline"]

Span = tuple[int, int, int, str]  # start, end, order (lower wins ties), mask

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_"
# membership for a byte of the byte view
_B64_CHARS = frozenset(_B64.encode())
_PAD = frozenset((ord("="),))
#: that search looks this far (times the value's length, plus 256) around a hit on one line
_MULTILINE_REACH = 3


def widen_b64(view: bytes, s: int, e: int) -> tuple[int, int]:
    """A base64 (or base32) core's match widened by the partial characters at its edges."""
    if s > 0 and view[s - 1] in _B64_CHARS:
        s -= 1
    n = len(view)
    if e < n and view[e] in _B64_CHARS:
        e += 1
    for _ in range(2):
        if e < n and view[e] in _PAD:
            e += 1
    return s, e


def is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def merge(spans: list[Span]) -> list[Span]:
    """Union of overlapping spans; each merged span keeps the mask of its longest member."""
    if len(spans) < 2:
        return spans
    spans.sort(key=lambda s: (s[0], -s[1], s[2]))
    out: list[Span] = [spans[0]]
    best = spans[0][1] - spans[0][0]
    for s, e, order, mask in spans[1:]:
        ps, pe, porder, pmask = out[-1]
        if s < pe:
            length = e - s
            if length > best or (length == best and order < porder):
                pmask, porder, best = mask, order, length
            out[-1] = (ps, max(pe, e), porder, pmask)
        else:
            out.append((s, e, order, mask))
            best = e - s
    return out


def widen_multiline(multiline: Mapping[str, tuple[str, int]], text: str, spans: list[Span]) -> list[Span]:
    """Spans widened to whole multi-line values that were indented or re-wrapped in ``text``.

    The view drops line breaks but keeps spaces and tabs, so a multi-line value re-indented (a
    PEM key in a YAML block) is not one needle in it; each of its lines is (see
    :mod:`.variants`). A hit on a part of such a value starts a search, around the hits, for the
    value with all whitespace and ignorable characters removed, in the text with the same removed;
    each occurrence found is masked whole, indentation included.
    """
    partial: dict[str, list[Span]] = {}
    for span in spans:
        known = multiline.get(span[3])
        if known is not None and span[1] - span[0] < known[1]:  # a whole-value hit is complete
            partial.setdefault(span[3], []).append(span)
    if not partial:
        return spans
    extra: list[Span] = []
    for mask, hits in partial.items():
        solid = multiline[mask][0]
        reach = _MULTILINE_REACH * len(solid) + 256
        hits.sort()
        i = 0
        while i < len(hits):
            # one window per cluster of hits less than ``reach`` apart
            s, e, order, _ = hits[i]
            lo, hi = max(0, s - reach), e + reach
            i += 1
            while i < len(hits) and hits[i][0] <= hi:
                hi = max(hi, hits[i][1] + reach)
                i += 1
            window = Squeezed(text, lo, hi)
            k = window.text.find(solid)
            while k >= 0:
                extra.append((*window.to_view(k, k + len(solid)), order, mask))
                k = window.text.find(solid, k + len(solid))
    return merge(spans + extra) if extra else spans


@functools.lru_cache(maxsize=4096)
def _mask_candidates(mask: str) -> tuple[tuple[int, int], ...]:
    """``(pattern index, offset)`` of every rule literal inside ``mask`` (e.g. ``secret:``)."""
    return tuple((index, at) for index, starts in aho_candidates(mask).items() for at in starts)


def shift(candidates: dict[int, list[int]], spans: list[Span]) -> dict[int, list[int]]:
    """Pattern candidates found in a text, moved to the text with ``spans`` masked.

    Exact because no prefilter match can hold ``[`` or ``]`` (see :mod:`.patterns`): a prefilter
    match in the masked text either lies where the text is unchanged, so the text had it too, or
    lies inside a mask's brackets, so it starts at a rule literal inside the mask. Candidates
    inside a masked span are dropped; every literal inside a mask is added.
    """
    starts = [s for s, _, _, _ in spans]
    shift_after: list[int] = []
    mask_at: list[int] = []
    shift = 0
    for s, e, _, mask in spans:
        mask_at.append(s + shift)
        shift += len(mask) - (e - s)
        shift_after.append(shift)
    moved: dict[int, list[int]] = {}
    for index, found in candidates.items():
        kept = []
        for c in found:
            i = bisect_right(starts, c) - 1
            if i < 0:
                kept.append(c)
            elif c >= spans[i][1]:
                kept.append(c + shift_after[i])
        if kept:
            moved[index] = kept
    for (_, _, _, mask), at in zip(spans, mask_at, strict=True):
        for index, offset in _mask_candidates(mask):
            moved.setdefault(index, []).append(at + offset)
    return moved


def apply(text: str, spans: Iterable[tuple[int, int, str]]) -> str:
    pieces: list[str] = []
    pos = 0
    for s, e, mask in spans:
        pieces.append(text[pos:s])
        pieces.append(mask)
        pos = e
    pieces.append(text[pos:])
    return "".join(pieces)
