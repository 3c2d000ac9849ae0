"""Multi-literal matchers: one compiled *tier* holds a fixed set of needles.

Both engines report every occurrence of every needle (overlapping ones included) as
``(start, end, needle_id)`` in character offsets of the normalized view, so the guard's span
union gives identical output whichever engine ran.

* :class:`AhoTier` (default, ``pyahocorasick``): the automaton indexes one short *anchor* per
  needle, a slice of it, and each anchor hit is verified with ``str.startswith``. pyahocorasick
  finds a node's child by a linear search, so its speed is set by how many children the root has
  (about 0.3 ns per root child per character of text): anchors are chosen by :func:`anchors` to
  start with as few distinct characters as possible, preferring characters rare in ordinary text.
  With 70,000 needles that is about 30 root children instead of 80, and about twice the speed.
* :class:`HyperscanTier` (extra ``fast``): a Vectorscan literal database in block mode over the
  view as one byte per character (:mod:`.haystack`); needles holding a non-ASCII character or
  ``?`` are verified against the ``str`` view. Each thread gets its own scratch space.

``hyperscan`` is imported only when a hyperscan tier is built.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from .haystack import Haystack, one_byte

__all__ = [
    "ENGINES",
    "AhoTier",
    "HyperscanTier",
    "Tier",
    "anchors",
    "hyperscan_available",
    "make_tier",
    "resolve_engine",
]

ENGINES = ("auto", "aho", "hyperscan")
#: anchor length: at most _ANCHOR characters, at least _ANCHOR_MIN (the needle's own length if shorter)
_ANCHOR = 8
_ANCHOR_MIN = 6
#: characters of ordinary text (prose, logs, JSON), most frequent first: poor anchor starts
_COMMON = ' etaoinsrhldcumfpgwybv,."\n\t:_-/=0123456789kxjqz{}[]()'
_RARITY = {ch: i for i, ch in enumerate(_COMMON)}
#: the most frequent ones are used as an anchor start only when a needle has nothing else
_AVOID = frozenset(_COMMON[:16])


def thread_scratch(local: threading.local, db: Any) -> Any:
    """This thread's hyperscan scratch for ``db`` (a scratch must not be shared between threads)."""
    scratch = getattr(local, "scratch", None)
    if scratch is None:
        import hyperscan

        scratch = hyperscan.Scratch(db)
        local.scratch = scratch
    return scratch


class Tier(Protocol):
    """A compiled matcher over a fixed set of needles."""

    def scan(self, hay: Haystack, out: list[tuple[int, int, int]]) -> None:
        """Append ``(start, end, needle_id)`` for every occurrence in ``hay``'s view."""


