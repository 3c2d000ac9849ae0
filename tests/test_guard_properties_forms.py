"""Property tests for the forms of issue 12 (hypothesis): random values, full of JSON-special,
URL-special and non-ASCII characters; every form alone and composed with each of the project's
own wire encodings is masked; both engines agree; text without a secret comes back unchanged.

"Composed" means: the project puts the value on the wire (``http_request`` JSON-escapes a
body, form- or query-encodes parameters), and a host reflects *that* in another form.

Examples are bounded by ``GUARD_EXAMPLES`` (default 40); a failing example prints the value,
the form's name and the text.
"""

from __future__ import annotations

import base64
import codecs
import gzip
import json
import os
import urllib.parse
import zlib
from collections.abc import Callable

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from oneclaw_tools.guard import Guard
from oneclaw_tools.guard.variants import FRAGMENT_RUN, IGNORABLE, MIN_LEN, normalize

SETTINGS = settings(
    max_examples=int(os.environ.get("GUARD_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

SPECIAL = '"\\/\b\f\t&=+%?#: @;,é日€ß\U0001f511'
value_chars = st.one_of(
    st.sampled_from(SPECIAL),
    st.characters(codec="utf-8", categories=("L", "N", "P", "S"), exclude_characters=IGNORABLE),
)
values = st.text(value_chars, min_size=MIN_LEN, max_size=48).filter(lambda v: len(v.strip()) >= MIN_LEN)
texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120)

WIRES: dict[str, Callable[[str], str]] = {
    "none": lambda v: v,
    "json": lambda v: json.dumps(v)[1:-1],
    "json-utf8": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "query": lambda v: urllib.parse.quote_plus(v, safe=""),
}
CF = ("\u200b", "\u2061", "\u2062", "\u2063", "\u2064", "\u202e", "\u2066", "\U000e0020", "\ufeff", "\u00ad")


def form_of(name: str, text: str, k: int) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    pad = bytes(range(1, 1 + k % 5))
    if name == "base64":
        return base64.b64encode(pad[: k % 3] + raw + b"\x00").decode()
    if name == "base64url":
        return base64.urlsafe_b64encode(pad[: k % 3] + raw).decode().rstrip("=")
    if name == "hex":
        return raw.hex() if k % 2 else raw.hex().upper()
    if name == "url":
        return urllib.parse.quote(text, safe="")
    if name == "base32":
        return base64.b32encode(pad + raw).decode()
    if name == "reversed":
        return text[::-1]
    if name == "rot13":
        return codecs.encode(text, "rot13")
    if name == "upper":
        return text.upper()
    if name == "lower":
        return text.lower()
    if name == "spaced":
        return (" " if k % 2 else "\t").join(text)
    if name == "format-separated":
        return CF[k % len(CF)].join(text)
    if name == "rewrapped":
        width = 1 + k % 9
        return "\n".join(text[i : i + width] for i in range(0, len(text), width))
    if name == "json-deep":
        nested = text
        for _ in range(1 + k % 6):
            nested = json.dumps([nested])
        return nested
    if name == "gzip+b64":
        return base64.b64encode(gzip.compress(b"> " + raw)).decode()
    if name == "zlib+b64":
        return base64.urlsafe_b64encode(zlib.compress(raw, 1 + k % 9)).decode()
    raise AssertionError(name)


FORMS = (
    "base64",
    "base64url",
    "hex",
    "url",
    "base32",
    "reversed",
    "rot13",
    "upper",
    "lower",
    "spaced",
    "format-separated",
    "rewrapped",
    "json-deep",
    "gzip+b64",
    "zlib+b64",
)


def readable(value: str, out: str) -> bool:
    view = normalize(out)
    return value in view or normalize(value) in view


@SETTINGS
@given(
    value=values,
    form=st.sampled_from(FORMS),
    wire=st.sampled_from(list(WIRES)),
    k=st.integers(0, 1000),
    before=texts,
    after=texts,
)
def test_every_form_alone_and_composed_with_a_wire_encoding_is_masked(
    value: str, form: str, wire: str, k: int, before: str, after: str
) -> None:
    on_wire = WIRES[wire](value)
    shown = form_of(form, on_wire, k)
    if form in ("upper", "lower", "rot13", "reversed"):
        assume(shown != on_wire)  # nothing changed: the plain case, tested elsewhere
    if form == "spaced":
        assume(not any(ch.isspace() for ch in on_wire[:2]))
    text = before + " " + shown + " " + after
    outs = []
    for engine in ("aho", "hyperscan"):
        g = Guard(engine, patterns=False)
        mask = g.register(value, "h_f")
        out = g.scrub(text)
        assert mask in out, f"{form} of {wire} not masked"
        assert shown not in out
        assert not readable(value, out)
        outs.append(out)
    assert outs[0] == outs[1], "the engines disagree"


@SETTINGS
@given(value=values.filter(lambda v: len(v) >= 32), start=st.integers(0, 100), size=st.integers(0, 100))
def test_any_run_of_24_characters_of_a_long_value_is_masked(value: str, start: int, size: int) -> None:
    size = FRAGMENT_RUN + size % (len(value) - FRAGMENT_RUN + 1)
    start %= len(value) - size + 1
    part = value[start : start + size]
    outs = []
    for engine in ("aho", "hyperscan"):
        g = Guard(engine, patterns=False)
        mask = g.register(value, "h_r")
        for shown in (part, base64.b64encode(part.encode()).decode(), part.encode().hex()):
            out = g.scrub("[" + shown + "]")
            assert mask in out and shown not in out
            outs.append(out)
    assert outs[:3] == outs[3:]


@SETTINGS
@given(value=values, text=texts, blob=st.binary(max_size=300))
def test_text_and_blobs_without_the_value_are_unchanged(value: str, text: str, blob: bytes) -> None:
    b64 = base64.b64encode(blob).decode()
    gz = base64.b64encode(gzip.compress(blob)).decode()
    g = {engine: Guard(engine, patterns=False) for engine in ("aho", "hyperscan")}
    for guard in g.values():
        guard.register(value, "h_u")
    for candidate in (text, b64, gz, text + " " + b64):
        if g["aho"].contains_secret(candidate):
            continue  # the random text happened to hold a form of the value
        for guard in g.values():
            assert guard.scrub(candidate) is candidate
        data = candidate.encode("utf-8", "surrogatepass")
        for guard in g.values():
            assert guard.scrub_bytes(data) is data
    if not g["aho"].contains_secret(blob):
        for guard in g.values():
            assert guard.scrub_bytes(blob) is blob  # an image or other binary: byte-identical


@SETTINGS
@given(
    value=values,
    form=st.sampled_from(FORMS),
    k=st.integers(0, 1000),
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=8),
)
@example(value='000000"0', form="json-deep", k=605, sizes=[1])  # 63 backslashes before the quote
def test_stream_catches_every_form_split_across_chunks(
    value: str, form: str, k: int, sizes: list[int]
) -> None:
    shown = form_of(form, value, k)
    if form in ("upper", "lower", "rot13", "reversed"):
        assume(shown != value)
    text = "begin " + shown + " end"
    g = Guard("aho", patterns=False)
    mask = g.register(value, "h_s")
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
    assert mask in joined and not readable(value, joined)
