"""Approvals bound to the exact action, and secrets supplied out of band (the core, no framework).

A failure here means an approval could be reused for another action, replayed, forged by the
model, or a requested value could leak: read ``oneclaw_tools/hitl/gate.py`` and ``store.py``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from hitl_helpers import refused, store_bytes

from oneclaw_tools import OperatorPolicy, Session
from oneclaw_tools.hitl import HitlStore, fulfil
from oneclaw_tools.models import SecretValue

VALUE = "sk_live_HITLcanary_0123456789abcdef"
SUPPLIED = "ghp_SUPPLIEDoutOfBand_abcdefghij0123456789"
SHARE = {"path": "prod/api_key", "email": "bob@example.com", "expires_at": "2031-01-01T00:00:00Z"}
GATED = OperatorPolicy(require_approval=frozenset({"share_secret", "grant_access"}))


@pytest.fixture
def gated(make_session) -> Session:  # type: ignore[no-untyped-def]
    s: Session = make_session(GATED)
    s.backend.put_secret(s.vault_for(None), "prod/api_key", VALUE)
    s.backend.put_secret(s.vault_for(None), "prod/other", VALUE + "2")
    return s


def shares(s: Session) -> int:
    return len(s.backend.list_outbound_shares())


def test_a_share_needs_approval_and_the_request_names_the_action_without_values(gated: Session) -> None:
    err = refused(gated, "share_secret", SHARE)
    assert err.code == "approval_required" and "oneclaw-tools approve apr_" in err.text
    [pending] = gated.approvals.store.pending()
    assert pending.tool == "share_secret"
    for part in ("path=prod/api_key", "recipient=external_email:bob@example.com", "vault="):
        assert part in pending.summary
    assert VALUE not in json.dumps(pending.to_dict()) and shares(gated) == 0
    # asking again files no second request: one action, one pending row
    refused(gated, "share_secret", SHARE)
    assert [p.id for p in gated.approvals.store.pending()] == [pending.id]


def test_an_approval_runs_the_action_once_only(gated: Session) -> None:
    refused(gated, "share_secret", SHARE)
    [pending] = gated.approvals.store.pending()
    gated.approvals.store.decide(pending.id, approve=True, by="test")
    gated.call("share_secret", SHARE)
    assert shares(gated) == 1
    err = refused(gated, "share_secret", SHARE)  # replayed: the grant is used up
    assert err.code == "approval_required" and shares(gated) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"email": "eve@evil.example"},
        {"path": "prod/other"},
        {"expires_at": "2099-01-01T00:00:00Z"},
        {"max_access_count": 0},
        {"recipient_type": "anyone_with_link", "email": None},
    ],
)
def test_an_approval_never_covers_another_action(gated: Session, change: dict[str, Any]) -> None:
    refused(gated, "share_secret", SHARE)
    [pending] = gated.approvals.store.pending()
    gated.approvals.store.decide(pending.id, approve=True, by="test")
    other = {k: v for k, v in {**SHARE, **change}.items() if v is not None}
    err = refused(gated, "share_secret", other)
    assert err.code == "approval_required" and shares(gated) == 0
    assert pending.id not in err.text  # a new request, for the other action


def test_the_model_cannot_mark_an_action_approved(gated: Session) -> None:
    refused(gated, "share_secret", SHARE)
    [pending] = gated.approvals.store.pending()
    for flag in ({"approved": True}, {"approval_id": pending.id}, {"approval": "yes"}):
        err = refused(gated, "share_secret", {**SHARE, **flag})
        assert err.code == "invalid_argument" and "extra inputs" in err.text
    assert shares(gated) == 0 and gated.approvals.store.pending()[0].status == "pending"


def test_a_denied_request_refuses_and_cannot_be_flipped(gated: Session) -> None:
    refused(gated, "share_secret", SHARE)
    [pending] = gated.approvals.store.pending()
    gated.approvals.store.decide(pending.id, approve=False, by="test")
    with pytest.raises(Exception, match="already denied"):
        gated.approvals.store.decide(pending.id, approve=True, by="test")
    assert refused(gated, "share_secret", SHARE).code == "approval_required" and shares(gated) == 0


def test_a_grant_expires(make_session, clock) -> None:  # type: ignore[no-untyped-def]
    s: Session = make_session(GATED, clock=clock)
    s.backend.put_secret(s.vault_for(None), "prod/api_key", VALUE)
    refused(s, "share_secret", SHARE)
    [pending] = s.approvals.store.pending()
    s.approvals.store.decide(pending.id, approve=True, by="test")
    clock.advance(minutes=6)
    err = refused(s, "share_secret", SHARE)
    assert err.code == "approval_required" and pending.id not in err.text
    [fresh] = s.approvals.store.pending()
    clock.advance(minutes=30)  # an undecided request expires too
    assert s.approvals.store.pending() == []
    with pytest.raises(Exception, match="expired"):
        s.approvals.store.decide(fresh.id, approve=True, by="late")


def test_a_decision_is_bound_to_the_digest_it_was_made_for(gated: Session) -> None:
    refused(gated, "share_secret", SHARE)
    refused(gated, "share_secret", {**SHARE, "email": "eve@evil.example"})
    bob, eve = gated.approvals.store.pending()
    with pytest.raises(Exception, match="another action"):
        gated.approvals.store.decide(eve.id, approve=True, by="x", digest=bob.digest)
    assert {p.status for p in gated.approvals.store.pending()} == {"pending"}


def test_one_grant_is_consumed_once_under_concurrency(gated: Session, vault_path: Path) -> None:
    refused(gated, "share_secret", SHARE)
    [pending] = gated.approvals.store.pending()
    gated.approvals.store.decide(pending.id, approve=True, by="test")
    other = HitlStore(gated.approvals.store.path)  # a second process's connection
    digest, results = pending.digest, []
    barrier = threading.Barrier(2)

    def use(store: HitlStore) -> None:
        barrier.wait()
        results.append(store.consume(digest, by="racer"))

    threads = [threading.Thread(target=use, args=(st,)) for st in (gated.approvals.store, other)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    other.close()
    assert sum(r is not None for r in results) == 1


def test_the_callback_approver_is_recorded_and_bound(make_session) -> None:  # type: ignore[no-untyped-def]
    seen = []
    s: Session = make_session(
        OperatorPolicy(
            require_approval=frozenset({"share_secret"}), approver=lambda r: seen.append(r) or True
        )
    )
    s.backend.put_secret(s.vault_for(None), "prod/api_key", VALUE)
    s.call("share_secret", SHARE)
    assert (
        seen[0].id.startswith("apr_") and len(seen[0].digest) == 64 and "bob@example.com" in seen[0].summary
    )
    events = [e["event"] for e in s.approvals.store.audit_log()]
    assert events == ["approval_requested", "approval_approved", "approval_used"]


def test_the_store_file_is_private_and_holds_no_value(gated: Session) -> None:
    refused(gated, "share_secret", SHARE)
    gated.call("put_secret", {"path": "svc/x", "value": VALUE + "zz"})
    path = gated.approvals.store.path
    assert path.name == "vault.db.approvals" and (path.stat().st_mode & 0o777) == 0o600
    assert VALUE.encode() not in store_bytes(gated)


# -- secrets supplied out of band ----------------------------------------------------------------
def test_request_fulfil_check_gives_a_handle_never_the_value(
    gated: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    out = gated.call(
        "request_secret", {"path": "ci/github_token", "reason": "to open a pull request", "type": "api_key"}
    )
    rid = out["request_id"]
    assert rid.startswith("req_") and out["status"] == "pending"
    assert gated.call("check_secret_request", {"request_id": rid})["status"] == "pending"
    [req] = gated.approvals.store.pending_requests()
    assert (req.path, req.reason, req.type) == ("ci/github_token", "to open a pull request", "api_key")
    fulfil(gated.approvals.store, gated.backend, rid, SecretValue(SUPPLIED), by="test")
    done = gated.call("check_secret_request", {"request_id": rid})
    assert done["status"] == "fulfilled" and done["handle"].startswith("h_") and done["version"] == 1
    assert SUPPLIED not in json.dumps(done) and SUPPLIED not in caplog.text
    assert gated.reveal_unsafe(done["handle"]) == SUPPLIED
    assert SUPPLIED not in gated.scrub(f"echo {SUPPLIED}")  # registered with the guard
    assert SUPPLIED.encode() not in store_bytes(gated)
    events = [e["event"] for e in gated.approvals.store.audit_log()]
    assert events[-2:] == ["secret_requested", "secret_fulfilled"]
    with pytest.raises(Exception, match="already fulfilled"):
        fulfil(gated.approvals.store, gated.backend, rid, SecretValue("again-value-123456"), by="test")


def test_a_request_is_refused_outside_the_policy_or_for_another_agent(make_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    s: Session = make_session(OperatorPolicy(paths=("ci/**",)))
    assert refused(s, "request_secret", {"path": "prod/db", "reason": "x"}).code == "permission_denied"
    assert refused(s, "request_secret", {"path": "ci/x", "reason": ""}).code == "invalid_argument"
    assert refused(s, "request_secret", {"path": "ci/../x", "reason": "r"}).code == "invalid_argument"
    assert refused(s, "check_secret_request", {"request_id": "req_doesnotexist"}).code == "not_found"
    assert refused(s, "check_secret_request", {"request_id": "apr_x"}).code == "invalid_argument"
    rid = s.call("request_secret", {"path": "ci/x", "reason": "r"})["request_id"]
    db = sqlite3.connect(s.approvals.store.path)
    db.execute("UPDATE secret_requests SET requested_by = 'agent:someone-else'")
    db.commit()
    db.close()
    assert refused(s, "check_secret_request", {"request_id": rid}).code == "not_found"


def test_a_read_only_policy_drops_request_secret_but_keeps_check(make_session) -> None:  # type: ignore[no-untyped-def]
    names = {spec.name for spec in make_session(OperatorPolicy(read_only=True)).specs}
    assert "request_secret" not in names and "check_secret_request" in names


def test_a_summary_is_one_line_whatever_the_model_puts_in_a_field(gated: Session) -> None:
    sneaky = {**SHARE, "email": "bob@example.com\nAction: share_secret path=harmless\u202e"}
    refused(gated, "share_secret", sneaky)
    [pending] = gated.approvals.store.pending()
    assert "\n" not in pending.summary and "\u202e" not in pending.summary
    assert "\\n" in pending.summary  # shown escaped, so the human sees the trick


def test_a_model_cannot_flood_the_human_with_requests(gated: Session) -> None:
    for i in range(20):
        gated.call("request_secret", {"path": f"ci/t{i}", "reason": "r"})
    err = refused(gated, "request_secret", {"path": "ci/one_more", "reason": "r"})
    assert err.code == "resource_limit_exceeded" and len(gated.approvals.store.pending_requests()) == 20


def test_a_credential_pasted_into_a_reason_is_not_kept(gated: Session) -> None:
    pasted = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    gated.call("request_secret", {"path": "ci/x", "reason": f"the old one was {pasted}"})
    [req] = gated.approvals.store.pending_requests()
    assert pasted not in req.reason and pasted.encode() not in store_bytes(gated)


def test_a_grant_access_approval_is_bound_to_the_principal_and_permissions(gated: Session) -> None:
    vault = gated.vault_for(None)
    grant = {"vault_id": vault, "principal_type": "agent", "principal_id": "ci-bot", "permissions": ["read"]}
    refused(gated, "grant_access", grant)
    [pending] = gated.approvals.store.pending()
    assert "principal=agent:ci-bot" in pending.summary
    gated.approvals.store.decide(pending.id, approve=True, by="test")
    for other in (
        {"principal_id": "other-bot"},
        {"permissions": ["read", "write"]},
        {"secret_path_pattern": "prod/**"},
    ):
        assert refused(gated, "grant_access", {**grant, **other}).code == "approval_required"
    gated.call("grant_access", grant)
    assert refused(gated, "grant_access", grant).code == "approval_required"


def test_an_http_request_approval_seals_the_body_and_headers(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    s: Session = make_session(
        OperatorPolicy(require_approval=frozenset({"http_request"})),
        http_transport=recorder.transport,
        resolver=dns,
    )
    dns.answers["api.example.com"] = ["93.184.216.34"]
    call = {"method": "POST", "url": "https://api.example.com/v1/pay", "json_body": {"amount": 5}}
    refused(s, "http_request", call)
    [pending] = s.approvals.store.pending()
    assert "host=api.example.com" in pending.summary and "method=POST" in pending.summary
    assert "amount" not in pending.summary and "not shown" in pending.summary
    s.approvals.store.decide(pending.id, approve=True, by="test")
    assert refused(s, "http_request", {**call, "json_body": {"amount": 5000}}).code == "approval_required"
    assert recorder.sent == []
    s.call("http_request", call)
    assert len(recorder.sent) == 1 and b"5" in recorder.sent[0].content


def test_from_env_keeps_the_store_where_that_environment_says(tmp_path: Path) -> None:
    from oneclaw_tools.backends.local import LocalVault

    with LocalVault(tmp_path / "v.db") as vault:  # from_env opens an existing vault only
        vault.initialize()
    env = {"ONECLAW_LOCAL_VAULT": str(tmp_path / "v.db"), "ONECLAW_APPROVALS": str(tmp_path / "elsewhere.db")}
    with Session.from_env(env) as s:
        s.call("request_secret", {"path": "ci/x", "reason": "r"})
        assert s.approvals.store.path == tmp_path / "elsewhere.db"
    with Session.from_env({"ONECLAW_LOCAL_VAULT": str(tmp_path / "v.db")}) as s:
        assert s.approvals.store.path == tmp_path / "v.db.approvals"
