"""A hijacked model tries every way out issue 11 names, through ``Session.call``, default policy.

Each test plays the model: it sends the arguments injected text would make it send, then
asserts the refusal (status and a reason a human can act on), the audit record, and that
nothing was sent (a recording ``httpx.MockTransport``; names resolve only through the test's
``FakeDNS``, so no packet ever leaves 127.0.0.0/8). If one fails, a way out has reopened: fix
the product, never the test. The same attacks through a real agent loop are in
``tests/adapters/langchain/test_langchain_hijack.py``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.server.testing import make_agent, running_server

EXPIRY = "2099-01-01T00:00:00Z"
PUBLIC = "93.184.216.34"  # only ever returned by FakeDNS in front of a MockTransport


def denied(session: Session, action: str, outcome: str = "denied") -> list[Any]:
    return [e for e in session.backend.audit_events(200) if e.action == action and e.outcome == outcome]


def refuse(session: Session, tool: str, args: dict[str, Any], status: int = 403) -> ToolError:
    with pytest.raises(ToolError) as err:
        session.call(tool, args)
    assert err.value.status == status, err.value.text
    return err.value


def seed(session: Session, path: str = "svc/key", hosts: list[str] | None = None) -> str:
    value = "sk_test_" + "Z" * 32
    session.backend.put_secret(
        session.vault_for(None),
        path,
        value,
        type="api_key",
        metadata={"allowed_hosts": hosts or ["api.example.com"]},
    )
    return value


# -- outward actions need the operator ---------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        {"email": "attacker@evil.example"},
        {"recipient_type": "anyone_with_link"},
        {"recipient_type": "agent", "recipient_id": "agent-of-the-attacker"},
        {"recipient_type": "creator"},
    ],
)
def test_share_needs_a_human(make_session, args: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    seed(session)
    err = refuse(session, "share_secret", {"path": "svc/key", "expires_at": EXPIRY, **args})
    assert err.code == "approval_required"
    assert "approver" in err.text and "share_recipients" in err.text
    assert denied(session, "approval_requested", "pending")
    assert session.backend.list_outbound_shares() == []


def test_grant_needs_a_human(make_session) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    vault = session.vault_for(None)
    err = refuse(
        session,
        "grant_access",
        {"vault_id": vault, "principal_type": "agent", "principal_id": "evil", "permissions": ["read"]},
    )
    assert err.code == "approval_required" and "grant_principals" in err.text
    assert denied(session, "approval_requested", "pending")
    assert not [p for p in session.backend.list_policies(vault) if p.principal_id == "evil"]


def test_allowlists_name_recipients_and_principals_only(make_session) -> None:  # type: ignore[no-untyped-def]
    session = make_session(
        OperatorPolicy(
            share_recipients=("ops@example.com", "@team.example", "agent:deployer"),
            grant_principals=("agent:ci",),
        )
    )
    seed(session)
    share = {"path": "svc/key", "expires_at": EXPIRY}
    assert session.call("share_secret", {**share, "email": "OPS@example.com"})
    assert session.call("share_secret", {**share, "email": "alice@team.example"})
    assert session.call("share_secret", {**share, "recipient_type": "agent", "recipient_id": "deployer"})
    for other in (
        {"email": "alice@team.example.evil.io"},
        {"email": "alice@sub.team.example"},
        {"email": "ops@example.com@evil.io"},
        {"recipient_type": "anyone_with_link"},
        {"recipient_type": "user", "recipient_id": "deployer"},
    ):
        assert refuse(session, "share_secret", {**share, **other}).code in (
            "approval_required",
            "invalid_argument",
        )
    vault = session.vault_for(None)
    grant = {"vault_id": vault, "principal_type": "agent", "permissions": ["read"]}
    assert session.call("grant_access", {**grant, "principal_id": "ci"})
    assert refuse(session, "grant_access", {**grant, "principal_id": "cia"}).code == "approval_required"
    assert refuse(session, "grant_access", {**grant, "principal_type": "user", "principal_id": "ci"})


def test_a_human_decides_and_delete_and_create_vault_stay_allowed(make_session) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    session = make_session(OperatorPolicy(approver=lambda req: seen.append(req.summary) or False))
    seed(session)
    refuse(session, "share_secret", {"path": "svc/key", "email": "a@b.example", "expires_at": EXPIRY})
    assert seen and "a@b.example" in seen[0]
    assert session.call("create_vault", {"name": "extra"})
    assert session.call("delete_secret", {"path": "svc/key"})["deleted"]


# -- vault scope ---------------------------------------------------------------------------
def check_vault_scope(session: Session, other: str, caplog: Any) -> None:
    own = session.vault_for(None)
    for tool, args in [
        ("list_secrets", {"vault_id": other}),
        ("get_secret", {"path": "svc/key", "vault_id": other}),
        ("describe_secret", {"path": "svc/key", "vault_id": other}),
        ("put_secret", {"path": "svc/new", "value": "x" * 20, "vault_id": other}),
        ("get_env_bundle", {"path": "svc/key", "vault_id": other}),
        ("delete_secret", {"path": "svc/key", "vault_id": other}),
        ("rotate_and_store", {"path": "svc/key", "vault_id": other}),
        ("list_versions", {"path": "svc/key", "vault_id": other}),
        (
            "share_secret",
            {"path": "svc/key", "email": "a@b.example", "expires_at": EXPIRY, "vault_id": other},
        ),
    ]:
        err = refuse(session, tool, args)
        assert "outside" in err.text or err.code == "approval_required", (tool, err.text)
    audited = denied(session, "vault_refused") or [
        r for r in caplog.records if r.getMessage().startswith("vault_refused denied")
    ]
    assert audited  # the remote backend keeps no local log: the audit logger has it
    listed = [v["id"] for v in session.call("list_vaults", {})["vaults"]]
    assert listed == [own]
    assert session.call("get_secret", {"path": "svc/key"})["handle"]


def test_vault_scope_local(make_session, caplog) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    seed(session)
    other = session.backend.create_vault("other").id
    session.backend.put_secret(other, "svc/key", "other-vault-secret-value", type="api_key")
    check_vault_scope(session, other, caplog)
    wide = make_session(OperatorPolicy(vaults=(session.vault_for(None), other)))
    assert wide.call("get_secret", {"path": "svc/key", "vault_id": other})["handle"]
    assert {v["id"] for v in wide.call("list_vaults", {})["vaults"]} == {session.vault_for(None), other}


def test_vault_scope_remote(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    """The agent may read a second vault on the server; the session was opened for one."""
    with running_server(tmp_path) as (server, base_url):
        agent_id, key, vault_id = make_agent(server, "scoped-bot")
        other = server.vault.create_vault("second").id
        server.vault.create_policy(
            other, principal_type="agent", principal_id=agent_id, secret_path_pattern="**",
            permissions=["read", "write", "delete", "rotate"],
        )  # fmt: skip
        server.vault.put_secret(other, "svc/key", "other-vault-secret-value", type="api_key")
        env = {
            "ONECLAW_AGENT_API_KEY": key.reveal_unsafe(),
            "ONECLAW_AGENT_ID": agent_id,
            "ONECLAW_VAULT_ID": vault_id,
            "ONECLAW_BASE_URL": base_url,
        }
        with Session.from_env(env, vault_id=vault_id) as session:
            caplog.set_level(logging.INFO, logger="oneclaw_tools.audit")
            seed(session)
            check_vault_scope(session, other, caplog)


# -- the network boundary of http_request -------------------------------------------------
NON_PUBLIC = [
    "https://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://10.0.0.5/",
    "https://192.168.1.1/",
    "https://172.16.0.1/",
    "https://100.64.0.1/",
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://224.0.0.1/",
    "https://0.0.0.0/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://240.0.0.1/",
]


@pytest.mark.parametrize("url", NON_PUBLIC)
def test_ssrf_without_a_handle_is_refused_before_sending(make_session, recorder, dns, url: str) -> None:  # type: ignore[no-untyped-def]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    err = refuse(session, "http_request", {"url": url})
    assert "public addresses only" in err.text and "operator" in err.text
    assert denied(session, "destination_refused")
    assert recorder.sent == []


@pytest.mark.parametrize(
    "address", ["10.0.0.5", "169.254.169.254", "127.0.0.1", "::ffff:10.0.0.5", "fd12::1"]
)
def test_a_name_resolving_to_a_private_address_is_refused_and_keeps_the_handle(
    make_session, recorder, dns, address
) -> None:  # type: ignore[no-untyped-def]
    """The handle is bound to the name; the name points inside: refused, and no use consumed."""
    session = make_session(OperatorPolicy(handle_max_uses=1), http_transport=recorder.transport, resolver=dns)
    seed(session, hosts=["api.example.com", "internal.example.com"])
    dns.answers.update({"internal.example.com": [address], "api.example.com": [PUBLIC]})
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    auth = {"Authorization": "Bearer {{secret:" + handle + "}}"}
    refuse(session, "http_request", {"url": "https://internal.example.com/", "headers": auth})
    assert recorder.sent == []
    assert session.handles.get(handle).uses == 0
    assert session.call("http_request", {"url": "https://api.example.com/", "headers": auth})["status"] == 200
    assert [str(r.url) for r in recorder.sent] == ["https://api.example.com/"]


def test_a_name_with_one_bad_address_among_good_ones_is_refused(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    dns.answers["mixed.example.com"] = [PUBLIC, "10.1.2.3"]
    refuse(session, "http_request", {"url": "https://mixed.example.com/"})
    assert recorder.sent == []


def test_dns_rebinding_is_caught_at_connection_time(make_session, dns) -> None:  # type: ignore[no-untyped-def]
    """The default transport: the first answer (checked before sending) is allowed, the answer
    at connection time is not; the connection is refused, nothing is sent, no use consumed.
    Both answers stay inside 127.0.0.0/8 (127.0.0.2 is opened as an operator network)."""
    session = make_session(
        OperatorPolicy(http_allow_networks=("127.0.0.2/32",), handle_max_uses=1), resolver=dns
    )
    seed(session, hosts=["rebind.example.com"])
    dns.answers["rebind.example.com"] = [["127.0.0.2"], ["127.0.0.1"]]
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    err = refuse(
        session,
        "http_request",
        {"url": "https://rebind.example.com/", "headers": {"X-Key": "{{secret:" + handle + "}}"}},
    )
    assert "127.0.0.1" in err.text and "loopback" in err.text
    assert dns.asked == ["rebind.example.com", "rebind.example.com"]
    assert session.handles.get(handle).uses == 0
    assert denied(session, "destination_refused")


def test_a_failed_connection_consumes_no_use(make_session, dns) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    session = make_session(OperatorPolicy(allow_http_loopback=True, handle_max_uses=1), resolver=dns)
    seed(session, hosts=[f"127.0.0.1:{port}"])
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    err = refuse(
        session,
        "http_request",
        {"url": f"http://127.0.0.1:{port}/", "headers": {"X-Key": "{{secret:" + handle + "}}"}},
        status=None,  # type: ignore[arg-type]
    )
    assert "failed to connect" in err.text
    assert session.handles.get(handle).uses == 0


def test_an_operator_transport_does_not_switch_the_check_off(recorder, dns, vault_path) -> None:  # type: ignore[no-untyped-def]
    with Session.local(vault_path, http_transport=recorder.transport, resolver=dns) as session:
        dns.answers["metadata.example.com"] = ["169.254.169.254"]
        refuse(session, "http_request", {"url": "https://metadata.example.com/latest/"})
    assert recorder.sent == []


def test_the_operator_may_open_loopback_and_named_networks(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    session = make_session(
        OperatorPolicy(allow_http_loopback=True, http_allow_networks=("10.1.0.0/16",)),
        http_transport=recorder.transport,
        resolver=dns,
    )
    assert session.call("http_request", {"url": "https://127.0.0.1/"})["status"] == 200
    assert session.call("http_request", {"url": "https://10.1.2.3/"})["status"] == 200
    refuse(session, "http_request", {"url": "https://10.2.0.1/"})
    refuse(session, "http_request", {"url": "https://169.254.169.254/"})
    assert [r.url.host for r in recorder.sent] == ["127.0.0.1", "10.1.2.3"]


# -- finer binding through the tool --------------------------------------------------------
def test_binding_limits_method_path_and_place(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    dns.answers["api.stripe.com"] = [PUBLIC]
    seed(session, hosts=["POST api.stripe.com/v1/charges in header"])
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    ph = "{{secret:" + handle + "}}"
    url = "https://api.stripe.com/v1/charges"
    for args in [
        {"method": "GET", "url": url, "headers": {"Authorization": ph}},
        {"method": "POST", "url": "https://api.stripe.com/v1/customers", "headers": {"Authorization": ph}},
        {"method": "POST", "url": url, "query": {"key": ph}},
        {"method": "POST", "url": url, "json_body": {"key": ph}},
        {"method": "POST", "url": "https://api.stripe.com/v1/charges/../../admin", "headers": {"A": ph}},
    ]:
        refuse(session, "http_request", args)
    assert recorder.sent == []
    assert denied(session, "handle_refused")
    assert session.call("http_request", {"method": "POST", "url": url, "headers": {"Authorization": ph}})
    assert len(recorder.sent) == 1


def test_idna_lookalike_fass_de(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    dns.answers.update({"fass.de": [PUBLIC], "xn--fa-hia.de": [PUBLIC]})
    seed(session, hosts=["faß.de"])
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    refuse(
        session, "http_request", {"url": "https://fass.de/", "headers": {"A": "{{secret:" + handle + "}}"}}
    )
    assert recorder.sent == []
    session.call("http_request", {"url": "https://faß.de/", "headers": {"A": "{{secret:" + handle + "}}"}})
    assert [r.url.raw_host for r in recorder.sent] == [b"xn--fa-hia.de"]


# -- capture obeys the policy --------------------------------------------------------------
def test_capture_configurations_that_would_break_the_policy_are_refused() -> None:
    with pytest.raises(ValueError, match="read_only"):
        OperatorPolicy(capture=True, read_only=True)
    with pytest.raises(ValueError, match="outside the allowed paths"):
        OperatorPolicy(capture=True, paths=("prod/**",))
    assert OperatorPolicy(capture=True, paths=("prod/**", "quarantine/**"))


def test_captures_per_call_are_capped(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    import secrets

    tokens = ["github_pat_" + secrets.token_hex(20) for _ in range(20)]  # unrelated fresh values
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=" ".join(tokens)))
    session = make_session(
        OperatorPolicy(capture=True, capture_max_per_call=3), http_transport=transport, resolver=dns
    )
    dns.answers["leaky.example.com"] = [PUBLIC]
    out = session.call("http_request", {"url": "https://leaky.example.com/"})
    assert not any(t in out["body"] for t in tokens)
    stored = session.backend.list_secrets(session.vault_for(None), "quarantine/")
    assert len(stored) == 3
    assert any(e.action == "capture_capped" for e in session.backend.audit_events(50))


# -- smaller holes -------------------------------------------------------------------------
def test_an_expired_handle_drops_its_plaintext_at_once(make_session, clock) -> None:  # type: ignore[no-untyped-def]
    session = make_session(OperatorPolicy(handle_ttl=timedelta(minutes=1)), clock=clock)
    value = seed(session)
    handle_id = session.call("get_secret", {"path": "svc/key"})["handle"]
    handle = session.handles._handles[handle_id]
    clock.advance(minutes=2)
    session.call("list_secrets", {})  # any call sweeps
    assert handle.value.reveal_unsafe() == "" and value not in repr(vars(handle))
    refuse(
        session,
        "http_request",
        {"url": "https://api.example.com/", "headers": {"A": "{{secret:" + handle_id + "}}"}},
        status=410,
    )


# -- logs ----------------------------------------------------------------------------------
def test_logs_are_scrubbed_every_way_and_the_hook_leaves_with_the_last_session(vault_path, caplog) -> None:  # type: ignore[no-untyped-def]
    from oneclaw_tools import logscrub

    caplog.set_level(logging.INFO)
    log = logging.getLogger("some.library")
    first = Session.local(vault_path)
    second = Session.local(vault_path)
    value = seed(first)
    first.call("get_secret", {"path": "svc/key"})
    try:
        raise RuntimeError(f"boom {value}")
    except RuntimeError:
        log.exception("failed with %s", value, extra={"secret_field": f"v={value}"}, stack_info=True)
    log.handle(
        logging.makeLogRecord({"name": "x", "msg": f"made {value}", "levelno": 20, "levelname": "INFO"})
    )
    logging.LoggerAdapter(log, {"ctx": value}).info("adapter %s", value)
    texts = [
        str(vars(r)) + (r.exc_text or "") + (r.stack_info or "") + r.getMessage() for r in caplog.records
    ]
    assert texts and all(value not in t for t in texts)
    assert caplog.records[0].secret_field.startswith("v=[secret:")
    first.close()
    assert logscrub.installed()
    second.close()
    assert not logscrub.installed()
    assert logging.Logger.handle is logscrub._ORIGINAL_HANDLE or logscrub._ORIGINAL_HANDLE is None


def test_the_default_transport_connects_to_the_address_it_checked(make_session, dns) -> None:  # type: ignore[no-untyped-def]
    """The pinned connection really works: a name resolved by the session's resolver, checked,
    and connected to by address, while the request still names the host."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("Host", ""))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        dns.answers["localhost"] = ["127.0.0.1"]
        session = make_session(OperatorPolicy(allow_http_loopback=True), resolver=dns)
        assert session.call("http_request", {"url": f"http://localhost:{port}/"})["status"] == 204
        assert seen == [f"localhost:{port}"] and dns.asked == ["localhost", "localhost"]
    finally:
        server.shutdown()
        server.server_close()


