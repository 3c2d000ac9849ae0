"""Expansion of one secret value into the literal needles the scanner looks for.

A value is caught in every common encoding because each encoding is registered as its own
literal: raw; base64 standard and URL-safe in the three byte alignments (so a value sitting at
any offset inside a larger blob, e.g. ``Basic base64(user:value)``, is still caught); URL
encoding (``quote`` and ``quote_plus``, upper- and lower-case escapes); hex; JSON escaping
(with ``\\/`` and JSON inside JSON); backslash and shell escaping.

Matching happens on a *normalized view* of the text: every character in :data:`IGNORABLE`
(line breaks, NUL, zero-width and other invisible format characters) is removed from both the
needles and the text. A value split over lines, re-wrapped (PEM, MIME base64) or salted with NUL
or zero-width characters is therefore still one contiguous needle in the view. Spaces and tabs
are kept (removing them would cost a slow pass over every text); each line of a multi-line value
is also a needle of its own, and a hit on one makes the guard look around it for the whole value
with all whitespace ignored, so an indented (and re-wrapped) copy is masked whole.

Base64 alignment cores keep only the characters that depend on the value alone; the scanner
widens such a match by the partial characters at either edge (:data:`KIND_B64`), so no bit of
the value survives next to a mask.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
import urllib.parse
from collections.abc import Iterator

__all__ = [
    "IGNORABLE",
    "KIND_B64",
    "KIND_PLAIN",
    "MIN_LEN",
    "expand",
    "has_wide",
    "normalize",
    "present",
]

#: Characters dropped from both text and needles before matching.
IGNORABLE = "\x00\n\r\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"
#: Values whose normalized form is shorter than this are matched raw, at word boundaries only.
MIN_LEN = 8
#: Lines of a multi-line value at least this long are also needles on their own.
MIN_LINE = 16

KIND_PLAIN = 0
#: A base64 core: widen the match by one alphabet character left and right, plus ``=`` padding.
KIND_B64 = 1

_ASCII_IGNORABLE = "\x00\n\r"
_SHELL_UNSAFE = re.compile(r"([^\w@%+=:,./-])", re.ASCII)
_DQ_UNSAFE = re.compile(r'([\\"$`])')
_HEX_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def present(text: str) -> tuple[str, ...]:
    """The :data:`IGNORABLE` characters that occur in ``text``.

    One ``in`` test per character: CPython answers a one-character ``in`` with a vectorized
    ``memchr``-style search, tens of GB/s, where a character-class regex crawls at a few hundred MB/s.
    """
    if text.isascii():
        return tuple(ch for ch in _ASCII_IGNORABLE if ch in text)
    return tuple(ch for ch in IGNORABLE if ch in text)


def has_wide(chars: tuple[str, ...]) -> bool:
    """Does ``chars`` (from :func:`present`) hold an ignorable character outside ASCII?"""
    return bool(chars) and chars[-1] not in _ASCII_IGNORABLE


def normalize(text: str, chars: tuple[str, ...] | None = None) -> str:
    """``text`` without the :data:`IGNORABLE` characters (``chars``: those present, if known)."""
    for ch in present(text) if chars is None else chars:
        text = text.replace(ch, "")
    return text


def _b64_cores(data: bytes) -> Iterator[str]:
    """The alignment-independent cores of ``data`` in base64, for byte offsets 0, 1 and 2 mod 3."""
    n = len(data)
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + data).decode("ascii")
        skip = (align * 8 + 5) // 6  # characters touched by the padding bytes in front
        complete = (align + n) * 8 // 6  # characters fully determined by our bytes
        yield encoded[skip:complete]


def _quoted(value: str) -> Iterator[str]:
    for q in (
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value, safe="/"),
        urllib.parse.quote_plus(value, safe=""),
    ):
        yield q
        yield _HEX_ESCAPE.sub(lambda m: m.group(0).lower(), q)


def _json_forms(value: str) -> Iterator[str]:
    for ascii_only in (True, False):
        once = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        yield once
        yield once.replace("/", "\\/")
        yield json.dumps(once, ensure_ascii=ascii_only)[1:-1]
        yield json.dumps(once.replace("/", "\\/"), ensure_ascii=ascii_only)[1:-1]


def _escaped_forms(value: str) -> Iterator[str]:
    yield repr(value)[1:-1]
    yield value.encode("unicode_escape").decode("ascii")
    yield value.replace("\\", "\\\\").replace('"', '\\"')
    yield value.replace("\\", "\\\\").replace("'", "\\'")
    yield shlex.quote(value)
    yield _SHELL_UNSAFE.sub(r"\\\1", value)
    yield _DQ_UNSAFE.sub(r"\\\1", value)


def expand(value: str) -> list[tuple[str, int]]:
    """Normalized needles for ``value`` with their kind, deduplicated, longest first.

    Needles shorter than :data:`MIN_LEN` after normalization are dropped (they would mask
    ordinary text); the caller treats a value whose raw form is that short separately.
    """
    data = value.encode("utf-8", "surrogatepass")
    out: dict[str, int] = {}

    def add(candidate: str, kind: int = KIND_PLAIN) -> None:
        needle = normalize(candidate)
        if len(needle) >= MIN_LEN and needle not in out:
            out[needle] = kind

    add(value)
    for form in _quoted(value):
        add(form)
    for form in _json_forms(value):
        add(form)
    for form in _escaped_forms(value):
        add(form)
    hexed = binascii.hexlify(data).decode("ascii")
    add(hexed)
    add(hexed.upper())
    for core in _b64_cores(data):
        add(core, KIND_B64)
        add(core.replace("+", "-").replace("/", "_"), KIND_B64)
    if "\n" in value or "\r" in value:
        for line in value.splitlines():
            if len(normalize(line)) >= MIN_LINE:
                add(line)
    return sorted(out.items(), key=lambda item: (-len(item[0]), item[0]))
