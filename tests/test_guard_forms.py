"""The guard's forms beyond the classic encodings (issue 12), fragments of long values, and size.

Every test runs on both engines and compares their outputs. A failure names the form: look it
up in ``oneclaw_tools/guard/variants.py`` (needle forms), ``derived.py`` (spaced-out, deep JSON,
compressed) or ``fragments.py`` (anchors of long values).
"""

from __future__ import annotations

import base64
import codecs
import gzip
import itertools
import json
import logging
import os
import random
import string
import urllib.parse
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneclaw_tools.guard import Guard, derived
from oneclaw_tools.guard.anchors import anchors
from oneclaw_tools.guard.engines import make_tier
from oneclaw_tools.guard.haystack import Haystack
from oneclaw_tools.guard.ignorable import IGNORABLE, normalize
from oneclaw_tools.guard.variants import FRAGMENT_FULL, FRAGMENT_RUN, Form, forms, whole_forms

ENGINES = ("aho", "hyperscan")
SHORT = "Sup3r-S3cret/Value+42"  # under 32 characters: whole needles
LONG = "L0ng_" + "".join(random.Random(7).choice(string.ascii_letters + string.digits) for _ in range(59))
SPECIAL = 'p@ss "wörd" \\ / + & = ? é\n日本 tail'  # JSON-, URL-special and non-ASCII
VALUES = (SHORT, LONG, SPECIAL)


def scrub_both(values: tuple[str, ...], text: str) -> tuple[str, list[str]]:
    """``text`` scrubbed by a guard of each engine (identical outputs), and the masks. Each
    engine runs twice: with the values in a recent tier (a separate trigger pass), and compacted
    into a main tier, whose scan is the trigger pass too (``derived.from_hits``)."""
    outs, masks = [], []
    for engine in ENGINES:
        for main in (False, True):
            g = Guard(engine, patterns=False)
            masks = [g.register(v, f"h_{i}") for i, v in enumerate(values)]
            if main:
                g.compact()
            outs.append(g.scrub(text))
    assert all(out == outs[0] for out in outs), "the engines (or the tiers) disagree"
    return outs[0], masks


def b64_at(data: bytes, align: int, urlsafe: bool = False) -> str:
    blob = b"\xa7" * align + data + b"\x01\x02"
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(blob).decode()


def b32_at(data: bytes, align: int) -> str:
    return base64.b32encode(b"\x93" * align + data + b"!").decode()


def new_forms(value: str) -> dict[str, str]:
    data = value.encode()
    out = {f"base32@{a}": b32_at(data, a) for a in range(5)}
    out |= {
        "reversed": value[::-1],
        "rot13": codecs.encode(value, "rot13"),
        "upper": value.upper(),
        "lower": value.lower(),
        "spaced": " ".join(value.replace("\n", "")),
        "tabbed": "\t".join(value.replace("\n", "")),
        "wrapped": "\n".join(value[i : i + 7] for i in range(0, len(value), 7)),
        "crlf-wrapped": "\r\n".join(value[i : i + 5] for i in range(0, len(value), 5)),
        "gzip+b64": base64.b64encode(gzip.compress(b"log: " + data + b" end")).decode(),
        "zlib+b64": base64.b64encode(zlib.compress(data)).decode(),
        "zlib+b64url": base64.urlsafe_b64encode(zlib.compress(b"{" + data + b"}", 9)).decode(),
        "gzip+hex": gzip.compress(data).hex(),
    }
    for sep in ("\u2061", "\u2062", "\u2063", "\u2064", "\u202e", "\u061c", "\U000e0041", "\u00ad"):
        out[f"sep U+{ord(sep):04X}"] = sep.join(value)
    nested = value
    for depth in range(1, 7):
        nested = json.dumps({"k": nested})
        out[f"json depth {depth}"] = nested
    return out


def wire_composites(value: str) -> dict[str, str]:
    """Encodings of what the project's own tools put on the wire for ``value``."""
    out = {}
    for name, wire in (
        ("json", json.dumps(value)[1:-1]),
        ("json-utf8", json.dumps(value, ensure_ascii=False)[1:-1]),
        ("query", urllib.parse.quote_plus(value)),
        ("body", json.dumps({"password": value})),
    ):
        raw = wire.encode()
        out[f"{name}+b64"] = base64.b64encode(b"x" + raw).decode()
        out[f"{name}+b64url"] = base64.urlsafe_b64encode(raw).decode()
        out[f"{name}+hex"] = raw.hex()
        out[f"{name}+url"] = urllib.parse.quote(wire, safe="")
    return out


