"""Where a form's anchors sit (see :mod:`.variants` for what forms and anchors are).

Contract. :func:`anchors` gives the offsets of a :class:`~.variants.Form`'s anchors, each
``form.anchor`` characters long: for a whole form (:func:`~.variants.whole_forms`) one offset;
for a longer one, offsets at most ``form.step`` apart, the first within ``step`` of the start
and the last within ``anchor + step - 1`` of the end, so every run of ``anchor + step - 1``
characters of the form holds a whole anchor. When the first or last chosen anchor also occurs
elsewhere in its form, offset 0 or the last offset is added, so a whole occurrence of a
repetitive value is masked from its first character to its last (an anchor keeps only a few of
its places, see :mod:`.fragments`). A form with ``line_ends`` (a large multi-line value's
raw form) also has an anchor at the end of each of those lines. The offsets depend on the form
alone.

Why the choice. Vectorscan's literal matcher (FDR) tests every position of a text against a
hash of the last characters of its literals; where a text's characters end some literal, it
compares the rest. So among the places a gap allows (the last :data:`CHOICE`), each anchor is
put where its last three characters are rarest in ordinary text (:func:`end_rarity`: letters
next to digits and capitals in a row are rare in prose, logs and JSON; words, numbers and
spaces are common). With 10,000 values, a 1 MB mix of prose, logs and JSON is scanned about a
third faster than with anchors at fixed places. The choice costs registration a few
microseconds per anchor.
"""

from __future__ import annotations

from collections.abc import Iterator

from .variants import Form

__all__ = ["CHOICE", "anchors", "end_rarity"]


#: an anchor's place is chosen among at most this many (see anchors)
CHOICE = 13
#: per byte: 0 other, 1 lower-case letter, 2 upper-case letter, 3 digit
_CLASS = bytes(
    (1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 0) if ch.isascii() else 0
    for ch in map(chr, range(256))
)
#: how rare two characters in a row are in ordinary text, by their classes (other, lower, upper,
#: digit): words and numbers are common, letters next to digits and capitals in a row are rare
_PAIR = (1, 1, 1, 1, 1, 1, 5, 4, 1, 2, 5, 5, 1, 4, 5, 1)
#: how rare one character is in ordinary text (prose, code, JSON, logs), 1 (``e``, space,
#: quotes) to 9 (``^``, ``~``, a non-ASCII character)
_RARE = dict.fromkeys(b"^&$~!?<>@\\;|#`'*", 9) | dict.fromkeys(b"QJZX", 8)
_RARE |= dict.fromkeys(b"ABCDEFGHIKLMNOPRSTUVWY", 7) | dict.fromkeys(b"qzjx", 6) | dict.fromkeys(b"kvwy", 5)
_RARE |= dict.fromkeys(b"+/%={}[]()", 4) | dict.fromkeys(b"0123456789", 2)
_RARE |= dict.fromkeys(b'etaoinsr ":,.-_', 1)
_UNI = bytes(_RARE.get(c, 3) for c in range(256))
#: ``10 * pair(x, y) + rare(x)`` for the two bytes ``x, y`` at ``x << 8 | y`` (see end_rarity)
_PAIRS = bytes(10 * _PAIR[_CLASS[x] * 4 + _CLASS[y]] + _UNI[x] for x in range(256) for y in range(256))


def anchors(form: Form) -> Iterator[int]:
    """The offsets of ``form``'s anchors, each placed where its end is rare in ordinary text.

    A whole form (see :func:`~.variants.whole_forms`) has one anchor, the window with the rarest end. A
    longer form has anchors at most ``step`` characters apart, the first within ``step`` of its
    start and the last within ``anchor + step - 1`` of its end, so every run of that many
    characters holds a whole one; each is the rarest-ended of the last :data:`CHOICE` places
    its gap allows (see :func:`end_rarity`).
    """
    text = form.text
    size = form.anchor
    last = len(text) - size
    raw = text.encode("ascii", "replace")
    if form.step > len(text):  # a whole form: the rarest end, the first of equals
        scores = _rarities(raw, size - 3, last + size)
        yield scores.index(max(scores))
        return
    step = form.step
    need = len(text) - (size + step - 1)  # the last anchor starts at or after this
    chosen: list[int] = []
    at = -1
    while not chosen or (at < need and at < last):
        hi = min(at + step, last)
        lo = min(max(at + 1, hi - CHOICE + 1), hi)
        scores = _rarities(raw, lo + size - 3, hi + size)  # the rarest end, the last of equals
        best = max(scores)
        at = hi - scores[::-1].index(best)
        chosen.append(at)
    if form.line_ends:  # each long line of the value ends with an anchor of its own
        chosen = sorted(set(chosen).union(end - size for end in form.line_ends))
    # a hit on an anchor that occurs more than once in the form may be extended from the wrong
    # place (an anchor keeps few places, see .fragments): the form's very ends are then anchors
    # too, so a whole occurrence is always masked from its first character to its last
    first, final = chosen[0], chosen[-1]
    if first and _repeats(raw, first, size):
        yield 0
    yield from chosen
    if final != last and _repeats(raw, final, size):
        yield last


def _repeats(raw: bytes, at: int, size: int) -> bool:
    """Does the piece ``raw[at : at + size]`` occur elsewhere in ``raw``?"""
    piece = raw[at : at + size]
    return raw.find(piece) != at or raw.find(piece, at + 1) >= 0


def end_rarity(raw: bytes, end: int) -> int:
    """How rare the last three characters of ``raw[:end]`` are in ordinary text (higher: rarer):
    ``10 * (pair(x, y) + pair(y, z)) + rare(x) + rare(y) + rare(z)``, by the characters' classes
    (``_PAIR``) and their own rarity (``_UNI``)."""
    x, y, z = raw[end - 3], raw[end - 2], raw[end - 1]
    return _PAIRS[x << 8 | y] + _PAIRS[y << 8 | z] + _UNI[z]


def _rarities(raw: bytes, lo: int, hi: int) -> list[int]:
    """``end_rarity(raw, end)`` for each ``end`` from ``lo + 3`` to ``hi`` (one slice, no call
    per place: a 1 MiB value has about 70,000 places to weigh)."""
    part = raw[lo:hi]
    pairs, uni = _PAIRS, _UNI
    ends = zip(part, part[1:], part[2:], strict=False)  # the windows of three, the last ends at hi
    return [pairs[x << 8 | y] + pairs[y << 8 | z] + uni[z] for x, y, z in ends]
