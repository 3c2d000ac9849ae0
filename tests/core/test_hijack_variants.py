"""Variants of issue 11's and 16's attacks that the first tests did not try, as a hijacked model
would send them through ``Session.call`` (default policy unless a test says otherwise).

An approval granted for one vault spent in another, or by another agent; a ``vault_id`` spelled
another way (case, padding, an invisible character); an allowlisted recipient or principal
spelled another way; and ``http_request`` bounced by a redirect from an allowed host to the
cloud metadata service. Nothing may be sent outside 127.0.0.0/8: refused destinations meet a
recording ``httpx.MockTransport`` and names resolve only through the test's ``FakeDNS``. If a
test fails, a way out has reopened: fix the product (``oneclaw_tools/services.py`` for the vault
scope, ``hitl/action.py`` for what an approval covers, ``policy.py`` for the allowlists,
``network.py`` and ``tools/http.py`` for redirects), never the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.server.testing import make_agent, running_server

EXPIRY = "2099-01-01T00:00:00Z"
PUBLIC = "93.184.216.34"  # only ever returned by FakeDNS in front of a MockTransport
VALUE = "sk_test_" + "V" * 32
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


def refuse(session: Session, tool: str, args: dict[str, Any]) -> ToolError:
    with pytest.raises(ToolError) as err:
        session.call(tool, args)
    return err.value


def audited(session: Session, action: str, outcome: str = "denied") -> int:
    return len([e for e in session.backend.audit_events(500) if (e.action, e.outcome) == (action, outcome)])


@pytest.fixture
def two_vaults(make_session, vault_path: Path) -> tuple[Session, str, str]:  # type: ignore[no-untyped-def]
    """A session whose policy opens two vaults, each holding ``svc/key``."""
    with Session.local(vault_path) as seed:
        own = seed.vault_for(None)
        other = seed.backend.create_vault("second").id
        for vault in (own, other):
            seed.backend.put_secret(vault, "svc/key", VALUE, type="api_key")
    session: Session = make_session(OperatorPolicy(vaults=(own, other)))
    return session, own, other


# -- an approval covers one vault and one agent --------------------------------------------------
def test_an_approval_for_one_vault_is_not_spent_in_another(two_vaults: tuple[Session, str, str]) -> None:
    session, own, other = two_vaults
    share = {"path": "svc/key", "email": "bob@example.com", "expires_at": EXPIRY}
    grant = {"principal_type": "agent", "principal_id": "helper", "permissions": ["read"]}
    for tool, args in (("share_secret", share), ("grant_access", grant)):
        assert refuse(session, tool, {**args, "vault_id": own}).code == "approval_required"
        [pending] = session.approvals.store.pending()
        assert f"vault={own}" in pending.summary
        session.approvals.store.decide(pending.id, approve=True, by="a human")
        err = refuse(session, tool, {**args, "vault_id": other})  # the grant was for the other vault
        assert err.code == "approval_required" and pending.id not in err.text
        [fresh] = session.approvals.store.pending()
        assert f"vault={other}" in fresh.summary
        session.approvals.store.decide(fresh.id, approve=False, by="a human")
        assert session.call(tool, {**args, "vault_id": own})  # the approved action still runs, once
    assert [(s.vault_id, s.email) for s in session.backend.list_outbound_shares()] == [
        (own, "bob@example.com")
    ]
    assert {p.principal_id for p in session.backend.list_policies(other)} == set()
    assert {p.principal_id for p in session.backend.list_policies(own)} >= {"helper"}


def test_an_approval_for_one_agent_is_not_spent_by_another(tmp_path: Path) -> None:
    """Two agents of the same vault share one approval store (as on one server): the human approved
    agent A's share; agent B sending the very same arguments gets no grant from it."""
    with running_server(tmp_path) as (server, base_url):
        a_id, a_key, vault = make_agent(server, "agent-a")
        b_record, b_key = server.agents.create_agent("agent-b", [vault])
        server.vault.create_policy(
            vault, principal_type="agent", principal_id=b_record.id, secret_path_pattern="**",
            permissions=["read", "write"],
        )  # fmt: skip
        server.vault.put_secret(vault, "svc/key", VALUE, type="api_key")
        share = {"path": "svc/key", "recipient_type": "anyone_with_link", "expires_at": EXPIRY}
        store = tmp_path / "approvals.db"

        def agent_session(agent_id: str, key: str) -> Session:
            env = {"ONECLAW_AGENT_API_KEY": key, "ONECLAW_AGENT_ID": agent_id, "ONECLAW_BASE_URL": base_url}
            return Session.from_env(env, vault_id=vault, approvals=store)

        with (
            agent_session(a_id, a_key.reveal_unsafe()) as a,
            agent_session(b_record.id, b_key.reveal_unsafe()) as b,
        ):
            assert refuse(a, "share_secret", share).code == "approval_required"
            [pending] = a.approvals.store.pending()
            assert f"requested by agent:{a_id}" in pending.summary
            a.approvals.store.decide(pending.id, approve=True, by="a human")
            err = refuse(b, "share_secret", share)
            assert err.code == "approval_required" and pending.id not in err.text
            assert b.backend.list_outbound_shares() == []
            assert a.call("share_secret", share)["share_id"]  # A's own grant is still there