@pytest.mark.parametrize("value", VALUES, ids=("short", "long", "special"))
def test_every_new_form_and_every_wire_composite_is_masked(value: str) -> None:
    cases = new_forms(value) | wire_composites(value)
    for name, form in cases.items():
        if name in ("upper", "lower", "rot13") and form == value:
            continue
        text = f"before {form} after"
        out, masks = scrub_both((value,), text)
        assert masks[0] in out, f"{name}: not masked: {out!r}"
        assert form not in out, f"{name}: survived"
        assert value not in normalize(out), f"{name}: the value is readable"
        assert out.startswith("before ") and out.endswith(" after"), f"{name}: too much masked: {out!r}"


def test_a_passphrase_of_short_words_spelled_out_is_masked() -> None:
    """No piece between its spaces is 5 characters long, so only the spelled-out space itself
    (``derived.py``: ``_SPACED_WS``) tells the guard to read the text without whitespace."""
    for value in ("my cat is 42 ok", 'pw" 12\tab\x0cq'):
        for sep in (" ", "\t"):
            shown = sep.join(value)
            out, masks = scrub_both((value,), f"say {shown} now")
            assert masks[0] in out and shown not in out, f"{value!r} spelled out with {sep!r}"
            assert "".join(value.split()) not in "".join(out.split())


def test_a_value_at_any_alignment_inside_base32_and_base64() -> None:
    value = LONG
    for align in range(5):
        for form in (
            b32_at(value.encode(), align),
            b64_at(value.encode(), align % 3, urlsafe=bool(align % 2)),
        ):
            out, masks = scrub_both((value,), "x " + form + " y")
            assert masks[0] in out and form not in out


def test_case_forms_only_for_values_of_eight_characters_or_more() -> None:
    g = Guard("aho", patterns=False)
    g.register("Ab1234", "h_s")  # short: raw, whole word only
    assert g.scrub("AB1234 ab1234") == "AB1234 ab1234"
    assert g.scrub("x Ab1234 y") == "x [secret:h_s] y"


def test_every_format_character_is_ignorable() -> None:
    import sys
    import unicodedata

    cf = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert cf <= set(IGNORABLE), sorted(hex(ord(c)) for c in cf - set(IGNORABLE))


def runs(value: str, size: int) -> set[str]:
    return {value[i : i + size] for i in range(len(value) - size + 1)}


@pytest.mark.parametrize("length", [32, 64, 500, 5000])
def test_any_run_of_24_characters_of_a_long_value_is_masked(length: int) -> None:
    rng = random.Random(length)
    value = "".join(rng.choice(string.ascii_letters + string.digits + "-_.~") for _ in range(length))
    for _ in range(6):
        size = rng.randint(FRAGMENT_RUN, length)
        start = rng.randint(0, length - size)
        part = value[start : start + size]
        for name, shown in (
            ("raw", part),
            ("b64", base64.b64encode(b"ab" + part.encode()).decode()),
            ("hex", part.encode().hex()),
            ("json", json.dumps({"t": part})),
        ):
            out, masks = scrub_both((value,), "log: " + shown + " (truncated)")
            assert masks[0] in out, f"{name} run {start}+{size} not masked"
            view = normalize(out)
            assert not runs(part, 12) & {view[i : i + 12] for i in range(len(view) - 11)}, (
                f"{name} run {start}+{size}: 12 characters of it survive"
            )


def test_a_value_with_one_character_changed_shows_nothing_of_the_rest() -> None:
    value = LONG
    for at in (0, 10, 31, 50, len(value) - 1):
        changed = value[:at] + ("#" if value[at] != "#" else "%") + value[at + 1 :]
        out, masks = scrub_both((value,), f"key={changed};")
        rest = out.replace(masks[0], "\x00")
        assert all(len(piece) < FRAGMENT_RUN for piece in rest.split("\x00")[1:-1])
        assert not runs(value, FRAGMENT_RUN) & {out[i : i + FRAGMENT_RUN] for i in range(len(out))}


