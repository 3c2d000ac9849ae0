"""Multi-literal matchers: one compiled *tier* holds a fixed set of needles.

Both engines report every occurrence of every needle (overlapping ones included) as
``(start, end, needle_id)`` in character offsets of the normalized view, so the guard's span
union gives identical output whichever engine ran.

* :class:`AhoTier` (default, ``pyahocorasick``): the automaton indexes a 16-character anchor
  per needle and each anchor hit is verified with ``str.startswith``; that keeps the automaton
  about three times smaller than indexing whole needles, at the same speed.
* :class:`HyperscanTier` (extra ``fast``): a Vectorscan literal database in block mode. ASCII
  views are scanned as bytes whose offsets are character offsets; other views are scanned as
  UTF-8 and the offsets converted back. Each thread gets its own scratch space.

``hyperscan`` is imported only when a hyperscan tier is built.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

__all__ = [
    "ENGINES",
    "AhoTier",
    "HyperscanTier",
    "Tier",
    "hyperscan_available",
    "make_tier",
    "resolve_engine",
]

ENGINES = ("auto", "aho", "hyperscan")
_ANCHOR = 16


class Tier(Protocol):
    """A compiled matcher over a fixed set of needles."""

    def scan(self, view: str, view_bytes: bytes | None, out: list[tuple[int, int, int]]) -> None:
        """Append ``(start, end, needle_id)`` for every occurrence in ``view``.

        ``view_bytes`` is ``view`` encoded as ASCII when ``view`` is ASCII, else ``None``.
        """


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


class AhoTier:
    """pyahocorasick automaton over needle anchors, verified with ``startswith``."""

    __slots__ = ("_automaton", "_needles")

    def __init__(self, needles: Sequence[tuple[int, str]]) -> None:
        import ahocorasick  # type: ignore[import-not-found]

        groups: dict[str, list[int]] = {}
        self._needles = {nid: needle for nid, needle in needles}
        for nid, needle in needles:
            groups.setdefault(needle[:_ANCHOR], []).append(nid)
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for anchor, ids in groups.items():
            automaton.add_word(anchor, (len(anchor), tuple(ids)))
        automaton.make_automaton()
        self._automaton = automaton

    def scan(self, view: str, view_bytes: bytes | None, out: list[tuple[int, int, int]]) -> None:
        needles = self._needles
        for end, (alen, ids) in self._automaton.iter(view):
            start = end - alen + 1
            for nid in ids:
                needle = needles[nid]
                if len(needle) == alen or view.startswith(needle, start):
                    out.append((start, start + len(needle), nid))


class HyperscanTier:
    """Vectorscan literal database; one scratch per thread."""

    __slots__ = ("_db", "_lens", "_local")

    def __init__(self, needles: Sequence[tuple[int, str]]) -> None:
        import hyperscan

        encoded = [needle.encode("utf-8", "surrogatepass") for _, needle in needles]
        self._lens: dict[int, tuple[int, int]] = {
            nid: (len(raw), len(needle)) for (nid, needle), raw in zip(needles, encoded, strict=True)
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
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            import hyperscan

            scratch = hyperscan.Scratch(self._db)
            self._local.scratch = scratch
        return scratch

    def scan(self, view: str, view_bytes: bytes | None, out: list[tuple[int, int, int]]) -> None:
        hits: list[tuple[int, int]] = []

        def on_match(nid: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            hits.append((to, nid))

        lens = self._lens
        if view_bytes is not None:  # ASCII: byte offsets are character offsets
            self._db.scan(view_bytes, match_event_handler=on_match, scratch=self._scratch())
            for to, nid in hits:
                out.append((to - lens[nid][0], to, nid))
            return
        data = view.encode("utf-8", "surrogatepass")
        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch())
        if not hits:
            return
        hits.sort()
        byte_pos = char_pos = 0
        for to, nid in hits:
            char_pos += len(data[byte_pos:to].decode("utf-8", "surrogatepass"))
            byte_pos = to
            out.append((char_pos - lens[nid][1], char_pos, nid))


def make_tier(engine: str, needles: Sequence[tuple[int, str]]) -> Tier:
    """A tier of ``engine`` (``aho`` or ``hyperscan``) over ``(needle_id, needle)`` pairs."""
    if engine == "hyperscan":
        return HyperscanTier(needles)
    return AhoTier(needles)
