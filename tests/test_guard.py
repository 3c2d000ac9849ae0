"""The redaction guard: encodings, overlaps, structure, logging, tiers and threads.

Every test runs on both engines (``aho`` and ``hyperscan``). When one fails for a single
engine, compare ``Guard(engine)._needle_spans`` output for the two: the engines must report the
same occurrences, and all the rest is shared code.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.parse
from typing import Any

import pytest

from oneclaw_tools.guard import Guard, StreamScrubber
from oneclaw_tools.guard.variants import MIN_LEN

ENGINES = ["aho", "hyperscan"]
V = "Sup3r-S3cret/Value+42"
W = "an0ther:Secr3t!value"


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def guard(engine: str) -> Guard:
    g = Guard(engine, patterns=False)
    g.register(V, "h_v")
    g.register(W, "h_w")
    return g


def forms(value: str) -> list[str]:
    raw = value.encode()
    mid = len(value) // 2
    return [
        value,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        "Basic " + base64.b64encode(b"user:" + raw).decode(),
        base64.b64encode(b"x" + raw + b"yz").decode(),
        base64.b64encode(b"xy" + raw).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe" + raw + b"\xfb").decode(),
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value),
        urllib.parse.quote_plus(value),
        urllib.parse.quote(value, safe="").replace("%2F", "%2f").replace("%2B", "%2b").replace("%3A", "%3a"),
        f"https://api.example.com/v1?key={urllib.parse.quote(value, safe='')}&x=1",
        f"https://user:{urllib.parse.quote(value, safe='')}@host/db",
        json.dumps({"token": value}),
        json.dumps({"token": value}).replace("/", "\\/"),
        json.dumps(json.dumps({"token": value})),
        json.dumps({"outer": json.dumps({"inner": json.dumps({"token": value})})}),
        raw.hex(),
        raw.hex().upper(),
        repr(value),
        value.replace("\\", "\\\\").replace('"', '\\"'),
        "export TOKEN=" + value.replace("!", "\\!"),
        value[:mid] + "\n" + value[mid:],
        value[:mid] + "\r\n" + value[mid:],
        value[:3] + "\x00" + value[3:7] + "\u200b" + value[7:] + "\ufeff",
        "«" + value + "» — ünïcödé",
    ]


def assert_clean(out: str, *values: str) -> None:
    for value in values:
        for form in forms(value):
            assert form not in out, "an encoded value survived"
        assert value not in out.replace("\n", "").replace("\x00", "")
        for i in range(len(value) - 8):  # no 9-character fragment of the value
            assert value[i : i + 9] not in out, "a fragment of a value survived"


@pytest.mark.parametrize("index", range(len(forms(V))))
def test_every_encoding_is_masked(guard: Guard, index: int) -> None:
    form = forms(V)[index]
    out = guard.scrub(f"before {form} after")
    assert "[secret:h_v]" in out
    assert_clean(out, V)
    assert out.startswith("before ") and out.endswith(" after")


def test_text_without_secret_is_the_same_object(guard: Guard) -> None:
    text = "nothing to see here\n" * 50 + json.dumps({"a": [1, 2, "Sup3r"]})
    assert guard.scrub(text) is text
    data = bytes(range(256)) * 20
    assert guard.scrub_bytes(data) is data
    obj: dict[str, Any] = {"k": ["x", b"\x89PNG\r\n", ("t", 1)], "n": None}
    assert guard.scrub_obj(obj) is obj
    assert not guard.contains_secret(obj)


def test_scrub_bytes_binary_with_secret(guard: Guard) -> None:
    data = b"\x89PNG\r\n\x1a\n\xff\xfe" + V.encode() + b"\x00\x80tail"
    out = guard.scrub_bytes(data)
    assert out == b"\x89PNG\r\n\x1a\n\xff\xfe[secret:h_v]\x00\x80tail"


def test_scrub_obj_keys_values_and_containers(guard: Guard) -> None:
    obj: dict[str, Any] = {V: [W, (1, V.encode())], "json": json.dumps({"t": V}), "keep": {"a": 1}}
    out = guard.scrub_obj(obj)
    assert out == {
        "[secret:h_v]": ["[secret:h_w]", (1, b"[secret:h_v]")],
        "json": '{"t": "[secret:h_v]"}',
        "keep": {"a": 1},
    }
    assert out["keep"] is obj["keep"]
    assert json.loads(out["json"]) == {"t": "[secret:h_v]"}
    assert guard.contains_secret(obj)
    assert guard.contains_secret({"x": [json.dumps(json.dumps(V))]})
    assert guard.contains_secret(base64.b64encode(b"u:" + V.encode()))


@pytest.mark.parametrize(
    ("a", "b", "text"),
    [
        ("abcdefghij", "abcdefghijKLMNOP", "x abcdefghijKLMNOP y"),  # prefix
        ("KLMNOPQRST", "abcdefKLMNOPQRST", "x abcdefKLMNOPQRST y"),  # suffix
        ("defghijklm", "abcdefghijklmnop", "x abcdefghijklmnop y"),  # substring
        ("abcdefghijklm", "ghijklmnopqrst", "x abcdefghijklmnopqrst y"),  # A ends where B starts
        ("abcdefghijklm", "nopqrstuvwxyz", "x abcdefghijklmnopqrstuvwxyz y"),  # adjacent
    ],
)
def test_overlapping_values(engine: str, a: str, b: str, text: str) -> None:
    for first, second in ((a, b), (b, a)):  # registration order must not matter
        g = Guard(engine, patterns=False)
        g.register(first, "h_1")
        g.register(second, "h_2")
        out = g.scrub(text)
        assert out.startswith("x [secret:h_") and out.endswith("] y")
        assert_clean(out, a, b)


def test_merged_span_takes_the_longest_label(engine: str) -> None:
    g = Guard(engine, patterns=False)
    g.register("abcdefghij", "h_short")
    g.register("abcdefghijKLMNOP", "h_long")
    assert g.scrub("abcdefghijKLMNOP") == "[secret:h_long]"
    assert g.scrub("abcdefghij!") == "[secret:h_short]!"


def test_mask_is_stable_and_labels_are_sanitized(engine: str) -> None:
    g = Guard(engine)
    m = g.register(V, "h_3fa9")
    assert m == "[secret:h_3fa9]"
    assert g.register(V, "h_other") == m
    auto = g.register(W)
    assert auto.startswith("[secret:v_") and g.register(W) == auto
    assert g.register("x" * 20, 'bad"label]\n') == "[secret:bad_label__]"
    assert len(g) == 3
    text = repr(g)
    assert V not in text and W not in text and "values=3" in text


def test_multiline_value_rewrapped_and_per_line(engine: str) -> None:
    body = base64.b64encode(bytes(range(200))).decode()
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem += "\n-----END CERTIFICATE-----"
    g = Guard(engine, patterns=False)
    g.register(pem, "h_pem")
    rewrapped = "-----BEGIN CERTIFICATE-----\r\n" + "\r\n".join(
        body[i : i + 76] for i in range(0, len(body), 76)
    )
    rewrapped += "\r\n-----END CERTIFICATE-----"
    assert g.scrub("cert:\n" + rewrapped + "\nok") == "cert:\n[secret:h_pem]\nok"
    indented = "\n".join("    " + line for line in pem.splitlines())
    assert g.scrub("key: |\n" + indented + "\nnext: 1") == "key: |\n    [secret:h_pem]\nnext: 1"
    # indented and re-wrapped at another width, tabs and CRLF: no line kept its shape but the first
    yaml = "key: |\r\n" + "\r\n".join("\t  " + line for line in rewrapped.splitlines()) + "\r\nnext: 1"
    assert g.scrub(yaml) == "key: |\r\n\t  [secret:h_pem]\r\nnext: 1"
    # cut short: the lines that are there are still masked one by one
    cut = "\n".join("  " + line for line in pem.splitlines()[:3])
    out = g.scrub(cut)
    assert all(line not in out for line in pem.splitlines()[1:3]) and out.count("[secret:h_pem]") == 3
    assert json.dumps(pem)[1:-1] not in g.scrub(json.dumps({"pem": pem}))


def test_short_values_only_at_word_boundaries(engine: str, caplog: pytest.LogCaptureFixture) -> None:
    g = Guard(engine, patterns=False)
    with caplog.at_level(logging.WARNING, logger="oneclaw_tools.guard"):
        mask = g.register("Zq9!x", "h_pin")
    assert len("Zq9!x") < MIN_LEN
    assert any("h_pin" in r.getMessage() for r in caplog.records)
    assert all("Zq9!x" not in r.getMessage() for r in caplog.records)
    assert g.scrub("pin Zq9!x.") == f"pin {mask}."
    assert g.scrub("pinZq9!x") == "pinZq9!x"
    assert g.scrub("Zq9!x9") == "Zq9!x9"
    assert g.scrub("Zq9!x") == mask
    g.register("", "h_empty")  # accepted, warned, matches nothing
    assert g.scrub("abc") == "abc"


def test_logging_filter_scrubs_message_args_and_traceback(guard: Guard) -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    logger = logging.getLogger("test_guard.filter")
    handler = Collect()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(guard.logging_filter())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s and %r", V, {"k": W})
        try:
            raise ValueError(f"bad {V}")
        except ValueError:
            logger.exception("failed with %s", base64.b64encode(V.encode()).decode())
    finally:
        logger.removeHandler(handler)
    joined = "\n".join(records)
    assert "[secret:h_v]" in joined and "[secret:h_w]" in joined and "Traceback" in joined
    assert_clean(joined, V, W)


def test_patterns_are_masked_after_values(engine: str) -> None:
    g = Guard(engine)
    g.register("AKIAIOSFODNN7EXAMPLE", "h_aws")
    out = g.scrub("known AKIAIOSFODNN7EXAMPLE other AKIAZZZZZZZZZZZZZZZZ password=hunter2222")
    assert out == (
        "known [secret:h_aws] other [secret:pattern:aws-access-key-id] password=[secret:pattern:password-assignment]"
    )
    plain = Guard(engine, patterns=False)
    assert plain.scrub("AKIAZZZZZZZZZZZZZZZZ") == "AKIAZZZZZZZZZZZZZZZZ"


def test_tiers_merge_in_background_and_stay_correct(engine: str) -> None:
    g = Guard(engine, patterns=False)
    values = [f"value-{i:05d}-{'x' * (i % 7)}-tail" for i in range(400)]
    masks = [g.register(v, f"h_{i}") for i, v in enumerate(values)]
    text = " | ".join(values)
    expected = " | ".join(masks)
    assert g.scrub(text) == expected
    g.compact()
    assert g._state.recent == () and g._state.main is not None
    assert g.scrub(text) == expected
    late = g.register("late-value-0123456789", "h_late")
    assert g.scrub("a late-value-0123456789 b") == f"a {late} b"


def test_concurrent_registration_and_scrubbing(engine: str) -> None:
    g = Guard(engine, patterns=False)
    errors: list[BaseException] = []
    values = [f"thread-secret-{i:04d}-{'q' * (i % 5)}" for i in range(300)]

    def register(chunk: list[str]) -> None:
        try:
            for v in chunk:
                mask = g.register(v, None)
                assert g.scrub(f"<{v}>") == f"<{mask}>"
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(values[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    g.compact()
    out = g.scrub(" ".join(values))
    assert all(v not in out for v in values)


def test_stream_catches_values_split_across_chunks(guard: Guard) -> None:
    text = "".join(
        f"line {i} " + (forms(V)[i % len(forms(V))] if i % 3 == 0 else "plain") + "\n" for i in range(60)
    )
    for size in (1, 3, 7, 64, 1000):
        stream = guard.stream()
        assert isinstance(stream, StreamScrubber)
        out = "".join(stream.feed(text[i : i + size]) for i in range(0, len(text), size)) + stream.flush()
        assert out == guard.scrub(text)
        assert_clean(out, V)


def test_unknown_engine_and_bad_input(engine: str) -> None:
    with pytest.raises(ValueError, match="unknown guard engine"):
        Guard("re2")
    g = Guard(engine)
    with pytest.raises(TypeError) as info:
        g.register(b"bytes-value-123456", "h")  # type: ignore[arg-type]
    assert "bytes-value" not in str(info.value)
    with pytest.raises(TypeError):
        g.scrub(b"x")  # type: ignore[arg-type]


def test_non_ascii_needles_are_verified(engine: str) -> None:
    """The byte view reads every non-ASCII character as ``?``: a needle holding one (or a real
    ``?``) is checked against the text, so look-alikes with another character stay untouched."""
    g = Guard(engine, patterns=False)
    g.register("pässwört-geheim-12", "h_u")
    g.register("what?is-this-value", "h_q")
    text = (
        "a pässwört-geheim-12 b p?sswört-geheim-12 c pÄsswört-geheim-12 "
        "d whatéis-this-value e what?is-this-value"
    )
    assert g.scrub(text) == (
        "a [secret:h_u] b p?sswört-geheim-12 c pÄsswört-geheim-12 d whatéis-this-value e [secret:h_q]"
    )


def test_many_invisible_characters(engine: str) -> None:
    """More zero-width characters than the byte view blanks one by one: the str view is used."""
    g = Guard(engine, patterns=False)
    g.register("Zero-Width-Secret-42", "h_z")
    salted = "\u200b".join("Zero-Width-Secret-42")
    filler = "x\u200b" * 5000
    assert g.scrub(filler + salted + "\r\n" + filler) == filler + "[secret:h_z]\r\n" + filler
    assert g.scrub("\x00\n" + salted + "\x00") == "\x00\n[secret:h_z]\x00"


@pytest.mark.parametrize("wide", [False, True])
def test_long_text_maps_every_split_value_back_exactly(engine: str, wide: bool) -> None:
    """Text of many view blocks (see ``haystack._BLOCK``) with a line break every few words:
    values broken by line breaks, CR and zero-width characters, some straddling a block edge,
    are each replaced exactly, and everything else comes back untouched."""
    import random

    from oneclaw_tools.guard.haystack import _BLOCK

    rng = random.Random(7)
    values = [f"Blk{i:02d}-" + "".join(rng.choice("QWXZqwxz2345") for _ in range(20)) for i in range(24)]
    g = Guard(engine, patterns=False)
    for i, v in enumerate(values):
        g.register(v, f"h_{i}")
    filler_words = "alpha beta gamma delta\n" if not wide else "alpha béta gamma\u200b delta\n"
    pieces: list[str] = []
    expected: list[str] = []
    length = 0
    for i, v in enumerate(values):
        # put every other value so that it straddles the next block edge
        target = (length // _BLOCK + 1) * _BLOCK - (len(v) // 2) if i % 2 else length + rng.randint(500, 9000)
        filler = (filler_words * (max(0, target - length) // len(filler_words) + 1))[
            : max(1, target - length)
        ]
        cut = rng.randint(1, len(v) - 1)
        broken = v[:cut] + rng.choice(["\n", "\r\n", "\n\u200b", "\u200b"]) + v[cut:]
        pieces += [filler, broken]
        expected += [filler, f"[secret:h_{i}]"]
        length += len(filler) + len(broken)
    pieces.append("\nthe end")
    expected.append("\nthe end")
    text = "".join(pieces)
    assert len(text) > 10 * _BLOCK
    assert g.scrub(text) == "".join(expected)


def test_multiline_value_indented_many_times_in_a_long_text(engine: str) -> None:
    """Each indented copy of a multi-line value, far apart or back to back, is masked whole."""
    body = base64.b64encode(bytes(range(150))).decode()
    pem = "-----BEGIN TEST KEY-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    g = Guard(engine, patterns=False)
    mask = g.register(pem, "h_k")
    copy = "\n".join("      " + line for line in pem.splitlines())
    far = "filler line of ordinary words\n" * 400
    text = far + copy + "\n" + copy + "\n" + far + copy + "\n" + far
    want = far + "      " + mask + "\n      " + mask + "\n" + far + "      " + mask + "\n" + far
    assert g.scrub(text) == want


def test_values_stay_caught_while_tiers_fold_and_the_main_tier_is_rebuilt(engine: str) -> None:
    """Enough values, added one by one, for the background workers to fold recent tiers and
    rebuild the main tier; a second thread checks, all along, that every value added so far is
    masked, and the tiers never pile up."""
    import hashlib
    import random
    import time

    from oneclaw_tools.guard import tiers as tiers_module

    g = Guard(engine, patterns=False)
    values = [f"grow-{i:05d}-" + hashlib.sha256(str(i).encode()).hexdigest()[:26] for i in range(1600)]
    masks: list[str] = []
    done = threading.Event()
    problems: list[str] = []
    mains = set()
    most_tiers = 0

    def check() -> None:
        nonlocal most_tiers
        rng = random.Random(1)
        while not done.is_set():
            upto = len(masks)
            if not upto:
                continue
            picked = [rng.randrange(upto) for _ in range(20)]
            out = g.scrub(" ".join(values[i] for i in picked))
            if out != " ".join(masks[i] for i in picked):
                problems.append(f"values {picked} not all masked")
            st = g._state
            mains.add(id(st.main))
            most_tiers = max(most_tiers, len(st.recent))

    checker = threading.Thread(target=check)
    checker.start()
    try:
        for i, v in enumerate(values):
            masks.append(g.register(v, f"h_{i}"))
        deadline = time.monotonic() + 60
        while not g._tiers.idle() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        done.set()
        checker.join()
    assert not problems, problems[:3]
    st = g._state
    assert st.count > 2 * tiers_module.MAIN_MIN
    assert st.main_upto > tiers_module.MAIN_MIN  # the workers built the main tier behind the adds
    assert mains - {id(None)}, "the checker never saw a main tier"
    # Values come ~1,000 a second here, far faster than any session adds them and faster than
    # the merger folds: registrations fold too, so the tiers stay few and fold back afterwards.
    assert most_tiers <= 64 and len(st.recent) <= 3
    assert g.scrub(" ".join(values)) == " ".join(masks)


def test_the_guard_state_repr_holds_no_value(engine: str) -> None:
    """An assertion or a debugger that prints the guard's state shows no value."""
    g = Guard(engine, patterns=False)
    g.register("tiny-1", "h_s")  # a short value, kept raw
    g.register("first line of it\nsecond line here", "h_m")  # a multi-line value
    g.register(V, "h_v")
    shown = repr(g._state) + repr(g)
    for part in ("tiny-1", "first", "second", "lineofit", V):
        assert part not in shown