def test_a_pem_body_quoted_in_part_is_masked() -> None:
    body = base64.b64encode(random.Random(3).randbytes(600)).decode()
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    pem += "\n-----END PRIVATE KEY-----\n"
    lines = pem.splitlines()
    quoted = "the key starts:\n" + "\n".join(lines[3:7]) + "\n..."
    out, masks = scrub_both((pem,), quoted)
    assert masks[0] in out
    assert all(line not in out for line in lines[3:7])


def test_invisible_characters_at_most_double_a_values_anchors() -> None:
    """A value salted with zero-width characters (one a character: a model storing a value to
    make registration costly) has the step of its raw form shortened by at most half
    (``variants.forms``): about twice the anchors of the same value without them (2.1 times
    here, each placed among the last places its step allows), not one anchor a character; its
    other forms are as long as its encodings, so linear in its size. Its forms print without it."""
    rng = random.Random(21)
    plain = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(4000))
    salted = "\u200b".join(plain)

    def raw_anchors(value: str) -> int:
        return len(list(anchors(next(form for form in forms(value) if form.text == plain))))

    assert raw_anchors(salted) <= 2.5 * raw_anchors(plain)
    assert all(plain[:24] not in repr(form) for form in forms(salted))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_every_run_of_24_characters_of_a_pem_is_masked_across_its_line_breaks(
    engine: str, newline: str
) -> None:
    """A run across a line break is shorter in the view, where matching happens (the break is
    dropped there): the forms of a value holding line breaks have their anchors closer
    (``variants._hidden``). Also a 33-character value with two of them (31 visible)."""
    body = base64.b64encode(random.Random(4).randbytes(300)).decode()
    pem = newline.join(["-----BEGIN PRIVATE KEY-----", *(body[i : i + 64] for i in range(0, len(body), 64))])
    pem += newline + "-----END PRIVATE KEY-----" + newline
    short = "W/Ktt€nGc7YD\nYa\tF2uwREj\n=uwW?c B2"
    for value in (pem, short):
        g = Guard(engine, patterns=False)
        mask = g.register(value, "h_pem")
        for start in range(len(value) - FRAGMENT_RUN + 1):
            part = value[start : start + FRAGMENT_RUN]
            if part.strip() != part:
                continue  # a run, not the text's padding
            out = g.scrub("quoted: " + part + " ...")
            assert mask in out and part not in out, f"the run at {start} of a {len(value)}-character value"


def test_beyond_64_kb_whole_values_and_long_runs_are_caught() -> None:
    """Above FRAGMENT_FULL the anchors thin out (see variants.py): the whole value, a long run of
    it and its base64 are caught; a run shorter than anchor + step may show."""
    rng = random.Random(11)
    value = "".join(rng.choice(string.ascii_letters) for _ in range(100_000))
    assert len(value) > FRAGMENT_FULL
    raw = next(f for f in forms(value) if f.text == value)
    caught = raw.anchor + raw.step - 1
    for shown in (
        value,
        value[1234 : 1234 + caught],
        value[50_000:],
        base64.b64encode(value.encode()).decode(),
        value[::-1],
        json.dumps({"v": value}),
    ):
        out, masks = scrub_both((value,), "<" + shown + ">")
        assert masks[0] in out and shown not in out


@pytest.mark.parametrize("engine", ENGINES)
def test_beyond_64_kb_each_line_of_a_value_is_caught_alone(engine: str) -> None:
    """A certificate bundle over FRAGMENT_FULL: each line of 24 characters or more ends with an
    anchor of its own (``Form.line_ends``), so a line quoted alone is masked, and so is the
    bundle re-indented, whole (the lines' masks widen to the value); the form's step anchors
    alone would catch one line in ten."""
    body = base64.b64encode(random.Random(12).randbytes(60_000)).decode()
    lines = []
    for n in range(4):
        lines += [
            "-----BEGIN CERTIFICATE-----",
            *(body[i : i + 64] for i in range(n * 20_000, (n + 1) * 20_000, 64)),
        ]
        lines.append("-----END CERTIFICATE-----")
    value = "\r\n".join(lines) + "\r\n"
    assert len(value) > FRAGMENT_FULL
    g = Guard(engine, patterns=False)
    mask = g.register(value, "h_bundle")
    for line in lines:
        if len(line) >= FRAGMENT_RUN:
            out = g.scrub("line: " + line + " (quoted)")
            assert mask in out and line not in out, line
    indented = "bundle:\n" + "".join("    " + line + "\n" for line in lines)
    assert g.scrub(indented) == "bundle:\n    " + mask + "\n"


