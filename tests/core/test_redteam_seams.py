"""Attacks across the seams of the session's features, played as a hijacked model would.

Each test sends what injected text would make a model send, through ``Session.call``, and
asserts the way out stays shut: the network boundary (IPv4 literals in the forms an operating
system reads, proxies from the environment), the guard against a host that reflects what
``http_request`` sent in a composed encoding, and the approval summary a human reads. Names
resolve only through the test's ``FakeDNS`` and requests go to a recording transport or to a
server on 127.0.0.1, so no packet leaves 127.0.0.0/8. If one fails, a way out has reopened:
fix the product, never the test.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError

PUBLIC = "93.184.216.34"  # only ever returned by FakeDNS in front of a recording transport
EXPIRY = "2099-01-01T00:00:00Z"


def refuse(session: Session, tool: str, args: dict[str, Any], status: int | None = 403) -> ToolError:
    with pytest.raises(ToolError) as err:
        session.call(tool, args)
    assert err.value.status == status, err.value.text
    return err.value


# -- the network boundary ------------------------------------------------------------------
@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f.1", "127.1", "0x7f000001", "017700000001", "127.0.0.1.", "0xa9.0xfe.0xa9.0xfe"],
)
def test_a_legacy_ipv4_literal_is_its_address(make_session, recorder, dns, host: str) -> None:  # type: ignore[no-untyped-def]
    """``http://2130706433/`` is 127.0.0.1 to the operating system (``inet_aton``), but a name
    to httpx and to a resolver that knows only DNS (an operator's DNS-over-HTTPS resolver, here
    the test's DNS answering a public address). The boundary must read it as the address the
    connection would reach, whatever the resolver says."""
    dns.answers[host] = [PUBLIC]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    err = refuse(session, "http_request", {"url": f"https://{host}/latest/meta-data/"})
    assert "public addresses only" in err.text
    assert recorder.sent == []


def test_a_legacy_literal_of_a_public_address_still_works(make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    assert session.call("http_request", {"url": "https://1572395042/"})["status"] == 200  # 93.184.216.34
    assert len(recorder.sent) == 1 and dns.asked == []


class _Server:
    """A plain HTTP server on 127.0.0.1 that counts what reaches it."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                seen.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = do_CONNECT = _any

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def two_servers() -> Iterator[tuple[_Server, _Server]]:
    target, proxy = _Server(), _Server()
    yield target, proxy
    target.close()
    proxy.close()


def test_proxy_variables_never_route_a_request(make_session, monkeypatch, two_servers) -> None:  # type: ignore[no-untyped-def]
    """httpx honours HTTP(S)_PROXY / ALL_PROXY by default: a proxy the environment names would
    see every request, the resolved secret included, and would sit outside the boundary."""
    target, proxy = two_servers
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = make_session(OperatorPolicy(allow_http_loopback=True))
    assert session.call("http_request", {"url": f"http://127.0.0.1:{target.port}/x"})["status"] == 200
    assert target.seen == ["GET /x"] and proxy.seen == []


# -- the guard against a host that reflects what http_request sent ---------------------------
VALUE = 'pw"with\\quote é\nand & + / = spaces'


def _reflector(encode: str) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        sent = request.read() or request.url.query
        if encode == "base64":
            out = base64.b64encode(sent).decode()
        elif encode == "hex":
            out = sent.hex()
        elif encode == "url":
            out = urllib.parse.quote(sent, safe="")
        else:
            out = base64.b64encode(base64.b64encode(sent)).decode()
        return httpx.Response(200, text=f"echo: {out}")

    return httpx.MockTransport(handle)


def _spans(sent: bytes, wire: bytes, encode: str) -> str:
    """The part of the encoded reflection that is the value's wire form alone."""
    start = sent.index(wire)
    end = start + len(wire)
    if encode == "hex":
        return sent[start:end].hex()
    if encode == "url":
        return urllib.parse.quote(sent[start:end], safe="")
    first, last = -(-start // 3), end // 3  # whole base64 groups inside the wire form
    return base64.b64encode(sent)[first * 4 : last * 4].decode()


@pytest.mark.parametrize("encode", ["base64", "hex", "url"])
@pytest.mark.parametrize("place", ["json_body", "query"])
def test_a_reflected_encoding_of_the_wire_form_is_masked(make_session, dns, encode: str, place: str) -> None:  # type: ignore[no-untyped-def]
    dns.answers["api.example.com"] = [PUBLIC]
    session = make_session(http_transport=_reflector(encode), resolver=dns)
    session.backend.put_secret(
        session.vault_for(None), "svc/pw", VALUE, metadata={"allowed_hosts": ["api.example.com"]}
    )
    handle = session.call("get_secret", {"path": "svc/pw"})["handle"]
    ref = "{{secret:" + handle + "}}"
    args: dict[str, Any] = {"url": "https://api.example.com/login", "method": "POST"}
    if place == "json_body":
        args["json_body"] = {"user": "bob", "password": ref}
        sent = json.dumps({"user": "bob", "password": VALUE}).encode()
        wire = json.dumps(VALUE)[1:-1].encode()
    else:
        args["query"] = {"password": ref}
        sent = httpx.URL("https://x/", params={"password": VALUE}).query
        wire = sent.split(b"=", 1)[1]
    body = session.call("http_request", args)["body"]
    assert body.startswith("echo: ")
    core = _spans(sent, wire, encode)
    assert len(core) >= 16
    assert core not in body, f"the {encode} of the {place} wire form came back"


# -- what a human reads before approving ---------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        {"recipient_type": "agent", "recipient_id": "helper max_access_count=1", "max_access_count": 0},
        {"email": "boss@corp.example expires_at=2025-01-02T00:00:00Z", "expires_at": EXPIRY},
        {
            "recipient_type": "agent",
            "recipient_id": "helper\u00a0requested\u00a0by\u00a0ops",
            "max_access_count": 0,
        },
    ],
)
def test_a_field_cannot_pose_as_another_in_the_summary(make_session, args: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """The one-line summary (CLI listing, MCP elicitation, interrupts, the refusal) is what a
    human approves: a value that holds spaces and ``key=`` must not read as another field."""
    session = make_session()
    session.backend.put_secret(session.vault_for(None), "prod/db", "s3cret-value-123456")
    call = {"path": "prod/db", "expires_at": EXPIRY, **args}
    refuse(session, "share_secret", call)
    (record,) = session.approvals.store.pending()
    kind = args.get("recipient_type", "external_email")
    quoted = json.dumps(f"{kind}:{args.get('recipient_id') or args['email']}", ensure_ascii=True)
    assert f"recipient={quoted}" in record.summary, record.summary
    rest = record.summary.replace(quoted, "")
    assert "max_access_count=1" not in rest and "2025-01-02" not in rest and "requested by ops" not in rest
