"""Pattern detectors: one true positive per rule, common look-alikes left alone, no value in repr.

A new false positive belongs in ``test_lookalikes_are_not_flagged``; fix the rule's regex or
its ``check`` in ``oneclaw_tools/guard/rules.py`` rather than the test.
"""

from __future__ import annotations

import json
import os
import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneclaw_tools.guard import RULES, Finding, Guard
from oneclaw_tools.guard.patterns import Pattern, Rule, detect, detect_all

SAMPLES = {
    "private-key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----",
    "aws-access-key-id": "AKIAQWERTYUIOPASDFGH",
    "github-token": "ghp_" + "Ab1" * 12,
    "gitlab-token": "glpat-" + "xY9_" * 5,
    "slack-token": "xoxb-123456789012-abcdefABCDEF",
    "slack-webhook": "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "stripe-key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "anthropic-key": "sk-ant-api03-" + "Zz9_" * 10,
    "openai-key": "sk-proj-" + "Qw3-" * 8,
    "google-api-key": "AIzaSyD" + "x" * 32,
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "url-password": "s3cr3t-pw",
    "authorization-header": "dGhpcy1pcy1hLXRva2VuLTEyMzQ1",
    "password-assignment": "hunter2hunter2",
    "secret-assignment": "9f8e7d6c5b4a3f2e1d0c",
}
CONTEXT = {
    "slack-webhook": "https://hooks.slack.com/services/{}",
    "url-password": "redis://default:{}@cache:6379/0",
    "authorization-header": "Authorization: Bearer {}",
    "password-assignment": 'DB_PASSWORD="{}"',
    "secret-assignment": "client_secret: {}",
}


def test_every_rule_has_a_sample() -> None:
    assert {rule.id for rule in RULES} == set(SAMPLES)


@pytest.mark.parametrize("rule", sorted(SAMPLES))
def test_rule_detects_and_masks(rule: str) -> None:
    secret = SAMPLES[rule]
    text = "start " + CONTEXT.get(rule, "{}").format(secret) + " end"
    guard = Guard("aho")
    findings = guard.detect(text)
    assert [f.rule for f in findings] == [rule]
    f = findings[0]
    assert isinstance(f, Finding)
    assert text[f.start : f.end] == f.value == secret
    assert secret not in repr(f) and secret not in str(f)
    out = guard.scrub(text)
    assert out == text.replace(secret, f"[secret:pattern:{rule}]")
    assert Guard("hyperscan").scrub(text) == out
    assert guard.scrub(json.dumps({"log": text})) == json.dumps({"log": out})


@pytest.mark.parametrize(
    "text",
    [
        "The password policy requires 12 characters.",
        '{"token_count": 12345678, "tokens": 42, "secret_name": "prod-db-secret"}',
        "password: ******** and password=${DB_PASSWORD} and password=<your password>",
        "https://example.com:8443/path?q=1 and mailto:user@example.com",
        "request_id=0123456789abcdef AKIAshort sk-123 ghp_short eyJhbGciOi",
        "Authorization: Bearer <token>",
        "apikey = None",
        "password=[secret:h_1] token: [secret:pattern:jwt]",
    ],
)
def test_lookalikes_are_not_flagged(text: str) -> None:
    assert Guard("aho").detect(text) == []
    assert Guard("aho").scrub(text) is text


# Fragments that make the rules fire, nearly fire, or fire in odd casings and spacings. The
# prefiltered detection (candidates from Aho-Corasick or Hyperscan, then the regex only there)
# must equal a plain ``finditer`` of every rule over the whole text.
_FRAGMENTS = [
    "password",
    "PassWord",
    "passwd",
    "PASSPHRASE",
    "pwd",
    "secret",
    "SeCrEt",
    "api_key",
    "ApiKey",
    "api-key",
    "token",
    "access_key",
    "private_key",
    "Credential",
    "bearer",
    "Bearer",
    "BASIC",
    "basic",
    "://",
    "user",
    "@host",
    ":8080",
    "AKIA",
    "ghp_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xapp-1-",
    "hooks.slack.com/services/",
    "sk_live_",
    "rk_test_",
    "sk-ant-api03-",
    "sk-proj-",
    "sk-",
    "T3BlbkFJ",
    "AIza",
    "eyJ",
    ".eyJ",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "=",
    ":",
    ":=",
    "=>",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\u00a0",
    "\u2003",
    "\x1c",
    "\x85",
    '"',
    "'",
    '\\"',
    "\\",
    "[secret:h_1]",
    "{{secret:h_abcdefghij}}",
    "[SECRET:x]",
    "?",
    "#",
    "/",
    "é",
    "٣",
    "\u212a",
    "\u017f",
    "İ",
    "h_abcdefgh12",
    "\u200b",
    "\x00",
]
_pattern_texts = st.lists(
    st.one_of(
        st.sampled_from(_FRAGMENTS),
        st.text(st.sampled_from(string.ascii_letters + string.digits + "-_./+="), min_size=1, max_size=48),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=int(os.environ.get("GUARD_EXAMPLES", "60")) * 3, deadline=None)
@given(text=_pattern_texts, before=st.sampled_from(["", "a", " ", "_"]))
def test_prefiltered_detection_equals_finditer(text: str, before: str) -> None:
    """If this fails, a rule's ``literals`` or ``prefilter`` (patterns.py) misses a place where
    its regex matches: the prefilter must match wherever the regex does, in the one-byte form of
    the text (non-ASCII reads as ``?``), within ``span`` characters of the match start."""
    want = detect_all(text, before=before)
    assert detect(text, before=before) == want
    for engine in ("aho", "hyperscan"):
        assert Guard(engine)._detect(text, before) == want


def test_detect_all_is_the_reference_for_custom_rules() -> None:
    custom = (Rule("demo", (Pattern(re.compile(r"demo-[0-9]{4}"), (), "", 0),)),)
    found = detect("x demo-1234 y", rules=custom)
    assert [(f.rule, f.start, f.end) for f in found] == [("demo", 2, 11)]