@pytest.mark.parametrize("engine", ENGINES)
def test_sizes_register_fast_enough_to_finish_and_mask_whole(engine: str) -> None:
    """1 MiB random and repetitive values, a 200,000-character repetitive one, and a 20,000
    character one (over Vectorscan's literal limit): registered and masked whole. No timing is
    asserted (see bench/guard.py); a quadratic registration would make this test time out."""
    for value in (
        base64.b64encode(os.urandom(786_432)).decode(),
        "y" * (1 << 20),
        "y" * 200_000,
        "z" * 20_000,
        "ab" * 10_000,
    ):
        g = Guard(engine, patterns=False)
        mask = g.register(value, "h_big")
        out = g.scrub("head " + value + " tail")
        assert out == "head " + mask + " tail"


def test_a_value_the_engine_refuses_is_not_learned(monkeypatch: pytest.MonkeyPatch) -> None:
    from oneclaw_tools.guard import tiers as tiers_module

    g = Guard("aho", patterns=False)
    g.register(SHORT, "h_a")

    def refuse(*_: object) -> object:
        raise RuntimeError("engine says no")

    monkeypatch.setattr(tiers_module, "make_tier", refuse)
    with pytest.raises(ValueError, match="could not learn") as err:
        g.register(LONG, "h_b")
    assert LONG not in str(err.value)
    monkeypatch.undo()
    assert len(g) == 1 and g.scrub(f"{SHORT} {LONG}") == f"[secret:h_a] {LONG}"
    assert g.register(LONG, "h_b") == "[secret:h_b]"
    assert g.scrub(LONG) == "[secret:h_b]"


