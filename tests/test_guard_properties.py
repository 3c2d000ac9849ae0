"""Property tests for the guard (hypothesis): nothing registered survives, clean text is untouched,
both engines and the streaming scrubber agree.

A failing example prints the value and the text; reproduce it with
``Guard("aho", patterns=False)`` and compare with ``Guard("hyperscan", patterns=False)``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from oneclaw_tools.guard import Guard, haystack, ignorable
from oneclaw_tools.guard.haystack import Haystack, Locator, one_byte
from oneclaw_tools.guard.ignorable import IGNORABLE, Squeezed, normalize, present
from oneclaw_tools.guard.patterns import detect_all, pattern_mask
from oneclaw_tools.guard.variants import MIN_LEN, expand

SETTINGS = settings(
    max_examples=int(os.environ.get("GUARD_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# values: printable ASCII with symbols, plus some non-ASCII; no ignorable characters
value_chars = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u00ad\u180e\u2060\ufeff"
)
values = st.text(value_chars, min_size=MIN_LEN, max_size=40).filter(lambda v: len(v.strip()) >= MIN_LEN)
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200)


def encode(value: str, how: int, prefix: bytes, split: int) -> str:
    raw = value.encode()
    if how == 0:
        return value
    if how == 1:
        return base64.b64encode(prefix + raw + prefix[:1]).decode()
    if how == 2:
        return base64.urlsafe_b64encode(prefix + raw).decode().rstrip("=")
    if how == 3:
        return urllib.parse.quote(value, safe="")
    if how == 4:
        return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote_plus(value))
    if how == 5:
        return json.dumps(json.dumps({"k": value}))
    if how == 6:
        return raw.hex()
    if how == 7:
        cut = split % (len(value) + 1)
        return value[:cut] + "\n" + value[cut:]
    cut = split % (len(value) + 1)
    return value[:cut] + "\u200b\x00" + value[cut:]


def survivors(value: str, how: int, prefix: bytes, split: int, out: str) -> list[str]:
    """Forms of the value that are still readable in ``out``."""
    found = []
    form = encode(value, how, prefix, split)
    if form in out:
        found.append("form")
    if value in normalize(out):
        found.append("raw")
    view = normalize(out)
    found.extend(needle for needle, _ in expand(value) if needle in view)
    return found


@SETTINGS
@given(
    value=values,
    how=st.integers(0, 8),
    prefix=st.binary(min_size=0, max_size=2),
    split=st.integers(0, 100),
    before=texts,
    after=texts,
)
def test_no_registered_value_survives(
    value: str, how: int, prefix: bytes, split: int, before: str, after: str
) -> None:
    text = before + " " + encode(value, how, prefix, split) + " " + after
    outputs = []
    for engine in ("aho", "hyperscan"):
        g = Guard(engine, patterns=False)
        mask = g.register(value, "h_p")
        out = g.scrub(text)
        assert mask in out
        assert not survivors(value, how, prefix, split, out)
        assert g.contains_secret(text)
        outputs.append(out)
    assert outputs[0] == outputs[1]


@SETTINGS
@given(value=values, text=texts)
def test_text_without_the_value_is_unchanged(value: str, text: str) -> None:
    view = normalize(text)
    assume(not any(needle in view for needle, _ in expand(value)))
    for engine in ("aho", "hyperscan"):
        g = Guard(engine, patterns=False)
        g.register(value, "h_p")
        assert g.scrub(text) is text
        data = text.encode("utf-8", "surrogatepass")
        assert g.scrub_bytes(data) is data
        assert not g.contains_secret(text)


@SETTINGS
@given(
    vals=st.lists(values, min_size=1, max_size=4, unique=True),
    pieces=st.lists(st.tuples(texts, st.integers(0, 3), st.integers(0, 8)), max_size=6),
    prefix=st.binary(max_size=2),
)
def test_engines_identical_on_mixed_text(
    vals: list[str], pieces: list[tuple[str, int, int]], prefix: bytes
) -> None:
    text = "".join(p + encode(vals[i % len(vals)], how, prefix, 7) for p, i, how in pieces)
    outs = []
    for engine in ("aho", "hyperscan"):
        g = Guard(engine, patterns=True)
        for i, v in enumerate(vals):
            g.register(v, f"h_{i}")
        outs.append(g.scrub(text))
    assert outs[0] == outs[1]


@SETTINGS
@given(
    value=values,
    how=st.integers(0, 8),
    before=texts,
    after=texts,
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=20),
)
def test_stream_equals_scrub_and_hides_value(
    value: str, how: int, before: str, after: str, sizes: list[int]
) -> None:
    text = before + encode(value, how, b"x", 5) + after + encode(value, 0, b"", 0)
    g = Guard("aho", patterns=False)
    g.register(value, "h_s")
    stream = g.stream()
    out, pos, i = [], 0, 0
    while pos < len(text):
        size = sizes[i % len(sizes)]
        out.append(stream.feed(text[pos : pos + size]))
        pos += size
        i += 1
    out.append(stream.flush())
    joined = "".join(out)
    assert joined == g.scrub(text)
    assert value not in normalize(joined)


@SETTINGS
@given(
    pieces=st.lists(
        st.one_of(
            st.text(st.sampled_from("ab?é日"), min_size=1, max_size=30),
            st.sampled_from(list(IGNORABLE)),
            st.just("\r\n"),
        ),
        max_size=60,
    ),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_locator_maps_view_offsets_back(pieces: list[str], cuts: list[int]) -> None:
    """The view-to-text mapping (haystack.Locator) against a brute-force position table: a span
    of view characters maps to the text from its first character to its last one."""
    text = "".join(pieces)
    where = [i for i, ch in enumerate(text) if ch not in IGNORABLE]
    assume(len(where) >= 2)
    points = sorted({c % len(where) for c in cuts})
    spans = [(a, b + 1, 0, "m") for a, b in zip(points[::2], points[1::2], strict=False)]
    want = [(where[s], where[e - 1] + 1, 0, "m") for s, e, _, _ in spans]
    block = haystack._BLOCK
    try:
        for haystack._BLOCK in (block, 5):  # tiny blocks: the block jumps on a short text
            hay = Haystack(text)
            hay.view_bytes()  # the byte engine's path
            assert Locator(hay).spans(spans) == want
            hay = Haystack(text)
            hay.view()  # the str engine's path
            assert Locator(hay).spans(spans) == want
            assert hay.view_bytes() == one_byte(hay.view())
    finally:
        haystack._BLOCK = block


@SETTINGS
@given(
    pieces=st.lists(
        st.one_of(
            st.text(st.sampled_from("ab?é日"), min_size=1, max_size=30),
            st.text(st.sampled_from(" \t\x0b\x0c\x1c\x85\xa0\u2003\u3000"), min_size=1, max_size=9),
            st.sampled_from(list(IGNORABLE)),
            st.just("\r\n"),
        ),
        max_size=60,
    ),
    lo=st.integers(0, 400),
    size=st.integers(0, 400),
)
def test_a_squeezed_stretch_maps_its_offsets_back(pieces: list[str], lo: int, size: int) -> None:
    """ignorable.Squeezed (the spelled-out view, the re-indented multi-line search) against a
    brute-force table: its text is the stretch without whitespace and ignorable characters, and
    each of its characters maps back to where it stands, with blocks of 128 and of 5."""
    text = "".join(pieces)
    lo %= len(text) + 1
    hi = lo + size
    kept = [i for i in range(lo, min(hi, len(text))) if not text[i].isspace() and text[i] not in IGNORABLE]
    block = ignorable._COUNT_BLOCK
    try:
        for ignorable._COUNT_BLOCK in (block, 5):
            squeezed = Squeezed(text, lo, hi)
            assert squeezed.text == "".join(text[i] for i in kept)
            assert [squeezed.place(k) for k in range(len(kept))] == kept
            if kept:
                assert squeezed.to_view(0, len(kept)) == (kept[0], kept[-1] + 1)
    finally:
        ignorable._COUNT_BLOCK = block


@SETTINGS
@given(
    text=st.text(st.sampled_from(["a", "?", "\n", "\x00", "é", "日", "\U0001f642", *IGNORABLE]), max_size=40)
)
def test_one_byte_is_the_ascii_replace_encoding(text: str) -> None:
    """haystack.one_byte's zero-width fast path (swap for '?', encode ASCII) must give exactly
    ``encode("ascii", "replace")``; if not, the swap or its ASCII check is wrong."""
    assert one_byte(text) == text.encode("ascii", "replace")
    assert one_byte(text * 50) == (text * 50).encode("ascii", "replace")


@SETTINGS
@given(text=st.text(st.sampled_from(["a", "\n", "é", "Ā", "日", "\U0001f642", *IGNORABLE]), max_size=40))
def test_every_ignorable_is_found_whatever_the_storage_width(text: str) -> None:
    """ignorable.present and the Haystack look only for the wide ignorables a str of its storage
    width can hold (ignorable.wide_candidates: Latin-1, BMP, or any): every one present must
    still be found, on a short text and on one with too many non-ASCII characters to visit."""
    want = tuple(ch for ch in IGNORABLE if ch in text)
    assert present(text) == want
    assert Haystack(text).chars == want
    assert Haystack(text * 70).chars == want


def test_locator_past_many_wide_ignorables(monkeypatch: pytest.MonkeyPatch) -> None:
    """With more wide ignorables than haystack._FEW_WIDE, the view is built from the str view
    (no blocks) and the Locator counts in raw() and bisects the wide positions: same mapping as
    the brute-force table."""
    monkeypatch.setattr(haystack, "_FEW_WIDE", 8)
    text = "".join(f"ab\u200b{i % 10}\n\ufeffé" for i in range(40))
    where = [i for i, ch in enumerate(text) if ch not in IGNORABLE]
    spans = [(a, a + 7, 0, "m") for a in range(0, len(where) - 7, 11)]
    want = [(where[s], where[e - 1] + 1, 0, "m") for s, e, _, _ in spans]
    hay = Haystack(text)
    assert hay.wide_at(haystack._FEW_WIDE) is None and hay.block_starts() is None
    assert hay.view_bytes() == one_byte(normalize(text))
    assert Locator(hay).spans(spans) == want


@SETTINGS
@given(
    text=st.text(st.sampled_from(["a", "?", "\n", "é", "日", *IGNORABLE]), max_size=60),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_masked_equals_plain_replacement(text: str, cuts: list[int]) -> None:
    """Haystack.masked (pieces cut from the ASCII twin where no wide ignorable lies) must equal
    replacing the spans in the text itself; if not, the twin or the bisect over wide positions is
    wrong."""
    points = sorted({c % (len(text) + 1) for c in cuts})
    spans = [(a, b, 0, "[m]") for a, b in zip(points[::2], points[1::2], strict=False)]
    want, pos = [], 0
    for s, e, _, mask in spans:
        want += [text[pos:s], mask]
        pos = e
    want.append(text[pos:])
    assert Haystack(text).masked(spans) == "".join(want)
    assert Haystack(text * 3).masked([]) == text * 3


_LABELS = ["h_1", "password", "secret:x", "AKIAQWERTYUIOPASDFGH", "https://u:p@h", "token", "db/api_key"]
_NEAR = [
    "password=",
    "api_key: ",
    "Bearer ",
    "://user:",
    "@host",
    "secret",
    "\n",
    " ",
    '"',
    "[",
    "]",
    "AKIA",
    "é",
]


@SETTINGS
@given(
    vals=st.lists(values, min_size=1, max_size=3, unique=True),
    labels=st.lists(st.sampled_from(_LABELS), min_size=3, max_size=3),
    pieces=st.lists(st.tuples(st.sampled_from(_NEAR), st.integers(0, 2), st.integers(0, 8)), max_size=8),
)
def test_patterns_run_on_the_masked_text(
    vals: list[str], labels: list[str], pieces: list[tuple[str, int, int]]
) -> None:
    """Pattern candidates are found in the text and moved past the masks (guard._shift); the
    result must equal running every rule over the value-masked text. If this fails, a prefilter
    can match a '[' or ']' (patterns.py) or a mask holds a rule literal _mask_candidates missed."""
    text = "".join(near + encode(vals[i % len(vals)], how, b"x", 3) for near, i, how in pieces)
    for engine in ("aho", "hyperscan"):
        full = Guard(engine)
        plain = Guard(engine, patterns=False)
        for v, label in zip(vals, labels, strict=False):
            full.register(v, label)
            plain.register(v, label)
        masked = plain.scrub(text)
        findings = detect_all(masked)
        want = masked
        for f in reversed(findings):
            want = want[: f.start] + pattern_mask(f.rule) + want[f.end :]
        assert full.scrub(text) == want


@SETTINGS
@given(
    header=st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ-"), min_size=16, max_size=30),
    body=st.text(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
        min_size=20,
        max_size=300,
    ),
    width=st.integers(1, 80),
    rewrap=st.integers(4, 90),
    indent=st.text(st.sampled_from(" \t"), max_size=8),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_multiline_value_indented_and_rewrapped(
    header: str, body: str, width: int, rewrap: int, indent: str, newline: str
) -> None:
    """A multi-line value (a header line, then a body wrapped at ``width``) re-wrapped at another
    width and indented, as in a YAML block: masked whole, indentation before it kept."""
    value = header + "\n" + "\n".join(body[i : i + width] for i in range(0, len(body), width))
    lines = [header] + [body[i : i + rewrap] for i in range(0, len(body), rewrap)]
    shown = newline.join(indent + line for line in lines)
    text = "items:" + newline + "  key: |" + newline + shown + newline + "  other: 1"
    outs = []
    for engine in ("aho", "hyperscan"):
        g = Guard(engine, patterns=False)
        mask = g.register(value, "h_m")
        out = g.scrub(text)
        assert out == "items:" + newline + "  key: |" + newline + indent + mask + newline + "  other: 1"
        outs.append(out)
    assert outs[0] == outs[1]
