"""The :class:`Guard`: one scan for every form of every known value, then the pattern detectors.

Contract: see :mod:`oneclaw_tools.guard` (the interface every adapter uses). The values
themselves live in a :class:`~.registry.Registry` (masks, forms, needles; learned all or
nothing), their needles in compiled :class:`~.tiers.Tiers` (kept current in the background);
this module scans.

How a text is scrubbed:

1. The text is wrapped in a :class:`~.haystack.Haystack`, which builds, only when needed, the
   normalized *view* without line breaks, NUL and Unicode format characters (see
   :mod:`.variants`), as one byte per character; every tier of the engine reports every needle
   occurrence in it.
2. A value shorter than 32 characters is a set of whole needles (one per form); a longer one is
   a set of short *anchors*, and each anchor hit is extended along its form in Python
   (:mod:`.fragments`): no engine limit on a needle's length reaches the user, registration is
   linear in the value's length, and any run of 24 characters of the value is masked.
3. A cheap trigger pass (part of the main tier's scan, when there is one) says whether the
   text may hold a spaced-out value, a deeply escaped JSON string or compressed data; those
   are scanned in a derived text (:mod:`.derived`) whose matches are mapped back.
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

With the ``hyperscan`` engine and :data:`~.parallel.SHARE_MIN_NEEDLES` needles or more, a text
of at least :data:`~.parallel.PARALLEL_MIN` bytes has its Vectorscan passes (the pattern
prefilter of step 6, the trigger pass of step 3, the main tier's scan in pieces) shared between
the caller and a helper thread (:mod:`.parallel`); the output is the same.

Registration either learns a value completely or not at all: when an engine refuses the
needles, the registry is rolled back and ``register`` raises ``ValueError`` (without the value),
so the session refuses to store what its guard could not learn. Scans read one immutable state
snapshot, so registration and scrubbing are safe from any thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from . import derived, parallel
from . import patterns as _patterns
from .engines import HyperscanTier, resolve_engine
from .fragments import confirm
from .haystack import Haystack, Locator, one_byte
from .parallel import Shared, worth
from .prefilter import aho_candidates, hyperscan_prefilter
from .registry import KIND_ANCHOR, Registry
from .spans import Span, apply, is_word, merge, shift, widen_b64, widen_multiline
from .tiers import State, Tiers
from .variants import KIND_B64

if TYPE_CHECKING:
    from .stream import StreamScrubber

__all__ = ["Guard"]

#: a derived text (see .derived) spans this far around what set it off, at most
_DERIVED_REACH = 1 << 16

T = TypeVar("T")


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
        self._registry = Registry()
        self._tiers = Tiers(self.engine, self._registry.needles, derived.trigger_literals(self.engine))

    @property
    def _state(self) -> State:
        """The snapshot a scan reads (see :mod:`.tiers`)."""
        return self._tiers.state

    # -- registry ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._registry.masks)

    def __repr__(self) -> str:
        st = self._state
        return (
            f"Guard(engine={self.engine!r}, values={len(self)}, needles={st.count}, "
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
        registry, tiers = self._registry, self._tiers
        if self._legacy_forms:
            tiers.extras = ()  # nor the trigger pass in the main tier's scan
        with tiers.lock:
            mark = registry.mark()
            lo = mark.needles
            short: list[tuple[str, str]] = []
            multiline: dict[str, tuple[str, int]] = {}
            longest = 0
            inner_space = False
            try:
                for item in items:
                    value, label = (item, None) if isinstance(item, str) else item
                    mask, size = registry.add(value, label, short, multiline, self._legacy_forms)
                    masks.append(mask)
                    longest = max(longest, size)
                    inner_space = inner_space or any(c in value.strip() for c in " \t\x0b\x0c")
                hi = len(registry.needles)
                st = tiers.state
                if multiline:
                    st = replace(st, multiline={**st.multiline, **multiline})
                if inner_space and not st.inner_space:
                    st = replace(st, inner_space=True)
                if short:
                    all_short = st.short + tuple(short)
                    st = replace(st, short=all_short, max_short=max(len(v) for v, _ in all_short))
                if hi > lo:
                    st = tiers.grown(st, lo, hi, longest, bulk=len(masks) > 1)
            except TypeError:
                registry.rollback(mark)
                raise
            except Exception as exc:  # an engine refused the needles: nothing was learned
                registry.rollback(mark)
                raise ValueError(
                    f"the guard could not learn this value ({type(exc).__name__}); it was not stored"
                ) from None
            tiers.state = st
            if hi > lo:
                tiers.kick_locked()
        return masks

    def compact(self) -> None:
        """Fold every tier into one main tier now (blocking). Useful after a bulk load."""
        st = self._state
        if st.recent or st.main_upto < st.count:
            self._tiers.build_main()

    # -- scanning ---------------------------------------------------------------------------
    def _value_spans(
        self,
        hay: Haystack,
        before: str = "",
        after: str = "",
        st: State | None = None,
        shared: Shared | None = None,
    ) -> list[Span]:
        st = self._state if st is None else st
        text = hay.text
        spans: list[Span] = []
        if st.count and text:
            spans = self._needle_spans(st, hay, shared)
            if st.multiline and spans:
                spans = widen_multiline(st.multiline, text, spans)
        if st.short and text:
            spans.extend(self._short_spans(st, text, before, after))
            spans = merge(spans)
        return spans

    def _needle_spans(self, st: State, hay: Haystack, shared: Shared | None) -> list[Span]:
        spans = self._view_spans(st, hay, derive=True, shared=shared)
        if not spans:
            return []
        spans = merge(spans)
        if not hay.chars:
            return spans
        return Locator(hay).spans(spans)

    def _view_spans(
        self,
        st: State,
        hay: Haystack,
        derive: bool,
        shared: Shared | None = None,
    ) -> list[Span]:
        """Every needle and confirmed anchor match in ``hay``'s view (view offsets, not merged);
        with ``derive``, also those found in the texts derived from it (see :mod:`.derived`;
        ``shared``: the trigger pass and the main tier's scan, already begun, see :meth:`_share`)."""
        found: list[tuple[int, int, int]] = []
        done = shared.results() if shared is not None else None
        derive = derive and not self._legacy_forms
        # the trigger literals' hits, when the main tier's scan is the trigger pass too
        extra: list[tuple[int, int]] | None = [] if derive and self._main_triggers(st) else None
        if done is not None and isinstance(st.main, HyperscanTier):
            st.main.emit(hay, [hit for part in done[2:] for hit in part], found, extra)
        elif st.main is not None:
            st.main.scan(hay, found, extra)
        for tier, _, _ in st.recent:
            tier.scan(hay, found)
        view = hay.view_bytes()
        spans: list[Span] = []
        if found:
            reg = self._registry
            kinds, owners = reg.kinds, reg.owners
            pieces: list[tuple[int, int, int]] = []
            for s, e, nid in found:
                kind = kinds[nid]
                if kind == KIND_ANCHOR:
                    pieces.append((s, e, nid))
                    continue
                if kind == KIND_B64:
                    s, e = widen_b64(view, s, e)
                spans.append((s, e, nid, owners[nid]))
            if pieces:
                forms, masks = reg.forms, reg.form_masks
                base = len(reg.needles)
                for s, e, fid in confirm(hay.view, view, pieces, reg.places, forms, reg.form_raws):
                    if forms[fid].kind == KIND_B64:
                        s, e = widen_b64(view, s, e)
                    spans.append((s, e, base + fid, masks[fid]))
        if derive:
            if extra is not None:
                trigger = derived.from_hits(view, self.engine, extra)
            elif done is not None and done[1] is not None:
                trigger = done[1]
            else:
                trigger = derived.triggers(view, self.engine, st.inner_space)
            spans.extend(self._derived_spans(st, hay, view, trigger))
        return spans

    def _main_triggers(self, st: State) -> bool:
        """Is the main tier's scan the trigger pass too (see :func:`.derived.from_hits`)? Not
        with the ``hyperscan`` engine while a known value holds whitespace: that pass needs
        regexes."""
        main = st.main
        return main is not None and main.has_extras and (self.engine != "hyperscan" or not st.inner_space)

    def _derived_spans(self, st: State, hay: Haystack, view: bytes, found: derived.Triggers) -> list[Span]:
        out: list[Span] = []
        reach = min(st.max_needle, _DERIVED_REACH)
        texts = derived.spaced(hay.view, view, min(reach, 64), found, st.inner_space)
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

    def _short_spans(self, st: State, text: str, before: str, after: str) -> list[Span]:
        out: list[Span] = []
        base = len(self._registry.needles) + 1
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

    def _share(self, hay: Haystack, st: State) -> Shared:
        """A long text's Vectorscan passes as tasks for the caller and a helper, begun (see
        :mod:`.parallel`): the pattern candidates, the trigger pass when derived texts will be
        looked for and the main tier's scan is not that pass too (see :meth:`_view_spans`), and
        the main tier's scan in pieces."""
        raw, view = hay.raw(), hay.view_bytes()
        tasks: list[Callable[[], Any]] = [partial(self._candidates, raw) if self.patterns else dict]
        trigger = st.count and not self._legacy_forms and not self._main_triggers(st)
        tasks.append(
            partial(derived.triggers, view, self.engine, st.inner_space) if trigger else lambda: None
        )
        if isinstance(st.main, HyperscanTier):
            tasks += st.main.pieces(hay)
        return Shared(tasks).start()

    def _scrub(self, text: str, before: str = "", after: str = "") -> str:
        hay = Haystack(text)
        st = self._state
        shared: Shared | None = None
        big = self.engine == "hyperscan" and st.count >= parallel.SHARE_MIN_NEEDLES
        if text and big and worth(len(text)):
            # a long text: once its view is built, its scans are shared with a helper (they
            # release the GIL; see .parallel)
            shared = self._share(hay, st)
        spans = self._value_spans(hay, before, after, st, shared)
        if shared is not None:
            candidates = shared.results()[0]
        else:
            # pattern candidates come from the text (its one-byte form is at hand), moved past the masks
            candidates = self._candidates(hay.raw()) if self.patterns and text else {}
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