def hyperscan_available() -> bool:
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_engine(engine: str) -> str:
    """``auto`` becomes ``hyperscan`` when the extra is installed, else ``aho``."""
    if engine not in ENGINES:
        raise ValueError(f"unknown guard engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "hyperscan" if hyperscan_available() else "aho"
    if engine == "hyperscan" and not hyperscan_available():
        raise ImportError('the hyperscan engine needs the extra: pip install "oneclaw-tools[fast]"')
    return engine


def _rarity(ch: str) -> int:
    return _RARITY.get(ch, len(_COMMON))


def anchors(words: Sequence[str], longest: int = _ANCHOR, shortest: int = _ANCHOR_MIN) -> list[int]:
    """An anchor offset per word: ``word[o:o + longest]`` (at least ``shortest`` long) is indexed.

    A greedy set cover picks few first characters that, between them, start an anchor in every
    word, skipping the commonest text characters while any other choice exists; each word then
    takes the offset whose first character was picked earliest, then whose second is rarest.
    """
    starts = [frozenset(w[: max(1, len(w) - shortest + 1)]) for w in words]
    picked: dict[str, int] = {}
    for avoid in (_AVOID, frozenset[str]()):
        counts: dict[str, int] = {}
        holders: dict[str, list[int]] = {}
        todo = [i for i, s in enumerate(starts) if picked.keys().isdisjoint(s)]
        for i in todo:
            for ch in starts[i]:
                if ch not in avoid:
                    counts[ch] = counts.get(ch, 0) + 1
                    holders.setdefault(ch, []).append(i)
        covered: set[int] = set()
        while counts:
            ch = max(counts, key=lambda c: (counts[c], _rarity(c)))
            if counts[ch] <= 0:
                break
            picked[ch] = len(picked)
            for i in holders[ch]:
                if i not in covered:
                    covered.add(i)
                    for other in starts[i]:
                        if other in counts:
                            counts[other] -= 1
            del counts[ch]
    offsets: list[int] = []
    last = len(picked)
    for w, first in zip(words, starts, strict=True):
        ch = min(first, key=lambda c: picked.get(c, last))
        end = max(1, len(w) - shortest + 1)
        best, best_key = 0, 1
        o = w.find(ch, 0, end)
        while o >= 0:
            key = -_rarity(w[o + 1]) if o + 1 < len(w) else 0
            if key < best_key:
                best, best_key = o, key
            o = w.find(ch, o + 1, end)
        offsets.append(best)
    return offsets


class AhoTier:
    """pyahocorasick automaton over needle anchors, verified with ``startswith``."""

    __slots__ = ("_automaton",)

    def __init__(self, needles: Sequence[tuple[int, str]]) -> None:
        import ahocorasick  # type: ignore[import-not-found]

        words = [needle for _, needle in needles]
        groups: dict[str, list[tuple[str, int, int]]] = {}
        for (nid, needle), off in zip(needles, anchors(words), strict=True):
            anchor = needle[off : off + _ANCHOR]
            groups.setdefault(anchor, []).append((needle, nid, len(anchor) - 1 + off))
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        # a node's children are searched in insertion order: put the commoner text characters first
        for anchor in sorted(groups, key=lambda a: _rarity(a[0])):
            automaton.add_word(anchor, tuple(groups[anchor]))
        automaton.make_automaton()
        self._automaton = automaton

    def scan(self, hay: Haystack, out: list[tuple[int, int, int]]) -> None:
        view = hay.view()
        for end, entries in self._automaton.iter(view):
            for needle, nid, back in entries:
                start = end - back
                if start >= 0 and view.startswith(needle, start):
                    out.append((start, start + len(needle), nid))


class HyperscanTier:
    """Vectorscan literal database over one byte per character; one scratch per thread."""

    __slots__ = ("_db", "_lens", "_local", "_verify")

    def __init__(self, needles: Sequence[tuple[int, str]]) -> None:
        import hyperscan

        encoded = [one_byte(needle) for _, needle in needles]
        self._lens = {nid: len(needle) for nid, needle in needles}
        # '?' stands for any non-ASCII character in the scanned bytes: such hits are checked
        self._verify = {
            nid: needle for (nid, needle), raw in zip(needles, encoded, strict=True) if b"?" in raw
        }
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(
            expressions=encoded,
            ids=[nid for nid, _ in needles],
            elements=len(encoded),
            flags=0,
            literal=True,
        )
        self._db = db
        self._local = threading.local()

    def _scratch(self) -> Any:
        return thread_scratch(self._local, self._db)

    def scan(self, hay: Haystack, out: list[tuple[int, int, int]]) -> None:
        hits: list[tuple[int, int]] = []

        def on_match(nid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            hits.append((to, nid))

        self._db.scan(hay.view_bytes(), match_event_handler=on_match, scratch=self._scratch())
        if not hits:
            return
        lens, verify = self._lens, self._verify
        for to, nid in hits:
            start = to - lens[nid]
            needle = verify.get(nid)
            if needle is None or hay.view().startswith(needle, start):
                out.append((start, to, nid))


def make_tier(engine: str, needles: Sequence[tuple[int, str]]) -> Tier:
    """A tier of ``engine`` (``aho`` or ``hyperscan``) over ``(needle_id, needle)`` pairs."""
    if engine == "hyperscan":
        return HyperscanTier(needles)
    return AhoTier(needles)
