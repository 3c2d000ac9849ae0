"""The rule table: well-known credential formats, each a :class:`Rule` of :class:`Pattern` regexes.

A curated, low-false-positive set (no bare entropy rule). Each regex starts with a literal (or
sits at a fixed distance after one), and keyword rules (``password=``, ``api_key:``) match their
keywords in any ASCII casing through explicit ``[Pp][Aa]...`` classes, so no lowercased copy of
the text is needed. Each :class:`Pattern` also carries what the engines need to find its
candidate starts (its literals, and a bounded prefilter regex): how they are used is in
:mod:`.patterns` and :mod:`.prefilter`. A rule's ``check`` rejects look-alikes (placeholders,
our own handles, low-entropy words) after the regex matched.

Several rules are adapted from gitleaks' ``config/gitleaks.toml``
(https://github.com/gitleaks/gitleaks, MIT License, Copyright (c) 2019 Zachary Rice).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["PATTERNS", "RULES", "WORDISH", "Finding", "Pattern", "Rule"]

#: a letter or digit just before a match makes it part of a word (rules with ``boundary``)
WORDISH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
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
