"""The registry of known values: their masks, forms and needles, learned all or nothing.

Contract. :meth:`Registry.add` turns one value into needles appended to ``needles`` (the list
the tiers compile) with, per needle id, its kind, its owner's mask and, for an anchor, the
``(form id, offset)`` places it stands for; forms are kept in ``forms`` with their masks and
one-byte twins. The caller holds the tiers' lock, takes a :meth:`Registry.mark` first and calls
:meth:`Registry.rollback` if anything after it fails, so a value is either fully learned or not
at all (the guard then refuses it, and the session does not store it).

What a value becomes:

* shorter than :data:`~.variants.MIN_LEN` (normalized): it is matched raw, as a whole word,
  and the operator is warned (the log names its mask, never the value); no needle, unless its
  line breaks or invisible characters make it that long, and then only its encodings;
* shorter than :data:`~.variants.FRAGMENT_MIN`: one anchor per form, confirmed only when the
  whole form is there (:func:`~.variants.whole_forms`);
* longer: anchors at most a step apart along each form (:func:`~.variants.forms`, which
  explains the lengths, steps and places), so any run of 24 characters of it is caught;
* with ``legacy=True`` (benchmarks only): the forms of before issue 12, as whole needles.

A value holding a line break is also recorded as *multiline* (its characters without
whitespace), so a hit on one of its lines widens to the whole value when it is re-indented.
"""

from __future__ import annotations

import logging
import re
import secrets as _secrets
from typing import NamedTuple

from .anchors import anchors
from .fragments import MAX_ENTRIES, Entry
from .ignorable import normalize, squeeze
from .variants import FRAGMENT_MIN, MIN_LEN, Form, forms, legacy_expand, whole_forms

__all__ = ["KIND_ANCHOR", "Registry"]

_log = logging.getLogger("oneclaw_tools.guard")

_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/@+-]")
#: the kind of a needle that is an anchor of a value's form (see .fragments)
KIND_ANCHOR = 2


class _Mark(NamedTuple):
    needles: int
    forms: int
    masks: int
    anchor_ids: int


def _with_place(places: tuple[Entry, ...], fid: int, off: int) -> tuple[Entry, ...]:
    """``places`` plus ``(fid, off)``: at most MAX_ENTRIES places of one form (its first and its
    latest; a repetitive value has one anchor at thousands of offsets), any number of forms."""
    mine = [i for i, (f, _) in enumerate(places) if f == fid]
    if len(mine) < MAX_ENTRIES:
        return (*places, (fid, off))
    last = mine[-1]
    return (*places[:last], (fid, off), *places[last + 1 :])


class Registry:
    """Masks, forms and needles of every value learned so far (append-only between marks)."""

    def __init__(self) -> None:
        self.masks: dict[str, str] = {}
        self.needles: list[str] = []
        self.kinds = bytearray()
        self.owners: list[str] = []
        #: for an anchor needle, the (form id, offset) places it stands for; None for a whole needle
        self.places: list[tuple[Entry, ...] | None] = []
        self.forms: list[Form] = []
        self.form_masks: list[str] = []
        self.form_raws: list[bytes | None] = []
        self._needle_ids: dict[str, int] = {}
        self._anchor_ids: dict[str, int] = {}
        #: since the last mark: (needle id, its places before) for each anchor older than the
        #: mark that got a place of a new form
        self._journal: list[tuple[int, tuple[Entry, ...] | None]] = []
        self._marked_needles = 0

    def mark(self) -> _Mark:
        """Where the registry stands now, for :meth:`rollback`. Costs nothing in the registry's
        size: keys are only ever added (dicts keep their order, ``popitem`` takes the newest)."""
        self._journal.clear()
        self._marked_needles = len(self.needles)
        return _Mark(len(self.needles), len(self.forms), len(self.masks), len(self._anchor_ids))

    def rollback(self, mark: _Mark) -> None:
        """Forget everything added since ``mark`` (and the places older anchors got since)."""
        needles = mark.needles
        for nid, places in reversed(self._journal):
            self.places[nid] = places
        self._journal.clear()
        del self.needles[needles:]
        del self.owners[needles:]
        del self.places[needles:]
        del self.kinds[needles:]
        del self.forms[mark.forms :]
        del self.form_masks[mark.forms :]
        del self.form_raws[mark.forms :]
        while len(self.masks) > mark.masks:
            self.masks.popitem()
        while len(self._anchor_ids) > mark.anchor_ids:
            self._anchor_ids.popitem()
        self._needle_ids = {n: i for n, i in self._needle_ids.items() if i < needles}

    def add(
        self,
        value: str,
        label: str | None,
        short: list[tuple[str, str]],
        multiline: dict[str, tuple[str, int]],
        legacy: bool = False,
    ) -> tuple[str, int]:
        """Add ``value``'s needles; its mask and the longest form (in view characters). A short
        value is appended to ``short``, a multi-line one recorded in ``multiline``."""
        if not isinstance(value, str):
            raise TypeError("Guard.register takes a str value")
        mask = self.masks.get(value)
        if mask is not None:
            return mask, 0
        name = _LABEL_UNSAFE.sub("_", label) if label else "v_" + _secrets.token_hex(4)
        mask = f"[secret:{name}]"
        self.masks[value] = mask
        if len(normalize(value)) < MIN_LEN:
            if value.strip():
                short.append((value, mask))
            _log.warning(
                "a value shorter than %d characters was registered as %s: it is masked only as a "
                "whole word and unencoded; prefer longer secrets",
                MIN_LEN,
                mask,
            )
            if len(value) < MIN_LEN:
                return mask, len(value)
            # its line breaks or invisible characters count in its encodings: long enough to be
            # needles (its raw-like forms, shorter than MIN_LEN once normalized, are dropped)
            return mask, self._add_anchors(whole_forms(value), mask)
        norm = len(normalize(value))
        if "\n" in value or "\r" in value:
            multiline[mask] = (squeeze(value), norm)
        if legacy:
            return mask, self._add_legacy(value, mask)
        return mask, self._add_anchors(
            whole_forms(value) if len(value) < FRAGMENT_MIN else forms(value), mask
        )

    def _add_legacy(self, value: str, mask: str) -> int:
        longest = 0
        for needle, kind in legacy_expand(value):
            longest = max(longest, len(needle))
            if needle not in self._needle_ids:
                self._needle_ids[needle] = len(self.needles)
                self.needles.append(needle)
                self.kinds.append(kind)
                self.owners.append(mask)
                self.places.append(None)
        return longest

    def _add_anchors(self, found: list[Form], mask: str) -> int:
        """Register each form's anchors (see :mod:`.fragments`); the longest form's length."""
        longest = 0
        for form in found:
            fid = len(self.forms)
            self.forms.append(form)
            self.form_masks.append(mask)
            self.form_raws.append(form.one_byte)
            text = form.text
            longest = max(longest, len(text))
            size = form.anchor
            for off in anchors(form):
                piece = text[off : off + size]
                nid = self._anchor_ids.get(piece)
                if nid is None:
                    self._anchor_ids[piece] = len(self.needles)
                    self.needles.append(piece)
                    self.kinds.append(KIND_ANCHOR)
                    self.owners.append(mask)
                    self.places.append(((fid, off),))
                else:
                    before = self.places[nid]
                    if nid < self._marked_needles:
                        self._journal.append((nid, before))
                    self.places[nid] = _with_place(before or (), fid, off)
        return longest