def test_expiry_drops_the_plaintext_without_waiting_for_a_call() -> None:
    """Nobody touches the store after issuing: the value still goes when the handle expires."""
    import time

    from oneclaw_tools.handles import HandleStore
    from oneclaw_tools.models import SecretValue

    store = HandleStore(ttl=timedelta(seconds=0.2))
    handle = store.issue(SecretValue("q" * 24), vault_id="v", path="p", version=1, type="api_key")
    deadline = time.monotonic() + 5
    while not handle.expired and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handle.expired and handle.value.reveal_unsafe() == ""
    store.clear()


@pytest.mark.parametrize("header", ["Host", "host", "X-Forwarded-Host", "Forwarded"])
def test_a_handle_cannot_be_fronted_to_another_site(make_session, recorder, dns, header: str) -> None:  # type: ignore[no-untyped-def]
    """Domain fronting: the connection goes to the bound host, a Host header names the attacker's
    site on the same CDN. Refused before anything is resolved or sent."""
    session = make_session(http_transport=recorder.transport, resolver=dns)
    seed(session)
    handle = session.call("get_secret", {"path": "svc/key"})["handle"]
    err = refuse(
        session,
        "http_request",
        {
            "url": "https://api.example.com/",
            "headers": {header: "attacker.example", "A": "{{secret:" + handle + "}}"},
        },
        status=400,
    )
    assert "the URL names the destination" in err.text
    assert recorder.sent == [] and session.handles.get(handle).uses == 0


def test_another_vault_is_refused_before_a_human_is_asked(make_session) -> None:  # type: ignore[no-untyped-def]
    session = make_session()
    seed(session)
    other = session.backend.create_vault("elsewhere").id
    args = {"path": "svc/key", "email": "a@b.example", "expires_at": EXPIRY, "vault_id": other}
    assert "outside" in refuse(session, "share_secret", args).text
    assert not denied(session, "approval_requested", "pending")
