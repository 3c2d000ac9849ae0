"""Detectors for well-known credential formats that were never registered.

A curated, low-false-positive set (no bare entropy rule). Each regex starts with a literal (or
sits at a fixed distance after one), and keyword rules (``password=``, ``api_key:``) match their
keywords in any ASCII casing through explicit ``[Pp][Aa]...`` classes, so no lowercased copy of
the text is needed.

Finding a regex's matches is split in two (:func:`detect_at`): an engine first reports candidate
*start positions*, a superset of the places the regex can match (:mod:`.prefilter`: every
literal, in any case, from an Aho-Corasick pass; or bounded :attr:`Pattern.prefilter` regexes in
one Hyperscan database), then the regex runs only there. Because every position where the regex
can match is a candidate, walking the candidates left to right and skipping those inside the
previous match gives exactly ``regex.finditer``'s matches. :func:`detect_all` is that plain
``finditer`` over the whole text: the reference the tests compare against, and the path for
custom rules without literals.

Several rules are adapted from gitleaks' ``config/gitleaks.toml``
(https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice).

A hit is masked as ``[secret:pattern:<rule_id>]``; only the secret part is masked (for a URL,
the password; for an assignment, the value), so the surrounding text stays readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["RULES", "Finding", "Pattern", "Rule", "detect", "detect_all", "detect_at", "pattern_mask"]

_WORDISH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_PLACEHOLDER = re.compile(r"^(?:\[secret:|\$|<|\{\{|%\(|\*+$|x+$|null$|none$|true$|false$|undefined$)", re.I)


@dataclass(frozen=True, slots=True)
class Finding:
    """A detected credential: ``text[start:end] == value``. The value never appears in ``repr``."""

    rule: str
    start: int
    end: int
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Pattern:
    """One regex of a rule, with what the engines need to find its candidate starts.

    ``literals``: ``(text, offset)`` pairs, lower case; every match has one of them, in some ASCII
    casing, ``offset`` characters after its start. ``prefilter``: a Hyperscan regex over the text
    in one-byte form (non-ASCII characters read as ``?``) that matches, ending at most ``span``
    characters after the start, wherever ``regex`` matches; ``caseless`` is its flag.
    """

    regex: re.Pattern[str]
    literals: tuple[tuple[str, int], ...]
    prefilter: str
    span: int
    caseless: bool = False


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    patterns: tuple[Pattern, ...]
    group: int = 0  # the capture group holding the secret (0: the whole match)
    boundary: bool = True  # the character before the match must not be a letter or digit
    check: Callable[[str], bool] | None = None

    @property
    def regexes(self) -> tuple[re.Pattern[str], ...]:
        return tuple(p.regex for p in self.patterns)


def _entropy(value: str) -> float:
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _password_value(value: str) -> bool:
    return len(value) >= 4 and not _PLACEHOLDER.match(value)


_HANDLE_ID = re.compile(r"h_[A-Za-z0-9_\-]{8,64}")


def _key_value(value: str) -> bool:
    return (
        len(value) >= 8
        and not _PLACEHOLDER.match(value)
        and not _HANDLE_ID.fullmatch(value)  # our own handles, in placeholders and masks
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and _entropy(value) >= 3.0
    )


def _url_password(value: str) -> bool:
    return not _PLACEHOLDER.match(value)


def _ci(word: str) -> str:
    """``word`` in any ASCII casing, as explicit classes (``re.I`` would also fold non-ASCII)."""
    return "".join(f"[{c.upper()}{c}]" if c.isalpha() else re.escape(c) for c in word)


def _p(
    regex: str,
    literals: Sequence[str | tuple[str, int]],
    prefilter: str,
    span: int,
    caseless: bool = False,
    flags: int = 0,
) -> Pattern:
    lits = tuple((lit.lower(), 0) if isinstance(lit, str) else (lit[0].lower(), lit[1]) for lit in literals)
    return Pattern(re.compile(regex, flags), lits, prefilter, span, caseless)


_END = r"(?![A-Za-z0-9])"
# the value part of ``key = value``: optional (escaped) quote, then up to 200 non-delimiters
_ASSIGN = (
    r"""[A-Za-z0-9_.-]{0,24}(?:\\?["'])?\s{0,4}(?::=|=>|=|:)\s{0,4}(?:\\?["'])?"""
    + r"(?!\["
    + _ci("secret:")
    + r""")([^\s'"\\,;&<>(){}\[\]]{1,200})"""
)
_PEM_HEAD = r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"
_PEM_TAIL = r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"

# Prefilter building blocks, for the one-byte form of the text where any non-ASCII character
# reads as "?": Python's \s (str) also takes \x1c-\x1f and non-ASCII spaces, \d non-ASCII digits.
_WS = r"[\t\n\x0b\x0c\r \x1c-\x1f?]"
_DIGIT = r"[0-9?]"
# up to the operator of ``key = value``: the value itself always has at least one character
_ASSIGN_PRE = r"""[a-z0-9_.-]{0,24}(?:\\?["'])?""" + _WS + r"{0,4}(?::=|=>|=|:)"
_ASSIGN_SPAN = 24 + 2 + 4 + 2
_PASSWORD_WORDS = ("password", "passwd", "passphrase", "pwd")
# "pwd" starts a word ("db_pwd", "&pwd"), and the shell's PWD / OLDPWD (a directory) is no password
_LEFT = {"pwd": r"(?<![A-Za-z])(?!PWD=)"}
_SECRET_WORDS = (
    "secret",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_key",
    "private_key",
    "credential",
)
_GITLAB = ("pat", "ptt", "rt", "dt", "oas", "cbt", "soat", "ffct", "imt", "agent")
_URL_LEFT = r"""[^\t\n\x0b\x0c\r :/#@'"\[\]]{1,256}"""
_URL_RIGHT = r"""[^\t\n\x0b\x0c\r /#@'"\[\]]{1,256}"""

RULES: tuple[Rule, ...] = (
    Rule(
        "private-key",
        (
            _p(
                _PEM_HEAD + r"(?:.{0,65536}?" + _PEM_TAIL + r"|(?:\\[rn]|[\sA-Za-z0-9+/=:,.-])*)",
                ["-----BEGIN"],
                "-----BEGIN",
                10,
                flags=re.S,
            ),
        ),
    ),
    Rule(
        "aws-access-key-id",
        tuple(
            _p(p + r"[A-Z2-7]{16}" + _END, [p], p + "[A-Z2-7]{16}", 20)
            for p in ("AKIA", "ASIA", "ABIA", "ACCA")
        ),
    ),
    Rule(
        "github-token",
        (
            _p(
                r"gh[pousr]_[A-Za-z0-9]{36,255}" + _END,
                [f"gh{c}_" for c in "pousr"],
                r"gh[pousr]_[A-Za-z0-9]{36}",
                40,
            ),
            _p(
                r"github_pat_[A-Za-z0-9_]{22,255}" + _END, ["github_pat_"], r"github_pat_[A-Za-z0-9_]{22}", 33
            ),
        ),
    ),
    Rule(
        "gitlab-token",
        (
            _p(
                r"gl(?:" + "|".join(_GITLAB) + r")-[A-Za-z0-9_-]{20,}",
                [f"gl{k}-" for k in _GITLAB],
                r"gl(?:" + "|".join(_GITLAB) + r")-[A-Za-z0-9_-]{20}",
                28,
            ),
        ),
    ),
    Rule(
        "slack-token",
        (
            _p(
                r"xox[abposr]-[0-9A-Za-z-]{10,}",
                [f"xox{c}-" for c in "abposr"],
                r"xox[abposr]-[0-9A-Za-z-]{10}",
                15,
            ),
            _p(r"xapp-\d-[A-Za-z0-9-]{10,}", ["xapp-"], r"xapp-" + _DIGIT + r"-[A-Za-z0-9-]{10}", 17),
        ),
    ),
    Rule(
        "slack-webhook",
        (
            _p(
                r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_+-]{20,})",
                ["hooks.slack.com/"],
                r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]{20}",
                46,
            ),
        ),
        group=1,
        boundary=False,
    ),
    Rule(
        "stripe-key",
        tuple(
            _p(
                p + r"_(?:live|test|prod)_[0-9A-Za-z]{10,247}" + _END,
                [f"{p}_{k}_" for k in ("live", "test", "prod")],
                p + r"_(?:live|test|prod)_[0-9A-Za-z]{10}",
                18,
            )
            for p in ("sk", "rk")
        ),
    ),
    Rule(
        "anthropic-key",
        (
            _p(
                r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{20,}",
                ["sk-ant-"],
                r"sk-ant-(?:api|admin|oat)" + _DIGIT + r"{2}-[A-Za-z0-9_-]{20}",
                35,
            ),
        ),
    ),
    Rule(
        "openai-key",
        (
            _p(
                r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}",
                [f"sk-{k}-" for k in ("proj", "svcacct", "admin", "None")],
                r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20}",
                31,
            ),
            _p(
                r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}",
                [("T3BlbkFJ", 23)],
                r"sk-[A-Za-z0-9]{20}T3BlbkFJ",
                31,
            ),
        ),
    ),
    Rule("google-api-key", (_p(r"AIza[0-9A-Za-z_-]{35}" + _END, ["AIza"], r"AIza[0-9A-Za-z_-]{35}", 39),)),
    Rule(
        "jwt",
        (
            _p(
                r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
                ["eyJ"],
                r"eyJ[A-Za-z0-9_-]{8}",
                11,
            ),
        ),
    ),
    Rule(
        "url-password",
        (
            _p(
                r"://[^\s:/?#@'\"\[\]]{1,256}:([^\s/?#@'\"\[\]]{1,256})@",
                ["://"],
                "://" + _URL_LEFT + ":" + _URL_RIGHT + "@",
                3 + 256 + 1 + 256 + 1,
            ),
        ),
        group=1,
        boundary=False,
        check=_url_password,
    ),
    Rule(
        "authorization-header",
        (
            _p(
                _ci("bearer") + r"\s+([A-Za-z0-9._~+/-]{16,}=*)", ["bearer"], "bearer" + _WS, 7, caseless=True
            ),
            _p(_ci("basic") + r"\s+([A-Za-z0-9+/]{12,}={0,2})", ["basic"], "basic" + _WS, 6, caseless=True),
        ),
        group=1,
        check=_key_value,
    ),
    Rule(
        "password-assignment",
        tuple(
            _p(
                _LEFT.get(k, "") + _ci(k) + _ASSIGN,
                [k],
                k + _ASSIGN_PRE,
                len(k) + _ASSIGN_SPAN,
                caseless=True,
            )
            for k in _PASSWORD_WORDS
        ),
        group=1,
        boundary=False,
        check=_password_value,
    ),
    Rule(
        "secret-assignment",
        tuple(
            # never inside a mask or a {{secret:...}} placeholder
            _p(r"(?<![\[{])" + _ci(k) + _ASSIGN, [k], k + _ASSIGN_PRE, len(k) + _ASSIGN_SPAN, caseless=True)
            for k in _SECRET_WORDS
        ),
        group=1,
        boundary=False,
        check=_key_value,
    ),
)
#: every regex of :data:`RULES`, in order (a candidate map is keyed by the position in this tuple)
PATTERNS: tuple[Pattern, ...] = tuple(p for rule in RULES for p in rule.patterns)


