"""Detectors for well-known credential formats that were never registered (rules: :mod:`.rules`).

Finding a regex's matches is split in two (:func:`detect_at`): an engine first reports candidate
*start positions*, a superset of the places the regex can match (:mod:`.prefilter`: every
literal, in any case, from an Aho-Corasick pass; or bounded :attr:`Pattern.prefilter` regexes in
one Hyperscan database), then the regex runs only there. Because every position where the regex
can match is a candidate, walking the candidates left to right and skipping those inside the
previous match gives exactly ``regex.finditer``'s matches. :func:`detect_all` is that plain
``finditer`` over the whole text: the reference the tests compare against, and the path for
custom rules without literals.

A hit is masked as ``[secret:pattern:<rule_id>]``; only the secret part is masked (for a URL,
the password; for an assignment, the value), so the surrounding text stays readable. Where two
findings overlap, the longest wins (the earlier rule on a tie).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .rules import RULES, WORDISH, Finding, Pattern, Rule

__all__ = ["RULES", "Finding", "Pattern", "Rule", "detect", "detect_all", "detect_at", "pattern_mask"]


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
        if prev and prev in WORDISH:
            return
    value = text[start:end]
    if rule.check is not None and not rule.check(value):
        return
    found.append(Finding(rule.id, start, end, value))


def detect_at(text: str, candidates: Mapping[int, Sequence[int]], before: str = "") -> list[Finding]:
    """Findings of :data:`RULES` in ``text``, running each regex only at its candidate starts.

    ``candidates`` maps a position in :data:`~.rules.PATTERNS` to start positions in ``text`` (any order,
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
