"""The :class:`Guard`: a registry of known values, one scan for all their forms, patterns.

How a text is scrubbed:

1. The text is wrapped in a :class:`~.haystack.Haystack`, which builds, only when needed, the
   normalized *view* without line breaks, NUL and Unicode format characters (see
   :mod:`.variants`), as one byte per character; every tier of the engine reports every needle
   occurrence in it.
2. A value shorter than 32 characters is a set of whole needles (one per form); a longer one is
   a set of short *anchors*, and each anchor hit is extended along its form in Python
   (:mod:`.fragments`): no engine limit on a needle's length reaches the user, registration is
   linear in the value's length, and any run of 24 characters of the value is masked.
3. A cheap trigger pass says whether the text may hold a spaced-out value, a deeply escaped
   JSON string or compressed data; those are scanned in a derived text (:mod:`.derived`) whose
   matches are mapped back.
4. Base64 cores are widened by their partial edge characters; the union of all overlapping
   matches is taken, each merged span labelled with its longest member (no fragment of a
   longer value survives next to a shorter one); spans are mapped back to the original text in
   one sweep, only when the view differs from it (:mod:`.spans`). A hit on one line of a
   multi-line value widens to the whole value when it is there re-indented.
5. Values too short to mask safely are matched raw, only where no letter, digit or ``_`` touches
   them, and the operator is warned once per value (never with the value).
6. Pattern detectors run on the already-masked text, so a known value keeps its precise mask;
   the engine's prefilter (:mod:`.prefilter`) says where each rule's regex can match, and the
   regex runs only there.
7. Nothing matched: the input object itself is returned.

Registration either learns a value completely or not at all: when an engine refuses the
needles, the registry is rolled back and ``register`` raises ``ValueError`` (without the value),
so the session refuses to store what its guard could not learn.

Tiers: a large *main* tier plus small *recent* tiers. Registering a value builds a tier for its
needles only (about a millisecond for a short value; with the hyperscan engine, a registration of
more than 2,000 needles gets an aho tier, several times faster to build); one background worker
folds the recent tiers into one, another rebuilds the main tier when the recent ones hold more
than an eighth of it. Scans read one immutable state snapshot, so registration and scrubbing
are safe from any thread.
"""

from __future__ import annotations

import logging
import re
import secrets as _secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from . import derived
from . import patterns as _patterns
from .engines import Tier, make_tier, resolve_engine
from .fragments import MAX_ENTRIES, Entry, confirm
from .haystack import Haystack, Locator, one_byte
from .prefilter import aho_candidates, hyperscan_prefilter
from .spans import SOLID, Span, apply, is_word, merge, shift, widen_b64, widen_multiline
from .variants import (
    FRAGMENT_MIN,
    KIND_B64,
    MIN_LEN,
    Form,
    anchors,
    forms,
    legacy_expand,
    normalize,
    whole_forms,
)

if TYPE_CHECKING:
    from .stream import StreamScrubber

__all__ = ["Guard"]

_log = logging.getLogger("oneclaw_tools.guard")

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/@+-]")

#: the main tier is rebuilt when the recent tiers hold more than max(this, main / 8) needles
_MAIN_MIN = 4096
#: the merger folds all recent tiers into one while they hold at most this many needles
_FOLD_ALL = 2048
#: past this many recent tiers, the merger folds the newest surplus into one
_MAX_RECENT = 6
#: from this many recent tiers on, a registration folds the newest small ones (together at most
#: _SYNC_FOLD_NEEDLES needles, a build of a few milliseconds) into its own tier
_SYNC_FOLD = 8
_SYNC_FOLD_NEEDLES = 256
#: a registration adding more needles than this builds its own tier with the aho engine when the
#: guard's engine is hyperscan (Vectorscan compiles about 20,000 literals a second, the aho
#: engine about ten times more); the background merger folds it into a hyperscan tier
_SYNC_HYPERSCAN_MAX = 2000
#: a derived text (see .derived) spans this far around what set it off, at most
_DERIVED_REACH = 1 << 16
#: the kind of a needle that is an anchor of a long value's form (see .fragments)
_KIND_ANCHOR = 2

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _State:
    main: Tier | None = None
    main_upto: int = 0
    recent: tuple[tuple[Tier, int, int], ...] = ()
    count: int = 0
    #: (value, mask) of the short values; left out of repr, like every field holding a value
    short: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    max_needle: int = 0
    max_short: int = 0
    #: mask -> (the value without whitespace or ignorables, its view length), for each value
    #: holding a line break
    multiline: Mapping[str, tuple[str, int]] = field(default_factory=dict, repr=False)