# -- a vault id spelled another way is another vault ---------------------------------------------
def _variants(vault: str) -> list[str]:
    return [
        vault.upper(),
        " " + vault,
        vault + " ",
        vault + "\n",
        vault + "\u200b",  # zero-width space
        vault.replace("-", ""),
        vault.replace("a", "\u0430", 1) if "a" in vault else "\u0430" + vault[1:],  # Cyrillic a
    ]


def test_a_vault_id_spelled_another_way_is_refused(make_session) -> None:  # type: ignore[no-untyped-def]
    session: Session = make_session()
    own = session.vault_for(None)
    session.backend.put_secret(own, "svc/key", VALUE, type="api_key")
    refusals = audited(session, "vault_refused")
    for vault in _variants(own):
        for tool, args in [
            ("get_secret", {"path": "svc/key"}),
            ("list_secrets", {}),
            ("put_secret", {"path": "svc/new", "value": "n" * 24}),
            ("share_secret", {"path": "svc/key", "email": "bob@example.com", "expires_at": EXPIRY}),
            ("grant_access", {"principal_type": "agent", "principal_id": "x", "permissions": ["read"]}),
            ("request_secret", {"path": "svc/wanted", "reason": "needed"}),
        ]:
            err = refuse(session, tool, {**args, "vault_id": vault})
            assert err.status in (400, 403) and err.code != "approval_required", (tool, repr(vault), err.text)
    assert audited(session, "vault_refused") > refusals
    assert session.approvals.store.pending() == [] and session.approvals.store.pending_requests() == []
    assert [m.path for m in session.backend.list_secrets(own)] == ["svc/key"]
    assert session.backend.list_outbound_shares() == []


# -- an allowlisted recipient or principal spelled another way is not on the list ----------------
def test_allowlists_do_not_stretch_to_look_alikes(make_session) -> None:  # type: ignore[no-untyped-def]
    session: Session = make_session(
        OperatorPolicy(share_recipients=("@team.example", "agent:deployer"), grant_principals=("agent:ci",))
    )
    own = session.vault_for(None)
    session.backend.put_secret(own, "svc/key", VALUE, type="api_key")
    share = {"path": "svc/key", "expires_at": EXPIRY}
    for other in (
        {"email": "bob@team.example."},  # a trailing dot
        {"email": "bob@te\u0430m.example"},  # Cyrillic a
        {"email": "bob@team.example\u200b"},
        {"email": "bob@team.example\n@evil.example"},
        {"email": "bob@evil.example#@team.example"},
        {"recipient_type": "agent", "recipient_id": "deployer "},
        {"recipient_type": "agent", "recipient_id": "Deployer"},
        {"recipient_type": "user", "recipient_id": "deployer"},
        {"recipient_type": "anyone_with_link", "email": "bob@team.example"},
    ):
        assert refuse(session, "share_secret", {**share, **other}).code in (
            "approval_required",
            "invalid_argument",
        ), other
    grant = {"vault_id": own, "principal_type": "agent", "permissions": ["read"]}
    for principal in ("ci ", " ci", "CI", "ci\n", "c\u0456"):
        assert (
            refuse(session, "grant_access", {**grant, "principal_id": principal}).code == "approval_required"
        )
    assert session.backend.list_outbound_shares() == []
    assert not [p for p in session.backend.list_policies(own) if p.principal_type == "agent"]


