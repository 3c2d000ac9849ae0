"""What a human reads before approving: identifiers as typed, known values never.

The summary (CLI listing, MCP elicitation, interrupts, events, prompts), the fields the store
keeps (``approvals --json``, the approval page) and what a callback approver gets must show a
recipient or principal exactly as the model typed it, even one shaped like a token (the human
must see who would receive the share), and never a value the session's guard knows (a model
putting a stored secret into a field to get it onto the human's screen). If a test fails, read
``oneclaw_tools/hitl/action.py`` (``Action.withheld``) and ``oneclaw_tools/approvals.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hitl_helpers import refused, store_bytes

from oneclaw_tools import OperatorPolicy, Session
from oneclaw_tools.hitl.action import WITHHELD

VALUE = "sk_live_SUMMARYcanary_0123456789abcdef"
GITHUB_ID = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"
EXPIRY = "2031-01-01T00:00:00Z"
GATED = OperatorPolicy(require_approval=frozenset({"share_secret", "grant_access", "put_secret"}))


@pytest.fixture
def gated(make_session) -> Session:  # type: ignore[no-untyped-def]
    s: Session = make_session(GATED)
    s.backend.put_secret(s.vault_for(None), "prod/api_key", VALUE)
    return s


@pytest.mark.parametrize("rid", [GITHUB_ID, AWS_ID], ids=["github", "aws"])
def test_a_recipient_shaped_like_a_token_is_shown_as_typed(
    gated: Session, vault_path: Path, rid: str
) -> None:
    share = {"path": "prod/api_key", "recipient_type": "agent", "recipient_id": rid, "expires_at": EXPIRY}
    err = refused(gated, "share_secret", share)
    assert err.code == "approval_required"
    [pending] = gated.approvals.store.pending()
    assert f"recipient=agent:{rid} " in pending.summary and "[secret:" not in pending.summary
    assert pending.action["fields"]["recipient"] == f"agent:{rid}"
    # the operator's listing, from another process, shows the same line
    listing = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "approvals", "--store", str(gated.approvals.store.path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listing.returncode == 0 and f"recipient=agent:{rid} " in listing.stdout, listing.stdout
    # the model's own channel stays scrubbed in full, as everything returned to it
    assert rid not in err.text and VALUE.encode() not in store_bytes(gated)


def test_a_principal_shaped_like_a_token_is_shown_as_typed(gated: Session) -> None:
    grant = {
        "vault_id": gated.vault_for(None),
        "principal_type": "agent",
        "principal_id": GITHUB_ID,
        "permissions": ["read"],
    }
    refused(gated, "grant_access", grant)
    [pending] = gated.approvals.store.pending()
    assert f"principal=agent:{GITHUB_ID} " in pending.summary


def test_a_known_value_in_a_recipient_is_never_put_before_a_human(gated: Session) -> None:
    """A model that holds a value (here one this session fetched) and types it as the recipient:
    no request is filed, nothing reaches the store, the call is refused as an exfiltration."""
    gated.call("get_secret", {"path": "prod/api_key"})  # the session materialized it: the guard knows it
    share = {"path": "prod/api_key", "recipient_type": "agent", "recipient_id": VALUE, "expires_at": EXPIRY}
    assert gated.approvals.pending_for("share_secret", share) is None  # what every adapter asks first
    assert refused(gated, "share_secret", share).code == "permission_denied"
    assert gated.approvals.store.pending() == [] and VALUE.encode() not in store_bytes(gated)


def test_a_known_value_in_a_shown_field_is_withheld_but_still_bound(gated: Session) -> None:
    """``put_secret`` may carry a value, so it reaches the gate; a known value in a field a human
    reads (its metadata) is shown and kept as WITHHELD, and the approval still binds that field."""
    gated.call("get_secret", {"path": "prod/api_key"})
    put = {"path": "svc/new", "value": "a-new-value-0123456789", "metadata": {"note": VALUE}}
    refused(gated, "put_secret", put)
    [pending] = gated.approvals.store.pending()
    assert f"metadata={WITHHELD}" in pending.summary, pending.summary
    assert pending.action["fields"]["metadata"] == WITHHELD
    assert VALUE not in json.dumps(pending.to_dict()) and VALUE.encode() not in store_bytes(gated)
    gated.approvals.store.decide(pending.id, approve=True, by="test")
    other = {**put, "metadata": {"note": "plain"}}
    assert refused(gated, "put_secret", other).code == "approval_required"  # another action
    assert gated.call("put_secret", put)["version"] == 1


def test_a_callback_approver_sees_identifiers_as_typed_and_no_known_value(make_session) -> None:  # type: ignore[no-untyped-def]
    seen: list[Any] = []
    policy = OperatorPolicy(
        require_approval=frozenset({"share_secret", "put_secret"}), approver=lambda r: seen.append(r) or True
    )
    s: Session = make_session(policy)
    s.backend.put_secret(s.vault_for(None), "prod/api_key", VALUE)
    s.call("get_secret", {"path": "prod/api_key"})
    s.call(
        "share_secret",
        {"path": "prod/api_key", "recipient_type": "agent", "recipient_id": GITHUB_ID, "expires_at": EXPIRY},
    )
    s.call("put_secret", {"path": "svc/new", "value": "a-new-value-0123456789", "metadata": {"n": VALUE}})
    share, put = seen
    assert share.arguments["recipient_id"] == GITHUB_ID and f"agent:{GITHUB_ID}" in share.summary
    assert put.arguments["metadata"] == {"n": WITHHELD} and VALUE not in repr(put)


@pytest.mark.parametrize("typed", [WITHHELD, "[secret:pattern:github-token]", 'x"y'])
def test_typed_text_cannot_pose_as_a_mask(gated: Session, typed: str) -> None:
    """A recipient typed to look like our own marks is shown quoted: the summary stays unambiguous."""
    share = {"path": "prod/api_key", "recipient_type": "agent", "recipient_id": typed, "expires_at": EXPIRY}
    refused(gated, "share_secret", share)
    [pending] = gated.approvals.store.pending()
    quoted = json.dumps(f"agent:{typed}", ensure_ascii=True)
    assert f"recipient={quoted} " in pending.summary, pending.summary