def _with_place(places: tuple[Entry, ...], fid: int, off: int) -> tuple[Entry, ...]:
    """``places`` plus ``(fid, off)``: at most MAX_ENTRIES places of one form (its first and its
    latest; a repetitive value has one anchor at thousands of offsets), any number of forms."""
    mine = [i for i, (f, _) in enumerate(places) if f == fid]
    if len(mine) < MAX_ENTRIES:
        return (*places, (fid, off))
    last = mine[-1]
    return (*places[:last], (fid, off), *places[last + 1 :])


class Guard:
    """Scrubs every value registered with it, in every common encoding, plus known formats.

    ``engine`` is ``"aho"`` (ahocorasick-rs, always installed), ``"hyperscan"`` (the ``fast``
    extra) or ``"auto"`` (hyperscan when available). Both give identical output.
    ``patterns`` turns the credential-format detectors on (masks ``[secret:pattern:<rule>]``).
    """

    #: benchmarks only: register the forms of before issue 12 (no new forms, no anchors, no
    #: derived views), to measure what they cost; set before the first registration
    _legacy_forms = False

    def __init__(self, engine: str = "auto", patterns: bool = True) -> None:
        self.engine = resolve_engine(engine)
        self.patterns = patterns
        self._lock = threading.Lock()
        self._main_lock = threading.Lock()
        self._masks: dict[str, str] = {}
        self._needle_ids: dict[str, int] = {}
        self._needles: list[str] = []
        self._kinds = bytearray()
        self._owners: list[str] = []
        #: for an anchor needle, the (form id, offset) places it stands for; None for a whole needle
        self._places: list[tuple[Entry, ...] | None] = []
        self._anchor_ids: dict[str, int] = {}
        self._forms: list[Form] = []
        self._form_masks: list[str] = []
        self._form_raws: list[bytes | None] = []
        self._state = _State()
        self._merger: threading.Thread | None = None
        self._rebuilder: threading.Thread | None = None

    # -- registry ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._masks)

    def __repr__(self) -> str:
        st = self._state
        return (
            f"Guard(engine={self.engine!r}, values={len(self._masks)}, needles={st.count}, "
            f"short={len(st.short)}, tiers={int(st.main is not None) + len(st.recent)})"
        )

    def register(self, value: str, label: str | None = None) -> str:
        """Learn ``value`` (and all its encodings); return its mask ``[secret:<label>]``.

        The mask is stable: registering the same value again returns the first mask.
        """
        masks = self.register_many([(value, label)])
        return masks[0]

    def register_many(self, items: Iterable[tuple[str, str | None] | str]) -> list[str]:
        """Register several values at once (one tier build); returns their masks in order."""
        masks: list[str] = []
        with self._lock:
            lo = len(self._needles)
            mark = (lo, len(self._forms), dict(self._masks), dict(self._anchor_ids))
            short: list[tuple[str, str]] = []
            multiline: dict[str, tuple[str, int]] = {}
            longest = 0
            try:
                for item in items:
                    value, label = (item, None) if isinstance(item, str) else item
                    mask, size = self._add_locked(value, label, short, multiline)
                    masks.append(mask)
                    longest = max(longest, size)
                hi = len(self._needles)
                st = self._state
                if multiline:
                    st = replace(st, multiline={**st.multiline, **multiline})
                if short:
                    all_short = st.short + tuple(short)
                    st = replace(st, short=all_short, max_short=max(len(v) for v, _ in all_short))
                if hi > lo:
                    st = self._with_needles(st, lo, hi, longest, bulk=len(masks) > 1)
            except TypeError:
                self._rollback_locked(*mark)
                raise
            except Exception as exc:  # an engine refused the needles: nothing was learned
                self._rollback_locked(*mark)
                raise ValueError(
                    f"the guard could not learn this value ({type(exc).__name__}); it was not stored"
                ) from None
            self._state = st
            if hi > lo:
                self._kick_locked()
        return masks

    def _rollback_locked(self, needles: int, nforms: int, masks: dict[str, str], ids: dict[str, int]) -> None:
        for name in ("_needles", "_owners", "_places"):
            del getattr(self, name)[needles:]
        del self._kinds[needles:]
        del self._forms[nforms:]
        del self._form_masks[nforms:]
        del self._form_raws[nforms:]
        self._masks = masks
        self._anchor_ids = ids
        self._needle_ids = {n: i for n, i in self._needle_ids.items() if i < needles}

    def _add_locked(
        self,
        value: str,
        label: str | None,
        short: list[tuple[str, str]],
        multiline: dict[str, tuple[str, int]],
    ) -> tuple[str, int]:
        """Add ``value``'s needles; its mask and the longest form (in view characters)."""
        if not isinstance(value, str):
            raise TypeError("Guard.register takes a str value")
        mask = self._masks.get(value)
        if mask is not None:
            return mask, 0
        name = _LABEL_UNSAFE.sub("_", label) if label else "v_" + _secrets.token_hex(4)
        mask = f"[secret:{name}]"
        self._masks[value] = mask
        if len(normalize(value)) < MIN_LEN:
            if value.strip():
                short.append((value, mask))
            _log.warning(
                "a value shorter than %d characters was registered as %s: it is masked only as a "
                "whole word and unencoded; prefer longer secrets",
                MIN_LEN,
                mask,
            )
            return mask, len(value)
        norm = len(normalize(value))
        if "\n" in value or "\r" in value:
            multiline[mask] = ("".join(SOLID.findall(value)), norm)
        if self._legacy_forms:
            longest = 0
            for needle, kind in legacy_expand(value):
                longest = max(longest, len(needle))
                if needle not in self._needle_ids:
                    self._needle_ids[needle] = len(self._needles)
                    self._needles.append(needle)
                    self._kinds.append(kind)
                    self._owners.append(mask)
                    self._places.append(None)
            return mask, longest
        return mask, self._add_anchors_locked(
            whole_forms(value) if norm < FRAGMENT_MIN else forms(value), mask
        )

    def _add_anchors_locked(self, found: list[Form], mask: str) -> int:
        """Register each form's anchors (see :mod:`.fragments`); the longest form's length."""
        longest = 0
        for form in found:
            fid = len(self._forms)
            self._forms.append(form)
            self._form_masks.append(mask)
            self._form_raws.append(form.one_byte)
            text = form.text
            longest = max(longest, len(text))
            size = form.anchor
            for off in anchors(form):
                piece = text[off : off + size]
                nid = self._anchor_ids.get(piece)
                if nid is None:
                    self._anchor_ids[piece] = len(self._needles)
                    self._needles.append(piece)
                    self._kinds.append(_KIND_ANCHOR)
                    self._owners.append(mask)
                    self._places.append(((fid, off),))
                else:
                    self._places[nid] = _with_place(self._places[nid] or (), fid, off)
        return longest

    def _tier(self, lo: int, hi: int, engine: str | None = None) -> Tier:
        needles = self._needles
        return make_tier(engine or self.engine, [(i, needles[i]) for i in range(lo, hi)])

    def _with_needles(self, st: _State, lo: int, hi: int, longest: int, bulk: bool) -> _State:
        if st.main is None and hi - lo > _MAIN_MIN and bulk:  # a bulk load: straight to main
            return replace(st, main=self._tier(0, hi), main_upto=hi, recent=(), count=hi, max_needle=longest)
        recent = st.recent
        if len(recent) >= _SYNC_FOLD:
            # Values come faster than the merger folds: take in the newest tiers up to twice
            # the size gathered so far (a binary counter: the tiers made here double in size, so
            # there are only a few of them), at most _SYNC_FOLD_NEEDLES needles in all.
            held = hi - lo
            while recent:
                size = recent[-1][2] - recent[-1][1]
                if size > 2 * held or held + size > _SYNC_FOLD_NEEDLES:
                    break
                held += size
                lo = min(lo, recent[-1][1])
                recent = recent[:-1]
        fast = "aho" if self.engine == "hyperscan" and hi - lo > _SYNC_HYPERSCAN_MAX else None
        recent = (*recent, (self._tier(lo, hi, fast), lo, hi))
        return replace(st, recent=recent, count=hi, max_needle=max(st.max_needle, longest))

    # -- background merging -----------------------------------------------------------------
    # Two workers, so that a long main rebuild never lets recent tiers pile up: the *merger*
    # folds the newest recent tiers into one (see _to_fold); the *rebuilder* builds a new main
    # tier once the recent needles exceed max(_MAIN_MIN, main / 8). Each swaps its tier in under
    # the lock, keeping every needle covered: the main tier covers [0, main_upto), each recent
    # tier its own [lo, hi), and a recent tier overlapping the main tier only repeats some
    # matches (the span union is the same).

    @staticmethod
    def _to_fold(recent: tuple[tuple[Tier, int, int], ...]) -> tuple[tuple[Tier, int, int], ...]:
        """The newest recent tiers to fold into one (empty: none).

        All of them while they hold at most _FOLD_ALL needles (a build of a few milliseconds,
        and every tier costs a pass over the text). Past that, the newest tiers that together
        hold at least a quarter of the needles of the tier before them, so that sizes shrink
        fourfold from the oldest tier to the newest: a needle is rebuilt only a few times before
        the next main rebuild, and a scan meets few tiers. Past _MAX_RECENT tiers (values added
        faster than the merger folds), the newest surplus; otherwise, past two tiers out of that
        order (after such a burst), all of them.
        """
        if len(recent) >= 2 and sum(r[2] - r[1] for r in recent) <= _FOLD_ALL:
            return recent
        k = len(recent) - 1
        held = recent[k][2] - recent[k][1] if recent else 0
        while k > 0 and held * 4 >= recent[k - 1][2] - recent[k - 1][1]:
            k -= 1
            held += recent[k][2] - recent[k][1]
        if len(recent) - k >= 2:
            return recent[k:]
        if len(recent) > _MAX_RECENT:
            return recent[_MAX_RECENT - 1 :]
        return recent if len(recent) > 2 else ()

    @staticmethod
    def _main_due(st: _State) -> bool:
        return st.count - st.main_upto > max(_MAIN_MIN, st.main_upto // 8)

    def _kick_locked(self) -> None:
        st = self._state
        if self._merger is None and self._to_fold(st.recent):
            self._merger = threading.Thread(target=self._merge_loop, name="oneclaw-guard-merge", daemon=True)
            self._merger.start()
        if self._main_due(st) and self._rebuilder is None:
            self._rebuilder = threading.Thread(
                target=self._rebuild_loop, name="oneclaw-guard-main", daemon=True
            )
            self._rebuilder.start()

    def _merge_loop(self) -> None:
        try:
            while True:
                with self._lock:
                    folded = self._to_fold(self._state.recent)
                    if not folded:
                        self._merger = None
                        return
                lo, hi = min(r[1] for r in folded), max(r[2] for r in folded)
                tier = self._tier(lo, hi)
                with self._lock:
                    now = self._state
                    # in the folded tiers' place (newer ones may have come after them); not at
                    # all when none is left (a registration folded them, or a new main covers them)
                    at = next((i for i, r in enumerate(now.recent) if any(r is f for f in folded)), None)
                    if at is not None:
                        kept = [r for r in now.recent if all(r is not f for f in folded)]
                        kept.insert(at, (tier, lo, hi))
                        self._state = replace(now, recent=tuple(kept))
        except Exception:
            _log.exception("the guard's background merge failed; recent tiers stay in use")
            with self._lock:
                self._merger = None

    def _rebuild_loop(self) -> None:
        try:
            while True:
                with self._lock:
                    if not self._main_due(self._state):
                        self._rebuilder = None
                        return
                self._build_main()
        except Exception:
            _log.exception("the guard's background rebuild failed; recent tiers stay in use")
            with self._lock:
                self._rebuilder = None

    def _build_main(self) -> None:
        with self._main_lock:
            hi = self._state.count
            if hi == 0:
                return
            tier = self._tier(0, hi)
            with self._lock:
                now = self._state
                if hi > now.main_upto:
                    recent = tuple(r for r in now.recent if r[2] > hi)
                    self._state = replace(now, main=tier, main_upto=hi, recent=recent)

    def compact(self) -> None:
        """Fold every tier into one main tier now (blocking). Useful after a bulk load."""
        st = self._state
        if st.recent or st.main_upto < st.count:
            self._build_main()

    # -- scanning ---------------------------------------------------------------------------
    def _value_spans(self, hay: Haystack, before: str = "", after: str = "") -> list[Span]:
        st = self._state
        text = hay.text
        spans: list[Span] = []
        if st.count and text:
            spans = self._needle_spans(st, hay)
            if st.multiline and spans:
                spans = widen_multiline(st.multiline, text, spans)
        if st.short and text:
            spans.extend(self._short_spans(st, text, before, after))
            spans = merge(spans)
        return spans

    def _needle_spans(self, st: _State, hay: Haystack) -> list[Span]:
        spans = self._view_spans(st, hay, derive=True)
        if not spans:
            return []
        spans = merge(spans)
        if not hay.chars:
            return spans
        return Locator(hay).spans(spans)

    def _view_spans(self, st: _State, hay: Haystack, derive: bool) -> list[Span]:
        """Every needle and confirmed anchor match in ``hay``'s view (view offsets, not merged);
        with ``derive``, also those found in the texts derived from it (see :mod:`.derived`)."""
        found: list[tuple[int, int, int]] = []
        if st.main is not None:
            st.main.scan(hay, found)
        for tier, _, _ in st.recent:
            tier.scan(hay, found)
        view = hay.view_bytes()
        spans: list[Span] = []
        if found:
            kinds, owners = self._kinds, self._owners
            pieces: list[tuple[int, int, int]] = []
            for s, e, nid in found:
                kind = kinds[nid]
                if kind == _KIND_ANCHOR:
                    pieces.append((s, e, nid))
                    continue
                if kind == KIND_B64:
                    s, e = widen_b64(view, s, e)
                spans.append((s, e, nid, owners[nid]))
            if pieces:
                forms, masks = self._forms, self._form_masks
                base = len(self._needles)
                for s, e, fid in confirm(hay.view, view, pieces, self._places, forms, self._form_raws):
                    if forms[fid].kind == KIND_B64:
                        s, e = widen_b64(view, s, e)
                    spans.append((s, e, base + fid, masks[fid]))
        if derive and not self._legacy_forms:
            spans.extend(self._derived_spans(st, hay, view))
        return spans

    def _derived_spans(self, st: _State, hay: Haystack, view: bytes) -> list[Span]:
        out: list[Span] = []
        reach = min(st.max_needle, _DERIVED_REACH)
        found = derived.triggers(view, self.engine)
        texts = derived.spaced(hay.view, view, min(reach, 64), found)
        if found.leads:
            texts += derived.collapsed(hay.view, view, reach, found)
        for text in texts:
            for s, e, order, mask in self._view_spans(st, Haystack(text.text), derive=False):
                a, b = text.to_view(s, e)
                out.append((a, b, order, mask))
        for s, e, inflated in derived.compressed(view, found) if found.leads else ():
            inner = self._view_spans(st, Haystack(inflated), derive=False)
            if inner:
                best = max(inner, key=lambda span: span[1] - span[0])
                out.append((s, e, best[2], best[3]))
        return out

    def _short_spans(self, st: _State, text: str, before: str, after: str) -> list[Span]:
        out: list[Span] = []
        base = len(self._needles) + 1
        for index, (value, mask) in enumerate(st.short):
            i = text.find(value)
            while i >= 0:
                j = i + len(value)
                prev = text[i - 1] if i > 0 else before
                nxt = text[j] if j < len(text) else after
                if not (prev and is_word(prev)) and not (nxt and is_word(nxt)):
                    out.append((i, j, base + index, mask))
                i = text.find(value, i + 1)
        return out

    def _scrub(self, text: str, before: str = "", after: str = "") -> str:
        hay = Haystack(text)
        # pattern candidates come from the text (its one-byte form is at hand), moved past the masks
        candidates = self._candidates(hay.raw()) if self.patterns and text else {}
        spans = self._value_spans(hay, before, after)
        out = hay.masked(spans) if spans else text
        if self.patterns and text:
            if spans:
                candidates = shift(candidates, spans)
            if candidates:
                findings = _patterns.detect_at(out, candidates, before)
                if findings:
                    out = apply(out, ((f.start, f.end, _patterns.pattern_mask(f.rule)) for f in findings))
        return out

    def _candidates(self, raw: bytes) -> dict[int, list[int]]:
        if self.engine == "hyperscan":
            return hyperscan_prefilter().candidates(raw)
        return aho_candidates("", raw)

    def _detect(self, text: str, before: str = "") -> list[_patterns.Finding]:
        if not text:
            return []
        candidates = self._candidates(one_byte(text))
        if not candidates:
            return []
        return _patterns.detect_at(text, candidates, before)

    # -- public scrubbing API ---------------------------------------------------------------
    def scrub(self, text: str) -> str:
        """``text`` with every known value and detected credential masked (same object if none)."""
        if not isinstance(text, str):
            raise TypeError("Guard.scrub takes a str; use scrub_bytes or scrub_obj")
        return self._scrub(text)

    def scrub_bytes(self, data: bytes) -> bytes:
        """Like :meth:`scrub` for UTF-8 bytes; other bytes pass through; unchanged data is returned as is."""
        text = bytes(data).decode("utf-8", "surrogateescape")
        out = self._scrub(text)
        if out is text:
            return data
        return out.encode("utf-8", "surrogateescape")

    def scrub_obj(self, obj: T) -> T:
        """Scrub str, bytes, and the keys and values of dicts, lists and tuples, recursively.

        Containers without a secret come back as the very same objects.
        """
        return self._scrub_obj(obj)  # type: ignore[no-any-return]

    def _scrub_obj(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self._scrub(obj)
        if isinstance(obj, (bytes, bytearray)):
            out = self.scrub_bytes(bytes(obj))
            if isinstance(obj, bytearray):
                return obj if out == obj else bytearray(out)
            return obj if out is obj or out == obj else out
        if isinstance(obj, Mapping):
            items = [(self._scrub_obj(k), self._scrub_obj(v)) for k, v in obj.items()]
            if all(nk is k and nv is v for (nk, nv), (k, v) in zip(items, obj.items(), strict=True)):
                return obj
            return self._rebuild(obj, items) if isinstance(obj, dict) else dict(items)
        if isinstance(obj, (list, tuple)):
            new = [self._scrub_obj(v) for v in obj]
            if all(n is v for n, v in zip(new, obj, strict=True)):
                return obj
            if isinstance(obj, tuple) and hasattr(obj, "_fields"):
                return type(obj)(*new)
            return self._rebuild(obj, new)
        return obj

    @staticmethod
    def _rebuild(obj: Any, items: Any) -> Any:
        """The same container type when it can be built from its items, else the plain one."""
        try:
            return type(obj)(items)
        except Exception:  # a subclass with another constructor (e.g. dirtyjson's AttributedDict)
            return (dict if isinstance(obj, dict) else tuple if isinstance(obj, tuple) else list)(items)

    def contains_secret(self, obj: Any) -> bool:
        """Does any registered value occur in ``obj`` (str, bytes, dict, list, tuple), in any encoding?"""
        if isinstance(obj, str):
            return bool(self._value_spans(Haystack(obj)))
        if isinstance(obj, (bytes, bytearray)):
            return bool(self._value_spans(Haystack(bytes(obj).decode("utf-8", "surrogateescape"))))
        if isinstance(obj, Mapping):
            return any(self.contains_secret(k) or self.contains_secret(v) for k, v in obj.items())
        if isinstance(obj, (list, tuple)):
            return any(self.contains_secret(v) for v in obj)
        return False

    def detect(self, text: str) -> list[_patterns.Finding]:
        """Credentials of well-known formats in ``text`` (pattern detectors only), by position."""
        return self._detect(text)

    def stream(self) -> StreamScrubber:
        """A :class:`~oneclaw_tools.guard.stream.StreamScrubber` bound to this guard."""
        from .stream import StreamScrubber

        return StreamScrubber(self)

    def logging_filter(self) -> logging.Filter:
        """A filter that scrubs each record's message, arguments, traceback and stack text."""
        from ..logscrub import GuardFilter

        return GuardFilter(self)
