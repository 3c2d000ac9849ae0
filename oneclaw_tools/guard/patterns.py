"""Detectors for well-known credential formats that were never registered.

A curated, low-false-positive set (no bare entropy rule). Every regex starts with a literal so
CPython's ``re`` can skip ahead at memchr speed; word boundaries are checked in Python, since a
leading ``\\b`` would cost 25-60x. Keyword rules (``password=``, ``api_key:``) run on an
ASCII-lowercased copy of the text of the same length, so one literal per keyword covers every
casing.

Several rules are adapted from gitleaks' ``config/gitleaks.toml``
(https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice).

A hit is masked as ``[secret:pattern:<rule_id>]``; only the secret part is masked (for a URL,
the password; for an assignment, the value), so the surrounding text stays readable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["RULES", "Finding", "Rule", "detect", "pattern_mask"]

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
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
class Rule:
    id: str
    regexes: tuple[re.Pattern[str], ...]
    group: int = 0  # the capture group holding the secret (0: the whole match)
    lower: bool = False  # match on the ASCII-lowercased copy
    boundary: bool = True  # the character before the match must not be a letter or digit
    check: Callable[[str], bool] | None = None


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


def _c(*patterns: str, flags: int = 0) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, flags) for p in patterns)


_END = r"(?![A-Za-z0-9])"
# the value part of ``key = value``: optional (escaped) quote, then up to 200 non-delimiters
_ASSIGN = r"""[a-z0-9_.-]{0,24}(?:\\?["'])?\s{0,4}(?::=|=>|=|:)\s{0,4}(?:\\?["'])?(?!\[secret:)([^\s'"\\,;&<>(){}\[\]]{1,200})"""
_PEM_HEAD = r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"
_PEM_TAIL = r"-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"

RULES: tuple[Rule, ...] = (
    Rule(
        "private-key",
        _c(_PEM_HEAD + r"(?:.{0,65536}?" + _PEM_TAIL + r"|(?:\\[rn]|[\sA-Za-z0-9+/=:,.-])*)", flags=re.S),
    ),
    Rule("aws-access-key-id", _c(*(p + r"[A-Z2-7]{16}" + _END for p in ("AKIA", "ASIA", "ABIA", "ACCA")))),
    Rule(
        "github-token", _c(r"gh[pousr]_[A-Za-z0-9]{36,255}" + _END, r"github_pat_[A-Za-z0-9_]{22,255}" + _END)
    ),
    Rule("gitlab-token", _c(r"gl(?:pat|ptt|rt|dt|oas|cbt|soat|ffct|imt|agent)-[A-Za-z0-9_-]{20,}")),
    Rule("slack-token", _c(r"xox[abposr]-[0-9A-Za-z-]{10,}", r"xapp-\d-[A-Za-z0-9-]{10,}")),
    Rule(
        "slack-webhook",
        _c(r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_+-]{20,})"),
        group=1,
        boundary=False,
    ),
    Rule("stripe-key", _c(*(p + r"_(?:live|test|prod)_[0-9A-Za-z]{10,247}" + _END for p in ("sk", "rk")))),
    Rule("anthropic-key", _c(r"sk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{20,}")),
    Rule(
        "openai-key",
        _c(
            r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}", r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"
        ),
    ),
    Rule("google-api-key", _c(r"AIza[0-9A-Za-z_-]{35}" + _END)),
    Rule("jwt", _c(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    Rule(
        "url-password",
        _c(r"://[^\s:/?#@'\"\[\]]{1,256}:([^\s/?#@'\"\[\]]{1,256})@"),
        group=1,
        boundary=False,
        check=_url_password,
    ),
    Rule(
        "authorization-header",
        _c(r"bearer\s+([A-Za-z0-9._~+/-]{16,}=*)", r"basic\s+([A-Za-z0-9+/]{12,}={0,2})"),
        group=1,
        lower=True,
        check=_key_value,
    ),
    Rule(
        "password-assignment",
        _c(*(k + _ASSIGN for k in ("password", "passwd", "passphrase", "pwd"))),
        group=1,
        lower=True,
        boundary=False,
        check=_password_value,
    ),
    Rule(
        "secret-assignment",
        _c(
            *(
                r"(?<![\[{])" + k + _ASSIGN  # never inside a mask or a {{secret:...}} placeholder
                for k in (
                    "secret",
                    "api_key",
                    "apikey",
                    "api-key",
                    "token",
                    "access_key",
                    "private_key",
                    "credential",
                )
            )
        ),
        group=1,
        lower=True,
        boundary=False,
        check=_key_value,
    ),
)


def pattern_mask(rule_id: str) -> str:
    return f"[secret:pattern:{rule_id}]"


def detect(text: str, rules: tuple[Rule, ...] = RULES, before: str = "") -> list[Finding]:
    """Non-overlapping findings in ``text``, ordered by start; the longest wins an overlap.

    ``before`` is the character preceding ``text`` (for boundary checks on a stream chunk).
    """
    lowered: str | None = None
    found: list[Finding] = []
    for rule in rules:
        if rule.lower:
            if lowered is None:
                lowered = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)
            haystack = lowered
        else:
            haystack = text
        for regex in rule.regexes:
            for m in regex.finditer(haystack):
                start, end = m.span(rule.group)
                if start == end:
                    continue
                if rule.boundary:
                    prev = text[m.start() - 1] if m.start() > 0 else before
                    if prev in _WORDISH and prev:
                        continue
                value = text[start:end]
                if rule.check is not None and not rule.check(value):
                    continue
                found.append(Finding(rule.id, start, end, value))
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
