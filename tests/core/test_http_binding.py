"""Destination binding: a handle resolves only toward its hosts, never through a trick.

Real HTTP servers on 127.0.0.1 play the bound API, a redirecting API and an attacker. A
recording transport (wrapping httpx's real one) proves refused requests were never sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.handles import host_allowed
from oneclaw_tools.network import is_loopback_host, is_loopback_url

TOKEN = "CANARYbind_" + "q" * 30


class Recorder(BaseHTTPRequestHandler):
    hits: list[dict[str, str]]
    redirect_to: str | None = None

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        type(self).hits.append(
            {"path": self.path, "auth": self.headers.get("Authorization", ""), "body": body}
        )
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps({"ok": True, "auth": self.headers.get("Authorization", "")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _handle

    def log_message(self, *args: object) -> None:
        return


def serve(redirect_to: str | None = None) -> tuple[ThreadingHTTPServer, type[Recorder]]:
    handler = type("H", (Recorder,), {"hits": [], "redirect_to": redirect_to})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


@pytest.fixture
def attacker() -> Iterator[tuple[str, type[Recorder]]]:
    server, handler = serve()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def api() -> Iterator[tuple[str, type[Recorder]]]:
    server, handler = serve()
    yield f"127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


class Counting(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(str(request.url))
        return self.inner.handle_request(request)


def make(
    vault_path, hosts: list[str], *, loopback: bool = True, **policy: object
) -> tuple[Session, str, Counting]:  # type: ignore[no-untyped-def]
    transport = Counting()
    s = Session.local(
        vault_path, policy=OperatorPolicy(allow_http_loopback=loopback, **policy), http_transport=transport
    )  # type: ignore[arg-type]
    s.backend.put_secret(
        s.vault_for(None), "svc/token", TOKEN, type="api_key", metadata={"allowed_hosts": hosts}
    )
    handle = s.call("get_secret", {"path": "svc/token"})["handle"]
    return s, "{{secret:" + handle + "}}", transport


def test_handle_works_for_its_bound_host(vault_path, api) -> None:  # type: ignore[no-untyped-def]
    host, rec = api
    s, ph, _ = make(vault_path, [host])
    out = s.call(
        "http_request", {"url": f"http://{host}/v1/me", "headers": {"Authorization": f"Bearer {ph}"}}
    )
    assert out["status"] == 200
    assert rec.hits[0]["auth"] == f"Bearer {TOKEN}"
    assert TOKEN not in json.dumps(out), "the echoed header must come back masked"
    assert "[secret:h_" in out["body"]
    body = s.call("http_request", {"method": "POST", "url": f"http://{host}/x", "json_body": {"k": ph}})
    assert body["status"] == 200 and rec.hits[1]["body"] == json.dumps({"k": TOKEN})
    # the list form of headers, for strict tool-calling modes that cannot express free-form objects
    pairs = s.call(
        "http_request",
        {"url": f"http://{host}/y", "headers": [{"name": "Authorization", "value": f"Bearer {ph}"}]},
    )
    assert pairs["status"] == 200 and rec.hits[2]["auth"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.test/collect",
        "https://api.example.com.evil.test/",
        "https://evil-api.example.com/",
        "https://example.com/",
        "https://xn--pi-7ld.example.com/",  # IDNA lookalike (Cyrillic a)
        "https://\u0430pi.example.com/",
        "https://api.example.com:8443/",
        "http://api.example.com/",
    ],
)
def test_handle_is_refused_anywhere_else(vault_path, url: str) -> None:  # type: ignore[no-untyped-def]
    s, ph, transport = make(vault_path, ["api.example.com"], loopback=False)
    with pytest.raises(ToolError) as err:
        s.call("http_request", {"url": url, "headers": {"Authorization": f"Bearer {ph}"}})
    assert err.value.status in (400, 403), err.value.text  # 400: a host IDNA itself rejects
    assert transport.sent == []
    assert (
        err.value.status == 400
        or any(e.action == "handle_refused" for e in s.backend.audit_events(20))
        or "https" in err.value.text
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com@evil.test/",
        "https://api.example.com:x@evil.test/",
        "https://user@api.example.com/",
    ],
)
def test_userinfo_tricks_are_refused(vault_path, url: str) -> None:  # type: ignore[no-untyped-def]
    s, ph, transport = make(vault_path, ["api.example.com"], loopback=False)
    with pytest.raises(ToolError) as err:
        s.call("http_request", {"url": url, "headers": {"Authorization": ph}})
    assert err.value.status in (400, 403) and transport.sent == []


def test_placeholder_in_the_url_is_refused(vault_path) -> None:  # type: ignore[no-untyped-def]
    s, ph, transport = make(vault_path, ["api.example.com"])
    with pytest.raises(ToolError) as err:
        s.call("http_request", {"url": f"https://api.example.com/?k={ph}"})
    assert "'url'" in err.value.text and transport.sent == []


def test_other_port_on_the_same_host_is_refused(vault_path, api, attacker) -> None:  # type: ignore[no-untyped-def]
    host, _ = api
    evil_host, evil = attacker
    s, ph, _ = make(vault_path, [host])
    with pytest.raises(ToolError):
        s.call("http_request", {"url": f"http://{evil_host}/", "headers": {"X": ph}})
    assert evil.hits == []


def test_plain_http_needs_the_operator_and_loopback(vault_path, api) -> None:  # type: ignore[no-untyped-def]
    host, rec = api
    s, ph, _ = make(vault_path, [host], loopback=False)
    with pytest.raises(ToolError, match="https"):
        s.call("http_request", {"url": f"http://{host}/", "headers": {"X": ph}})
    assert rec.hits == []


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8200", True),
        ("http://127.9.9.9/", True),
        ("http://[::1]:8080/x", True),
        ("http://localhost:1", True),
        ("http://10.0.0.5:8200", False),
        ("http://localhost.evil.test/", False),
        ("http://exa mple/", False),  # unreadable: not loopback
    ],
)
def test_one_loopback_test_for_every_plain_http_exception(url: str, loopback: bool) -> None:
    """The remote client, the OpenBao backend, transit, http_request and the MCP server share it."""
    assert is_loopback_url(url) is loopback
    if loopback:
        assert is_loopback_host(httpx.URL(url).host)


def test_redirects_never_carry_a_value_to_another_host(vault_path, attacker) -> None:  # type: ignore[no-untyped-def]
    evil_host, evil = attacker
    server, rec = serve(redirect_to=f"http://{evil_host}")
    try:
        host = f"127.0.0.1:{server.server_address[1]}"
        s, ph, _ = make(vault_path, [host])
        out = s.call("http_request", {"url": f"http://{host}/start", "headers": {"Authorization": ph}})
        assert out["status"] == 302 and "redirect not followed" in out["note"]
        assert rec.hits and evil.hits == []
    finally:
        server.shutdown()
        server.server_close()


def test_expired_and_used_up_handles_are_refused(vault_path, api, clock) -> None:  # type: ignore[no-untyped-def]
    host, _ = api
    transport = Counting()
    s = Session.local(
        vault_path,
        policy=OperatorPolicy(allow_http_loopback=True, handle_max_uses=1, handle_ttl=timedelta(seconds=30)),
        http_transport=transport,
        clock=clock,
    )
    s.backend.put_secret(s.vault_for(None), "svc/token", TOKEN, metadata={"allowed_hosts": [host]})
    h = s.call("get_secret", {"path": "svc/token"})["handle"]
    assert (
        s.call("http_request", {"url": f"http://{host}/", "headers": {"X": "{{secret:" + h + "}}"}})["status"]
        == 200
    )
    with pytest.raises(ToolError, match="used up"):
        s.call("http_request", {"url": f"http://{host}/", "headers": {"X": "{{secret:" + h + "}}"}})
    h2 = s.call("get_secret", {"path": "svc/token"})["handle"]
    clock.advance(seconds=31)
    with pytest.raises(ToolError, match="expired"):
        s.call("http_request", {"url": f"http://{host}/", "headers": {"X": "{{secret:" + h2 + "}}"}})
    assert len(transport.sent) == 1


def test_secret_expiry_caps_the_handle(vault_path, clock) -> None:  # type: ignore[no-untyped-def]
    s = Session.local(vault_path, clock=clock)
    s.backend.put_secret(s.vault_for(None), "a/b", TOKEN, expires_at="2099-01-01T00:00:00Z")
    out = s.call("get_secret", {"path": "a/b"})
    assert out["handle_expires_at"] <= "2099-01-01T00:00:00Z"


def test_operator_host_bindings_add_destinations(vault_path, api) -> None:  # type: ignore[no-untyped-def]
    host, _ = api
    s, ph, _ = make(vault_path, [], host_bindings={"svc/**": (host,)})
    assert s.call("http_request", {"url": f"http://{host}/", "headers": {"X": ph}})["status"] == 200


def test_no_binding_means_no_destination(vault_path) -> None:  # type: ignore[no-untyped-def]
    s, ph, transport = make(vault_path, [])
    with pytest.raises(ToolError, match="not bound"):
        s.call("http_request", {"url": "https://api.example.com/", "headers": {"X": ph}})
    assert transport.sent == []


def test_response_is_truncated_with_a_note_after_scrubbing(vault_path, api) -> None:  # type: ignore[no-untyped-def]
    host, _ = api
    s, ph, _ = make(vault_path, [host], http_max_response_chars=20)
    out = s.call("http_request", {"url": f"http://{host}/", "headers": {"Authorization": ph}})
    assert len(out["body"]) == 20 and "only the first 20" in out["truncated"]
    assert TOKEN[:12] not in json.dumps(out)


@pytest.mark.parametrize(
    ("rules", "host", "port", "ok"),
    [
        (["api.example.com"], "api.example.com", 443, True),
        (["api.example.com"], "API.example.com", 443, True),
        (["api.example.com"], "api.example.com", 8443, False),
        (["api.example.com:8443"], "api.example.com", 8443, True),
        (["*.example.com"], "a.b.example.com", 443, True),
        (["*.example.com"], "example.com", 443, False),
        (["*.example.com"], "evilexample.com", 443, False),
        (["bücher.example"], "xn--bcher-kva.example", 443, True),
        (["api.example.com"], "\u0430pi.example.com", 443, False),
        (["127.0.0.1:8080"], "127.0.0.1", 8080, True),
        (["[::1]:8080"], "::1", 8080, True),
        ([], "api.example.com", 443, False),
    ],
)
def test_host_rules(rules: list[str], host: str, port: int, ok: bool) -> None:
    assert host_allowed(rules, host, port, 443) is ok