# -- a redirect never takes http_request anywhere --------------------------------------------------
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_the_metadata_service_is_not_followed(make_session, dns, status: int) -> None:  # type: ignore[no-untyped-def]
    """The allowed host answers with a redirect to 169.254.169.254 (and the model's handle in the
    request): one request leaves, to the allowed host; the redirect comes back unfollowed."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        return httpx.Response(status, headers={"Location": METADATA_URL})

    dns.answers["api.example.com"] = [PUBLIC]
    session: Session = make_session(http_transport=httpx.MockTransport(answer), resolver=dns)
    session.backend.put_secret(
        session.vault_for(None),
        "svc/key",
        VALUE,
        type="api_key",
        metadata={"allowed_hosts": ["api.example.com"]},
    )
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    out = session.call(
        "http_request",
        {
            "method": "POST",
            "url": "https://api.example.com/start",
            "headers": {"A": "{{secret:" + handle + "}}"},
        },
    )
    assert out["status"] == status and "redirect not followed" in out["note"]
    assert [str(r.url) for r in sent] == ["https://api.example.com/start"]
    # the model may try the Location itself: the boundary refuses it, nothing more is sent
    err = refuse(session, "http_request", {"url": out["headers"]["location"]})
    assert err.status == 403
    err = refuse(
        session,
        "http_request",
        {"url": "https://169.254.169.254/latest/", "headers": {"A": "{{secret:" + handle + "}}"}},
    )
    assert err.status == 403 and len(sent) == 1


class _Redirector(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]]  # one list per server (the fixture makes a subclass)

    def _answer(self) -> None:
        type(self).hits.append(self.command + " " + self.path)
        self.send_response(307)
        self.send_header("Location", METADATA_URL)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def redirector() -> Iterator[tuple[int, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Redirector,), {"hits": hits})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], hits
    finally:
        server.shutdown()
        server.server_close()


def test_a_real_redirect_through_the_default_transport_is_not_followed(make_session, dns, redirector) -> None:  # type: ignore[no-untyped-def]
    """The same through the default (pinned) transport and a real server on 127.0.0.1: the server
    sees one request; had the client followed, the boundary would still refuse the link-local hop."""
    port, hits = redirector
    dns.answers["localhost"] = ["127.0.0.1"]
    session: Session = make_session(OperatorPolicy(allow_http_loopback=True), resolver=dns)
    out = session.call("http_request", {"method": "POST", "url": f"http://localhost:{port}/x", "body": "b"})
    assert out["status"] == 307 and out["headers"]["location"] == METADATA_URL
    assert hits == ["POST /x"] and dns.asked == ["localhost", "localhost"]
    for url in (METADATA_URL, METADATA_URL.replace("http://", "https://")):  # plain http, then the address
        err = refuse(session, "http_request", {"url": url})
        assert err.status == 403 and hits == ["POST /x"]
    assert "link-local" in err.text


# -- text a model wrote cannot forge what the operator reads ---------------------------------------
FORGED = [
    "open the PR\x1b[2K\rreq_0000000000  default/ci/other (api_key)  reason: harmless  by user:owner",
    "open the PR\nreq_0000000000  default/ci/other (api_key)",
    "open the PR\u202e",  # right-to-left override
]


def test_a_reason_cannot_forge_the_operators_terminal(make_session, vault_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A request's reason reaches ``oneclaw-tools requests`` in the operator's terminal: a line
    break or an escape sequence in it could hide the real request id, path or agent behind a
    forged line. The tool refuses such a reason; a row already in the store is printed quoted."""
    session: Session = make_session()
    for reason in FORGED:
        err = refuse(session, "request_secret", {"path": "ci/token", "reason": reason})
        assert err.code == "invalid_argument" and "'reason'" in err.text
    assert session.approvals.store.pending_requests() == []
    for reason in FORGED:  # as another writer (an older version) might have stored it
        session.approvals.store.request_secret(
            vault_id=session.vault_for(None),
            path="ci/token",
            reason=reason,
            type="api_key",
            requested_by="agent:x",
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONECLAW_")}
    env["ONECLAW_LOCAL_VAULT"] = str(vault_path)
    store = str(session.approvals.store.path)
    for command in (["requests"], ["approvals", "--history"]):
        out = subprocess.run(
            [sys.executable, "-m", "oneclaw_tools", *command, "--store", store],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert len(lines) == len(FORGED), lines
        assert not any(c in out.stdout for c in ("\x1b", "\r", "\u202e")), out.stdout
        assert all(line.startswith("req_") or "secret_requested" in line for line in lines), lines
