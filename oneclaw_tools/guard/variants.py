"""Expansion of one secret value into the *forms* the scanner looks for, and their anchors.

Forms. A value is caught in every common encoding because each encoding is registered as a form
of its own: raw; base64 standard and URL-safe and base32, each in every byte alignment (so a
value at any offset inside a larger blob, e.g. ``Basic base64(user:value)``, is still caught);
URL encoding (``quote`` and ``quote_plus``, upper- and lower-case escapes); hex (both cases);
JSON escaping (with ``\\/``, JSON inside JSON, and the escape with its backslash runs collapsed,
which the guard matches in a view of the text where every backslash run is one backslash, so
any nesting depth is caught); backslash and shell escaping; reversed, rot13, upper and lower
case; the value with its whitespace removed. The value's *wire forms* (its JSON escapes and its
query/form encoding, what ``http_request`` puts on the wire) are values of their own: their
base64, hex, base32, URL, reversed, rot13 and case forms are registered too, so a host that
reflects what our tools sent, encoded once more, is caught.

Normalization. Matching happens on a view of the text without the
:data:`~.ignorable.IGNORABLE` characters (NUL, line breaks, and every Unicode format character),
removed from the forms as well (:mod:`.ignorable`). A value split over lines, re-wrapped, or
salted with invisible characters is therefore still contiguous in the view. Spaces and tabs
are kept; a value spelled out with whitespace between its characters is found
in a squeezed view (see :mod:`.derived`). Each line of a multi-line value is also a form.

Anchors. Every form is found by *anchors*: pieces of :data:`ANCHOR` (10) characters taken from
it, confirmed by extending the hit along the form in Python (:mod:`.fragments`). A value
shorter than :data:`FRAGMENT_MIN` (32) characters has one anchor per form,
and a hit counts only when the whole form is there (:func:`whole_forms`). A longer one has
anchors at most a *step* ``S`` apart. Where each anchor sits is chosen (:mod:`.anchors`): among
the places its step allows, the one whose last characters are rarest in ordinary text, since
the fast engine's cost per megabyte grows with how often the text's characters end some anchor
(at 10,000 values this makes its main scan about a third faster than anchors at fixed places).
That one mechanism gives:

* no length limit of any engine reaches the user (an anchor is short), and registration is
  linear in the value's length: a 1 MiB value is about 0.1 s, a repetitive one
  (``'y' * 200_000``) collapses to a handful of distinct anchors;
* fragments: any run of at least :data:`FRAGMENT_RUN` (24) consecutive characters of the value,
  raw or in a *main* form (raw, its JSON and URL escapes, standard base64 in every alignment,
  lower-case hex), is masked: in such a form, anchors of length ``P`` at most ``S`` characters
  apart (the first within ``S`` of the start, the last within ``P + S - 1`` of the end) with
  ``P + S - 1 <= R`` (``R``: the run's length in that form: 24 characters, 31 base64
  characters, 48 hex digits) put a whole anchor inside every run, and the extension masks the
  run exactly. When the first or last anchor also occurs elsewhere in its form (a repetitive
  value), the form's first or last characters are an anchor too, so a whole occurrence is
  masked from end to end. ``P = 10, S = 15`` raw, ``10, 22`` base64, ``16, 33`` hex: one
  anchor per 8 to 15 characters of the value in each main form. A form holding ignorable
  characters (a PEM's line breaks) has its step and minimal run shortened by the most of them
  in any run (at most half the step, see :func:`~.ignorable.most_hidden`): a run of 24
  characters of such a value is caught when at most 7 of them are ignorable. Ten characters
  of a secret rarely occur in ordinary text, and a false anchor hit costs one short
  comparison; a longer anchor would need a shorter step, hence more needles, and every needle
  slows every scan (the automaton outgrows the CPU caches): at 10,000 values, anchors of 10
  scan about 5% faster than anchors of 12 (``P = 8`` gains no more);
* other forms (URL-safe base64, base32, reversed, rot13, case, hex upper, shell and backslash
  escapes) get anchors at most 64 characters apart (128 for base32), the wire forms' own forms
  at most 256; past 4 KB the step grows with the value
  (``64 * length / 4 KB``, so about 64 anchors per form): their whole occurrences are caught,
  and any run of them holding an anchor;
* values over :data:`FRAGMENT_FULL` (64 KB) keep the registration cost near flat (about
  0.05 to 0.2 s for 1 MiB): every step is multiplied by ``ceil(length / 16 KB)`` (anchors stay
  10 characters), and only the raw, JSON-escape, base64 (both alphabets), hex (both cases),
  reversed, rot13, case and squeezed forms are registered, plus the base64 of its JSON escapes
  (no URL encoding: the standard library's ``quote`` runs at about 2 MB/s on such text, and no
  such value fits in a URL). Such a value is caught
  whole in all of them, and by any run of at least ``P + S - 1`` characters of a main form
  (969 characters raw for 1 MiB: step 960); a shorter run of it is not, nor its base32 form (the
  standard library's base32 encodes at about 6 MB/s). Its lines are not forms of their own
  (16,000 forms for 1 MiB of 64-character lines cost 0.6 s): instead each line of
  :data:`FRAGMENT_RUN` characters or more ends with an anchor of the raw form
  (``Form.line_ends``), so a line quoted alone is caught, and a re-indented copy is caught whole
  (1 MiB registers in about 0.08 s in one line, 0.16 s in lines of 64 characters, 0.28 s in
  lines of 24: one anchor a line).

Anchor counts: a 40-character value has 17 to 80 anchors (more when it holds characters that
URL or JSON escaping changes), a 64 KB value about 30,000 (the densest: a few tenths of a
second to register), a 100 KB or a 1 MiB value about 5,000.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import re
import shlex
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from .ignorable import line_ends, most_hidden, normalize

__all__ = [
    "ANCHOR",
    "FRAGMENT_FULL",
    "FRAGMENT_MIN",
    "FRAGMENT_RUN",
    "KIND_B64",
    "KIND_PLAIN",
    "MIN_LEN",
    "Form",
    "collapse_backslashes",
    "expand",
    "forms",
    "legacy_expand",
    "whole_forms",
]

#: Values whose normalized form is shorter than this are matched raw, at word boundaries only.
MIN_LEN = 8
#: Lines of a multi-line value at least this long are also forms on their own.
MIN_LINE = 16
#: Values at least this long are registered by anchors (see the module docstring).
FRAGMENT_MIN = 32
#: Runs of a long value this long (in value characters) are masked on their own.
FRAGMENT_RUN = 24
#: Up to this length, a long value's every run of FRAGMENT_RUN characters is caught.
FRAGMENT_FULL = 65536
#: The length of an anchor in a raw-like form.
ANCHOR = 10

KIND_PLAIN = 0
#: A base64 or base32 core: widen the match by one alphabet character left and right, plus padding.
KIND_B64 = 1

_SHELL_UNSAFE = re.compile(r"([^\w@%+=:,./-])", re.ASCII)
_DQ_UNSAFE = re.compile(r'([\\"$`])')
_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}")
_BACKSLASHES = re.compile(r"\\{2,}")
#: anchor length, step and minimal run (in form characters) of a main form's families
_RAW, _HEX, _B64 = (ANCHOR, 15, 24), (16, 33, 48), (ANCHOR, 22, 31)
#: the step of the other forms' anchors
_SPARSE = 64
#: past this length, the sparse forms' step grows with the value
_SPARSE_UNIT = 4096
#: the step of the anchors of the wire forms' transformations
_WIRE_SPREAD = 256
#: above FRAGMENT_FULL, the steps are multiplied by the value's length in these units
_LARGE_UNIT = 16384


@dataclass(frozen=True, slots=True)
class Form:
    """One normalized form of a value: ``anchor``/``step`` place its anchors; ``run`` is the
    shortest stretch of it that is masked on its own (the whole form if shorter)."""

    #: a form of a secret value: never in a repr (a traceback's locals, a debug log)
    text: str = field(repr=False)
    kind: int
    anchor: int
    step: int
    run: int
    #: where lines of the value end in ``text``: each line of :data:`FRAGMENT_RUN` characters or
    #: more gets an anchor of its own, its last characters (a large value's raw form, see forms)
    line_ends: tuple[int, ...] = ()

    @property
    def one_byte(self) -> bytes | None:
        """The form as bytes when it is ASCII without ``?`` (then it compares with the view's
        one-byte form, where ``?`` stands for any non-ASCII character), else ``None``."""
        text = self.text
        return text.encode("ascii") if text.isascii() and "?" not in text else None


def collapse_backslashes(text: str) -> str:
    """``text`` with every run of backslashes shortened to one (JSON at any depth, see :mod:`.derived`)."""
    return _BACKSLASHES.sub(lambda _: "\\", text) if "\\\\" in text else text


def _cores(data: bytes, encode: object, group: int, bits: int) -> Iterator[str]:
    """The alignment-independent cores of ``data`` in base64 (``group`` 3) or base32 (5)."""
    n = len(data)
    for align in range(group):
        encoded = encode(b"\0" * align + data).decode("ascii")  # type: ignore[operator]
        skip = (align * 8 + bits - 1) // bits  # characters touched by the padding bytes in front
        complete = (align + n) * 8 // bits  # characters fully determined by our bytes
        yield encoded[skip:complete]


def _quoted(value: str) -> Iterator[str]:
    """``quote`` (with and without ``/`` safe) and ``quote_plus``, escapes in both cases; one
    ``quote`` call (it runs at a few MB/s on text that needs escaping), the others derived."""
    q = urllib.parse.quote(value, safe="")
    for form in (q, q.replace("%2F", "/"), q.replace("%20", "+")):
        yield form
        yield _HEX_ESCAPE.sub(lambda m: m.group(0).lower(), form)


def _json_forms(value: str) -> Iterator[str]:
    for ascii_only in (True, False):
        once = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        yield once
        yield once.replace("/", "\\/")
        yield json.dumps(once, ensure_ascii=ascii_only)[1:-1]
        yield json.dumps(once.replace("/", "\\/"), ensure_ascii=ascii_only)[1:-1]
        yield collapse_backslashes(once)
        yield collapse_backslashes(once.replace("/", "\\/"))


def _escaped_forms(value: str) -> Iterator[str]:
    yield repr(value)[1:-1]
    yield value.encode("unicode_escape").decode("ascii")
    yield value.replace("\\", "\\\\").replace('"', '\\"')
    yield value.replace("\\", "\\\\").replace("'", "\\'")
    yield shlex.quote(value)
    yield _SHELL_UNSAFE.sub(r"\\\1", value)
    yield _DQ_UNSAFE.sub(r"\\\1", value)


def wire_forms(value: str) -> list[str]:
    """What the project's own tools put on the wire for ``value``: its JSON escapes (an
    ``http_request`` JSON body) and its query/form encoding, where they differ from it."""
    out = [
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        urllib.parse.quote_plus(value, safe=""),
        urllib.parse.quote(value, safe=""),
    ]
    return [w for w in dict.fromkeys(out) if w != value]


def _scaled(params: tuple[int, int, int], scale: int) -> tuple[int, int, int]:
    anchor, step, run = params
    return anchor, step * scale, run


def _transform(
    text: str,
    data: bytes,
    add: Callable[..., None],
    sparse: tuple[int, int, int],
    sparse_b64: tuple[int, int, int],
    sparse_hex: tuple[int, int, int],
    cheap: bool,
) -> None:
    """Register the transformations of ``text`` (the value, or one of its wire forms) other than
    its main forms: URL-safe base64, hex upper, base32, squeezed, reversed, rot13, case."""
    for core in _cores(data, base64.b64encode, 3, 6):
        add(core, sparse_b64, KIND_B64)  # a duplicate of a main form is skipped
        add(core.replace("+", "-").replace("/", "_"), sparse_b64, KIND_B64)
    hexed = binascii.hexlify(data).decode("ascii")
    add(hexed, sparse_hex)
    add(hexed.upper(), sparse_hex)
    if not cheap:  # the standard library's base32 encodes at about 6 MB/s
        for core in _cores(data, base64.b32encode, 5, 5):
            add(core, (ANCHOR, 2 * sparse[1], 37), KIND_B64)
    squeezed = "".join(text.split())  # without its whitespace (as \s: 10 times faster)
    if squeezed != text:  # what a spaced-out copy reads as once its whitespace is removed
        add(squeezed, sparse)
    add(text[::-1], sparse)
    add(codecs.encode(text, "rot13"), sparse)
    add(text.upper(), sparse)
    add(text.lower(), sparse)


def forms(value: str) -> list[Form]:
    """The normalized forms of ``value`` (at least :data:`MIN_LEN` characters), deduplicated,
    main forms first (see the module docstring)."""
    data = value.encode("utf-8", "surrogatepass")
    norm = normalize(value)
    large = len(norm) > FRAGMENT_FULL
    scale = -(-len(norm) // _LARGE_UNIT) if large else 1
    raw, hexp, b64 = (_scaled(p, scale) for p in (_RAW, _HEX, _B64))
    # the sparse forms of a long value thin out from 4 KB on (one anchor per 64 characters up
    # to 4 KB, then a fixed number of anchors per form)
    spread = _SPARSE * max(scale, len(norm) // _SPARSE_UNIT)
    sparse = (ANCHOR, spread, FRAGMENT_RUN)
    sparse_b64 = (ANCHOR, spread, 31)
    sparse_hex = (16, spread, 48)
    out: dict[str, Form] = {}

    def add(candidate: str, params: tuple[int, int, int], kind: int = KIND_PLAIN) -> None:
        text = normalize(candidate)
        if len(text) >= MIN_LEN and text not in out:
            anchor, step, run = params
            # a run of it is shorter in the view (see most_hidden); a large value's other forms are
            # caught whole only
            if len(text) < len(candidate) and (not large or params in (raw, hexp, b64)):
                cap = (step - 1) // 2
                in_step, in_run = most_hidden(candidate, (anchor + step - 1, run))
                step -= min(in_step, cap)
                run = max(anchor, run - min(in_run, cap))
            out[text] = Form(text, kind, min(anchor, len(text)), step, min(run, len(text)))

    add(value, raw)
    add(json.dumps(value)[1:-1], raw)
    if not large:
        add(urllib.parse.quote(value, safe=""), raw)
    for core in _cores(data, base64.b64encode, 3, 6):
        add(core, b64, KIND_B64)
    hexed = binascii.hexlify(data).decode("ascii")
    add(hexed, hexp)
    # the other forms: whole occurrences, and long runs
    if large:  # only the transformations that run at memory speed, and the wire forms' base64
        _transform(value, data, add, sparse, sparse_b64, sparse_hex, cheap=True)
        for wire in dict.fromkeys((json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1])):
            if wire == value:
                continue
            for core in _cores(wire.encode("utf-8", "surrogatepass"), base64.b64encode, 3, 6):
                add(core, sparse_b64, KIND_B64)
    else:
        _transform(value, data, add, sparse, sparse_b64, sparse_hex, cheap=False)
        for form in (*_quoted(value), *_json_forms(value), *_escaped_forms(value)):
            add(form, sparse)
        # what a host may reflect of what our tools sent, anchored more sparsely still
        wide = max(_WIRE_SPREAD, spread)
        for wire in wire_forms(value):
            wdata = wire.encode("utf-8", "surrogatepass")
            cheap = len(wdata) > _SPARSE_UNIT  # no base32 of a long wire form
            _transform(wire, wdata, add, (ANCHOR, wide, 24), (ANCHOR, wide, 31), (16, wide, 48), cheap=cheap)
            for form in _quoted(wire):
                add(form, sparse)
    if ("\n" in value or "\r" in value) and not large:
        for line in value.splitlines():
            if len(normalize(line)) >= MIN_LINE:
                add(line, raw)
    found = list(out.values())
    if large and ("\n" in value or "\r" in value):  # 16,000 lines as forms: 0.6 s for 1 MiB
        found[0] = replace(found[0], line_ends=line_ends(value, FRAGMENT_RUN))  # the raw form
    return found


def whole_forms(value: str) -> list[Form]:
    """The forms of a value shorter than :data:`FRAGMENT_MIN`: each found by one anchor of
    :data:`ANCHOR` characters (see :mod:`.anchors`), and masked only whole (the automaton then holds 10
    characters of each form instead of all of it: a smaller automaton scans faster)."""
    return [
        Form(f.text, f.kind, min(ANCHOR, len(f.text)), len(f.text) + 1, len(f.text)) for f in forms(value)
    ]


def legacy_expand(value: str) -> list[tuple[str, int]]:
    """The forms the guard registered before base32, reversed, rot13, case, wire forms and
    anchors were added, as whole needles: for benchmarks that measure what those cost."""
    data = value.encode("utf-8", "surrogatepass")
    out: dict[str, int] = {}
    candidates: list[tuple[str, int]] = [(value, KIND_PLAIN)]
    candidates += [(f, KIND_PLAIN) for f in (*_quoted(value), *_json_forms(value), *_escaped_forms(value))]
    hexed = binascii.hexlify(data).decode("ascii")
    candidates += [(hexed, KIND_PLAIN), (hexed.upper(), KIND_PLAIN)]
    for core in _cores(data, base64.b64encode, 3, 6):
        candidates += [(core, KIND_B64), (core.replace("+", "-").replace("/", "_"), KIND_B64)]
    if "\n" in value or "\r" in value:
        candidates += [(line, KIND_PLAIN) for line in value.splitlines() if len(normalize(line)) >= MIN_LINE]
    for candidate, kind in candidates:
        text = normalize(candidate)
        if len(text) >= MIN_LEN and text not in out:
            out[text] = kind
    return sorted(out.items(), key=lambda item: (-len(item[0]), item[0]))


def expand(value: str) -> list[tuple[str, int]]:
    """Every form of ``value`` as a whole needle with its kind, longest first.

    Forms shorter than :data:`MIN_LEN` after normalization are dropped (they would mask ordinary
    text); the caller treats a value whose raw form is that short separately.
    """
    return sorted(((f.text, f.kind) for f in forms(value)), key=lambda item: (-len(item[0]), item[0]))