def pattern_mask(rule_id: str) -> str:
    return f"[secret:pattern:{rule_id}]"


def _resolve(found: list[Finding]) -> list[Finding]:
    """Non-overlapping findings ordered by start; the longest wins an overlap, the earlier rule a tie."""
    if len(found) < 2:
        return found
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[Finding] = []
    for f in found:
        if kept and f.start < kept[-1].end:
            if f.end - f.start > kept[-1].end - kept[-1].start:
                kept[-1] = f
            continue
        kept.append(f)
    return kept


def _accept(rule: Rule, m: re.Match[str], text: str, before: str, found: list[Finding]) -> None:
    start, end = m.span(rule.group)
    if start == end:
        return
    if rule.boundary:
        prev = text[m.start() - 1] if m.start() > 0 else before
        if prev and prev in _WORDISH:
            return
    value = text[start:end]
    if rule.check is not None and not rule.check(value):
        return
    found.append(Finding(rule.id, start, end, value))


def detect_at(text: str, candidates: Mapping[int, Sequence[int]], before: str = "") -> list[Finding]:
    """Findings of :data:`RULES` in ``text``, running each regex only at its candidate starts.

    ``candidates`` maps a position in :data:`PATTERNS` to start positions in ``text`` (any order,
    repeats allowed) that include every position where that regex matches.
    """
    found: list[Finding] = []
    index = 0
    for rule in RULES:
        for pattern in rule.patterns:
            starts = candidates.get(index)
            index += 1
            if not starts:
                continue
            match = pattern.regex.match
            pos = 0
            for s in sorted(set(starts)):
                if s < pos:
                    continue
                m = match(text, s)
                if m is not None:
                    _accept(rule, m, text, before, found)
                    pos = m.end() if m.end() > s else s + 1
    return _resolve(found)


def detect_all(text: str, rules: Sequence[Rule] = RULES, before: str = "") -> list[Finding]:
    """Findings of ``rules`` by a plain ``finditer`` of every regex over the whole text (slow)."""
    found: list[Finding] = []
    for rule in rules:
        for pattern in rule.patterns:
            for m in pattern.regex.finditer(text):
                _accept(rule, m, text, before, found)
    return _resolve(found)


def detect(text: str, rules: Sequence[Rule] = RULES, before: str = "") -> list[Finding]:
    """Findings in ``text``, ordered by start; the longest wins an overlap.

    ``before`` is the character preceding ``text`` (for boundary checks on a stream chunk).
    With the built-in rules the candidates come from the default prefilter (ahocorasick-rs).
    """
    if rules is not RULES:
        return detect_all(text, rules, before)
    from .prefilter import aho_candidates

    return detect_at(text, aho_candidates(text), before)
