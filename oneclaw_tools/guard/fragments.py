"""Confirming anchor hits: a long value's forms are found by short anchors (see :mod:`.variants`).

An engine reports where an anchor (a piece of ``P`` characters taken from a form at offset ``o``)
occurs in the view. :func:`confirm` extends each hit along the form, left and right, for as long
as the view agrees with the form, and keeps the stretch when it is the whole form or at least
the form's ``run`` characters (24 value characters in that form). The stretch, not the anchor,
is masked: a truncated copy, a value with one character changed, or a whole value all end up
masked exactly, with no fragment of the agreeing text left beside the mask.

Cost is linear in the text: the extension compares slices (``memcmp``) in blocks that double in
size, then narrows the last block down; hits are visited in order of their start, and a hit
that lies inside a stretch already confirmed for the same form is skipped, so a repetitive value
in a repetitive text (``'y' * 200_000`` in itself: an anchor hit at every position) is extended
once. An anchor keeps every form it was taken from, and at most :data:`MAX_ENTRIES` places in
each (the first and the latest registered: a repetitive value has one anchor at thousands).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import AnyStr

from .variants import Form

__all__ = ["MAX_ENTRIES", "Entry", "confirm", "extend_left", "extend_right"]

#: at most this many (form, offset) places are kept for one anchor
MAX_ENTRIES = 2
#: ``(form_id, offset)``: where an anchor was taken from
Entry = tuple[int, int]
_FIRST_BLOCK = 16


def extend_right(view: AnyStr, at: int, form: AnyStr, off: int, limit: int) -> int:
    """How many characters from ``view[at]`` on equal those from ``form[off]`` (at most ``limit``)."""
    limit = min(limit, len(view) - at, len(form) - off)
    done = 0
    block = _FIRST_BLOCK
    while done < limit:
        n = min(block, limit - done)
        a = at + done
        b = off + done
        if view[a : a + n] == form[b : b + n]:
            done += n
            block *= 2
        elif n <= _FIRST_BLOCK:
            for i in range(n):
                if view[a + i] != form[b + i]:
                    return done + i
            return done + n  # pragma: no cover - the slices differed
        else:
            block = _FIRST_BLOCK
    return done


def extend_left(view: AnyStr, at: int, form: AnyStr, off: int, limit: int) -> int:
    """How many characters before ``view[at]`` equal those before ``form[off]`` (at most ``limit``)."""
    limit = min(limit, at, off)
    done = 0
    block = _FIRST_BLOCK
    while done < limit:
        n = min(block, limit - done)
        a = at - done
        b = off - done
        if view[a - n : a] == form[b - n : b]:
            done += n
            block *= 2
        elif n <= _FIRST_BLOCK:
            for i in range(1, n + 1):
                if view[a - i] != form[b - i]:
                    return done + i - 1
            return done + n  # pragma: no cover - the slices differed
        else:
            block = _FIRST_BLOCK
    return done


def confirm(
    view: Callable[[], str],
    view_bytes: bytes,
    hits: list[tuple[int, int, int]],
    entries: Sequence[tuple[Entry, ...] | None],
    forms: Sequence[Form],
    raws: Sequence[bytes | None],
) -> list[tuple[int, int, int]]:
    """The stretches ``(start, end, form_id)`` of the view that anchor ``hits`` confirm.

    ``hits`` are ``(start, end, needle_id)`` in the view; ``entries[needle_id]`` are the places
    the anchor stands for. A form with a one-byte twin (``raws[form_id]``) is compared with
    ``view_bytes``, any other with the ``str`` view (``view()``, built on first need).
    """
    hits.sort()
    covered: dict[int, int] = {}  # form id -> end of the last stretch confirmed for it
    out: list[tuple[int, int, int]] = []
    text_view: str | None = None
    for s, e, nid in hits:
        places = entries[nid]
        if places is None:  # pragma: no cover - only anchors are passed in
            continue
        for fid, off in places:
            if covered.get(fid, -1) >= e:
                continue
            form = forms[fid]
            raw = raws[fid]
            anchor_end = off + (e - s)
            size = len(form.text)
            if raw is not None:
                left = extend_left(view_bytes, s, raw, off, off)
                right = extend_right(view_bytes, e, raw, anchor_end, size - anchor_end)
            else:
                if text_view is None:
                    text_view = view()
                left = extend_left(text_view, s, form.text, off, off)
                right = extend_right(text_view, e, form.text, anchor_end, size - anchor_end)
            start, end = s - left, e + right
            if end - start >= form.run:
                out.append((start, end, fid))
                if end > covered.get(fid, -1):
                    covered[fid] = end
    return out
