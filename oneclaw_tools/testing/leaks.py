"""The leak check every surface test ends with: no seeded value, in any common encoding, anywhere.

:func:`assert_no_canary` flattens whatever was recorded (strings, bytes, mappings, sequences,
and the ``repr``/``str`` of anything else, 50 levels deep) into one text and searches it for
every canary in every form :func:`canary_variants` lists (raw, base64 in both alphabets, URL,
hex, JSON-escaped once and twice, each long line of a multi-line value), also with whitespace
removed so a value split over lines is found. An env bundle's variables are searched one by
one. A failure names the canary's index and the encoding's length, never the value.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["assert_no_canary", "canary_variants"]


def canary_variants(value: str) -> set[str]:
    """A value and its common encodings (raw, base64, URL, hex, JSON-escaped)."""
    raw = value.encode()
    out = {
        value,
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote_plus(value),
        raw.hex(),
        raw.hex().upper(),
        json.dumps(value)[1:-1],
        json.dumps(json.dumps(value))[1:-1],
    }
    for line in value.splitlines():
        if len(line) >= 16:
            out.add(line)
    return {v for v in out if len(v) >= 8}


def _flatten(obj: Any, out: list[str], depth: int = 0) -> None:
    if depth > 50:
        out.append(repr(obj))
        return
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, (bytes, bytearray)):
        out.append(bytes(obj).decode("utf-8", "replace"))
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            _flatten(k, out, depth + 1)
            _flatten(v, out, depth + 1)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            _flatten(v, out, depth + 1)
    else:
        try:
            out.append(repr(obj))
            out.append(str(obj))
        except Exception as exc:  # a repr that fails cannot leak
            out.append(type(exc).__name__)


def assert_no_canary(haystack: Iterable[Any] | Any, canaries: Iterable[str]) -> None:
    """Fail if any canary (in any of :func:`canary_variants`) occurs anywhere in ``haystack``.

    Whitespace is removed from the haystack too, so a value split over lines is found.
    The failure message names the canary's index and encoding, never the canary itself.
    """
    texts: list[str] = []
    _flatten(haystack if not isinstance(haystack, (str, bytes)) else [haystack], texts)
    blob = "\n".join(texts)
    squashed = re.sub(r"\s+", "", blob)
    for index, value in enumerate(canaries):
        parts = [value]
        if "\n" in value or "=" in value:  # env bundles: each variable's value too
            parts += [line.partition("=")[2] for line in value.splitlines() if "=" in line]
        for part in parts:
            for variant in canary_variants(part):
                squashed_variant = re.sub(r"\s+", "", variant)
                if variant in blob or (len(squashed_variant) >= 12 and squashed_variant in squashed):
                    position = blob.find(variant)
                    raise AssertionError(
                        f"canary #{index} leaked (an encoding of it, {len(variant)} chars) at offset {position}"
                    )