def test_a_refused_value_leaves_the_registry_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refused value shares an anchor with a known one: the known anchor's places, the masks
    and the anchors are exactly as before (registry.py: ``mark`` / ``rollback`` and the journal)."""
    from oneclaw_tools.guard import tiers as tiers_module

    g = Guard("aho", patterns=False)
    g.register(LONG, "h_a")
    reg = g._registry
    before = (list(reg.places), dict(reg.masks), dict(reg._anchor_ids), len(reg.needles), len(reg.forms))

    def refuse(*_: object) -> object:
        raise RuntimeError("engine says no")

    monkeypatch.setattr(tiers_module, "make_tier", refuse)
    sharing = LONG[:24] + "-and-then-something-else-entirely"
    with pytest.raises(ValueError, match="could not learn"):
        g.register(sharing, "h_b")
    after = (list(reg.places), dict(reg.masks), dict(reg._anchor_ids), len(reg.needles), len(reg.forms))
    assert after == before
    monkeypatch.undo()
    assert g.register(sharing, "h_b") == "[secret:h_b]"
    assert g.scrub(f"{LONG} {sharing}") == "[secret:h_a] [secret:h_b]"


def test_clean_text_and_binary_blobs_come_back_as_the_same_objects() -> None:
    blob = base64.b64encode(gzip.compress(os.urandom(3000))).decode()
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    texts = [
        "plain words, a b c d e f g h, and \\\\\\\\ backslashes",
        blob,
        "H4sI" + blob[4:],
        "eJw" + blob[:200],
        json.dumps(json.dumps(json.dumps({"a": "b\\c"}))),
    ]
    for engine in ENGINES:
        g = Guard(engine, patterns=False)
        for v in VALUES:
            g.register(v)
        for text in texts:
            assert g.scrub(text) is text
        assert g.scrub_bytes(png) is png
        image = {"image": base64.b64encode(png).decode(), "meta": [1, "x"]}
        assert g.scrub_obj(image) is image


@pytest.mark.parametrize("engine", ENGINES)
def test_stream_catches_every_new_form_split_across_chunks(engine: str) -> None:
    g = Guard(engine, patterns=False)
    masks = [g.register(v, f"h_{i}") for i, v in enumerate(VALUES)]
    for value in VALUES:
        for name, form in new_forms(value).items():
            if form == value:
                continue
            text = "start " + form + " middle " + form + " end"
            for size in (1, 7, 64):
                stream = g.stream()
                pieces = [stream.feed(text[i : i + size]) for i in range(0, len(text), size)]
                out = "".join(pieces) + stream.flush()
                assert out == g.scrub(text), f"{name} in chunks of {size}"
                assert value not in normalize(out) and form not in out, f"{name} in chunks of {size}"
                assert any(m in out for m in masks)


def test_the_legacy_switch_drops_only_the_new_forms() -> None:
    g = Guard("aho", patterns=False)
    g._legacy_forms = True
    g.register(LONG, "h_l")
    assert g.scrub(LONG) == "[secret:h_l]"
    assert g.scrub(LONG[::-1]) == LONG[::-1]


def test_short_value_warning_names_no_value(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="oneclaw_tools.guard"):
        Guard("aho").register("pw12", "h_x")
    assert any("shorter than 8" in r.getMessage() for r in caplog.records)
    assert all("pw12" not in r.getMessage() for r in caplog.records)


def test_a_short_value_with_a_line_break_is_caught_in_its_encodings() -> None:
    """Seven visible characters and a line break: a short value (masked raw only as a whole
    word), but its base64, hex and URL encodings carry the break and are long enough to be
    needles of their own."""
    value = "D1YH\r\nWx"
    data = value.encode()
    for shown in (
        base64.b64encode(data).decode(),
        base64.b64encode(b"a" + data).decode(),
        data.hex(),
        urllib.parse.quote(value, safe=""),
        json.dumps(value)[1:-1],
    ):
        out, masks = scrub_both((value,), "got " + shown + " back")
        # at most the one base64 character that encodes only the byte in front is left
        assert masks[0] in out and len(out) <= len("got  back") + len(masks[0]) + 1, shown
    out, masks = scrub_both((value,), "raw: " + value + ".")
    assert out == "raw: " + masks[0] + "."


def test_the_spaced_out_test_of_the_fast_engine_agrees_with_the_regexes() -> None:
    """With the hyperscan engine, whether a view is spaced out is told by literals that start
    every run, each hit checked with the regex (``derived.py``: ``literal_triggers``): on texts
    dense with short runs of single characters, it answers as a regex search over the whole
    view, and finds the same leads as the pass of regexes."""
    rng = random.Random(12)
    singles = [bytes([c]) for c in range(1, 128)]
    seen = 0
    for _ in range(3000):
        parts = []
        for _ in range(rng.randint(0, 30)):
            r = rng.random()
            if r < 0.3:
                parts.append(rng.choice([b" ", b"\t", b"  ", b"\x0b", b"\r", b"\\\\", b"H4sI", b"eJw"]))
            elif r < 0.8:
                parts.append(rng.choice(singles))
            else:
                sep = rng.choice([b" ", b"\t"])
                run = sep.join(rng.choice([*singles, b"  "]) for _ in range(rng.randint(3, 7)))
                parts.append(sep + run + rng.choice([sep, b"", b"x"]))
        view = b"".join(parts)
        fast = derived.literal_triggers(view)
        assert fast.spaced == bool(derived._spaced_spots(view, False)), view
        assert fast.spaced == derived.triggers(view, "hyperscan", False).spaced, view
        assert fast.leads == derived.triggers(view, "hyperscan", True).leads, view
        seen += bool(fast.spaced)
    assert 300 < seen < 2700  # both answers were exercised
    # a long view goes through the literals, a short one through the regexes
    prose = b"a b c d plain words, x = 1 + two and y = {z} " * (derived.LITERAL_PASS_MIN // 40)
    for tail in (b"", b" s e c r e t ", b"\ts\te\tc\tr\te\t", b" H4sIAAAA \\\\ "):
        view = prose + tail
        assert len(view) >= derived.LITERAL_PASS_MIN
        found = derived.triggers(view, "hyperscan", False)
        assert found.spaced == bool(derived._spaced_spots(view, False)) == (tail[:3] in (b" s ", b"\ts\t"))
        assert found.leads == derived.triggers(view, "hyperscan", True).leads


@pytest.mark.parametrize("engine", ENGINES)
def test_a_main_tier_scan_gives_the_triggers_of_the_separate_pass(engine: str) -> None:
    """A main tier also finds the trigger literals (``derived.trigger_literals``); the triggers
    made from those hits (``derived.from_hits``) must be those of the separate pass: the same
    leads and spaced-out answer with the hyperscan engine; with the aho engine, whose separate
    pass reports leads without overlaps, the same leads once overlapping ones (in a run of
    backslashes) are dropped."""
    tiers = [make_tier(engine, [(0, "needle-0123456789")], derived.trigger_literals(engine))]
    rng = random.Random(13)
    singles = [bytes([c]) for c in range(32, 127)]
    for _ in range(1500):
        parts = []
        for _ in range(rng.randint(0, 30)):
            r = rng.random()
            if r < 0.3:
                parts.append(
                    rng.choice(
                        [b" ", b"\t", b"  ", b"\\\\\\", b"H4sI", b"eJw", b"1f8b08", b"needle-0123456789"]
                    )
                )
            elif r < 0.8:
                parts.append(rng.choice(singles))
            else:
                sep = rng.choice([b" ", b"\t"])
                parts.append(sep + sep.join(rng.choice(singles) for _ in range(rng.randint(3, 7))) + sep)
        hay = Haystack(b"".join(parts).decode("ascii"))
        view = hay.view_bytes()
        for tier in tiers:
            found: list[tuple[int, int, int]] = []
            extra: list[tuple[int, int]] = []
            tier.scan(hay, found, extra)
            assert all(nid == 0 for _, _, nid in found)  # a trigger literal is never a needle
            assert len(found) == view.count(b"needle-0123456789")
            got, want = derived.from_hits(view, engine, extra), derived.triggers(view, engine, False)
            assert got.spaced == want.spaced
            if engine == "hyperscan":
                assert got.spaced == bool(derived._spaced_spots(view, False))
                assert got.leads == want.leads
            else:
                kept: list[tuple[int, int]] = []
                for index, start in got.leads:
                    if not kept or start >= kept[-1][1] + len(derived._LEADS[kept[-1][0]]):
                        kept.append((index, start))
                assert kept == want.leads


def test_a_spelled_out_value_after_a_false_start_is_masked() -> None:
    """With the hyperscan engine, a spaced-out run is found by the literals that start one
    (``derived.trigger_literals``), each hit checked with a regex: here each literal of the
    spelled-out value (``" a b "``, ``" b c "``, ...) first occurs where it starts no run
    (``"xx a b yy"``), so only a later hit finds the run. Long texts (the literal pass) and
    short ones, values in a recent tier and in a main tier."""
    value = "abcdefgh12"
    spelled = " ".join(value)
    false_starts = "".join(f"xx {a} {b} yy " for a, b in itertools.pairwise(value))
    for pad in (10, derived.LITERAL_PASS_MIN):
        text = false_starts + "lorem ipsum " * (pad // 12) + spelled + " end"
        out, masks = scrub_both((value,), text)
        assert masks[0] in out and spelled not in out, pad


def _runs_hold_an_anchor(form: Form) -> None:
    offsets = list(anchors(form))
    size = len(form.text)
    assert offsets == sorted(set(offsets)) and all(0 <= o <= size - form.anchor for o in offsets)
    if form.step > size:  # a whole form: one anchor
        assert len(offsets) == 1
        return
    run = form.anchor + form.step - 1
    for start in range(0, max(1, size - run + 1)):
        end = min(size, start + run)
        assert any(start <= o and o + form.anchor <= end for o in offsets), (form.step, start, offsets)


@settings(max_examples=80, deadline=None)
@given(
    value=st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S")), min_size=8, max_size=200),
)
def test_every_run_of_a_form_holds_a_whole_anchor(value: str) -> None:
    for form in [*forms(value), *whole_forms(value)]:
        _runs_hold_an_anchor(form)


@pytest.mark.parametrize(
    "value",
    ["L0ng_" + "u" * 59, "u" * 59 + "_gnoL", "ab" + "xy" * 30 + "cd", "head-" + "y" * 200 + "-tail"],
)
def test_a_value_with_a_repetitive_stretch_is_masked_from_end_to_end(value: str) -> None:
    """An anchor inside the repetitive stretch stands for many places and may be extended from
    the wrong one: the form's very ends are anchors then (guard/anchors.py), so nothing of the
    value shows beside its mask."""
    out, masks = scrub_both((value,), "<" + value + ">")
    assert out == "<" + masks[0] + ">"
