"""The one path-glob matcher: policies, host bindings, the server's access policies and the CLI.

1Claw's globs: ``*`` matches any run of characters inside one path segment, ``**`` (a whole
segment) matches zero or more segments. The matcher never builds a regular expression and
never backtracks, so no pattern can stall it: ``*a*a*a*a*a*a*a*a*a*a*a*a*a*b`` (which took a
backtracking regex seconds, and minutes with a few more stars) costs what a plain one costs.

How: the pattern compiles once (cached) to a bit-parallel automaton (Shift-And, as in agrep),
one bit per pattern symbol; the path is read once, segment by segment and character by
character, and every reachable position of the pattern advances together in a handful of
integer operations per character. ``*`` is a position that loops on any character but ``/``;
``**`` is a position that loops on every character, reached or skipped together with its
``/``, so ``a/**/b`` is ``a/`` then optionally (anything then ``/``) then ``b``. Consecutive
``**`` segments collapse into one. The work is linear in the path's length whatever the
pattern (each step costs a few operations on integers as wide as the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["glob_match"]


@dataclass(frozen=True, slots=True)
class _Automaton:
    chars: dict[str, int]  # character -> positions that consume exactly it (plus wildcards)
    other: int  # positions that consume a character absent from the pattern (wildcards)
    slash: int  # positions that consume '/'
    star: int  # '*' positions: entered without input, loop on any character but '/'
    deep: int  # '**' positions: entered without input, loop on every character
    skip: int  # positions from which a '**' and its '/' may be skipped (two symbols)
    final: int
    start: int


def _closure(a: _Automaton, d: int) -> int:
    while True:
        new = d | ((d << 1) & (a.star | a.deep)) | ((d & a.skip) << 2)
        if new == d:
            return d
        d = new


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> _Automaton:
    segments: list[str] = []
    for seg in pattern.split("/"):
        if not (seg == "**" and segments and segments[-1] == "**"):
            segments.append(seg)
    symbols: list[str] = []  # one entry per position: a character, "*" or "**"
    skip_from: list[int] = []  # positions (symbols consumed so far) where a skip may start
    accept_early: int | None = None
    last = len(segments) - 1
    for i, seg in enumerate(segments):
        if seg == "**":
            if i == last:  # trailing "/**": accepting before the '/' skips it and the '**'
                if i > 0:
                    accept_early = len(symbols) - 1  # before the '/' added after the last segment
                symbols.append("**")
            else:  # leading "**/" or middle "/**/": skip the '**' and its '/'
                skip_from.append(len(symbols))
                symbols.extend(("**", "/"))
            continue
        symbols.extend("*" if ch == "*" else ch for ch in seg)
        if i != last:
            symbols.append("/")
    chars: dict[str, int] = {}
    star = deep = slash = 0
    for pos, sym in enumerate(symbols, start=1):
        bit = 1 << pos
        if sym == "*":
            star |= bit
        elif sym == "**":
            deep |= bit
        elif sym == "/":
            slash |= bit
        else:
            chars[sym] = chars.get(sym, 0) | bit
    other = star | deep
    table = {ch: bits | other for ch, bits in chars.items()}
    skip = 0
    for pos in skip_from:
        skip |= 1 << pos
    final = 1 << len(symbols)
    if accept_early is not None:
        final |= 1 << accept_early
    return _Automaton(table, other, slash | deep, star, deep, skip, final, 1)


def glob_match(pattern: str, path: str) -> bool:
    """Does ``path`` match the glob ``pattern`` (``*`` within a segment, ``**`` any depth)?"""
    a = _compile(pattern)
    chars, other, slash, deep, loops = a.chars, a.other, a.slash, a.deep, a.star | a.deep
    entries = (loops >> 1) | a.skip  # a state here may move on without input
    d = _closure(a, a.start)
    for ch in path:
        if ch == "/":
            d = ((d << 1) & slash) | (d & deep)
        else:
            d = ((d << 1) & chars.get(ch, other)) | (d & loops)
        if not d:
            return False
        if d & entries:
            d = _closure(a, d)
    return bool(d & a.final)
