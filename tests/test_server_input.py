"""Bad input to the local server: always a ProblemDetails 4xx, never a 500, and the vault unchanged.

Requests go out raw (http.client) so that nothing normalises ``..`` or re-encodes ``%2F``
on the way. If a case returns 500, the server let an exception escape a route: find it in
oneclaw_tools/server/app.py and turn it into a typed error (InvalidArgument names the field).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oneclaw_tools.server import LocalServer
from oneclaw_tools.server.testing import make_agent, running_server

VALUE = "input-canary-51b0"


class Raw:
    """Minimal raw HTTP client: the request line goes out exactly as written."""

    def __init__(self, base_url: str, token: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = token

    def send(self, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None,
             auth: bool = True) -> tuple[int, dict[str, str], Any]:  # fmt: skip
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            hdrs = {"Content-Type": "application/json"} | (headers or {})
            if auth:
                hdrs["Authorization"] = f"Bearer {self.token}"
            conn.request(method, target, body=body, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            ctype = resp.getheader("content-type", "")
            return resp.status, {"content-type": ctype}, json.loads(raw) if raw else None
        finally:
            conn.close()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, Raw, str]]:
    with running_server(tmp_path_factory.mktemp("server-input"), max_body=1024 * 1024 + 65536) as (
        server,
        url,
    ):
        _, key, vault_id = make_agent(server, "input")
        server.vault.put_secret(vault_id, "ok/path", VALUE)
        import httpx

        token = httpx.post(url + "/v1/auth/agent-token", json={"api_key": key.reveal_unsafe()}).json()[
            "access_token"
        ]
        yield server, Raw(url, token), vault_id


def _problem(status: int, headers: dict[str, str], body: Any, expected: int | tuple[int, ...]) -> None:
    wanted = expected if isinstance(expected, tuple) else (expected,)
    assert status in wanted, f"expected {wanted}, got {status}: {body}"
    assert headers["content-type"].startswith("application/problem+json")
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == status
    assert VALUE not in json.dumps(body)


def _snapshot(server: LocalServer, vault_id: str) -> Any:
    return [(m.path, m.version) for m in server.vault.list_secrets(vault_id)], [
        v.version for v in server.vault.list_versions(vault_id, "ok/path")
    ]


S = "/v1/vaults/{vid}/secrets/"
PUT_OK = b'{"value": "x"}'
BAD_REQUESTS: list[tuple[str, str, str, bytes | None, int | tuple[int, ...]]] = [
    # (case, method, target, body, expected status)
    ("dotdot read", "GET", S + "ok/../ok/path", None, 400),
    ("dotdot write", "PUT", S + "a/../b", PUT_OK, 400),
    ("dot segment", "PUT", S + "a/./b", PUT_OK, 400),
    ("encoded dotdot", "GET", S + "%2E%2E/ok/path", None, 400),
    ("double-encoded slash", "PUT", S + "ok%252Fpath", PUT_OK, 400),
    ("leading slash", "PUT", S + "/lead", PUT_OK, 400),
    ("trailing slash", "PUT", S + "trail/", PUT_OK, 400),
    ("empty path", "PUT", S, PUT_OK, 400),
    ("nul byte", "PUT", S + "a%00b", PUT_OK, 400),
    ("unicode slash", "PUT", S + "ok%EF%BC%8Fpath", PUT_OK, 400),
    ("invalid utf-8 in path", "PUT", S + "ok%FFpath", PUT_OK, 400),
    ("huge path", "PUT", S + "a" * 6000, PUT_OK, 400),
    ("malformed json", "PUT", S + "ok/path", b'{"value": ', 400),
    ("json array", "PUT", S + "ok/path", b'["x"]', 400),
    ("json string", "PUT", S + "ok/path", b'"x"', 400),
    ("NaN", "PUT", S + "ok/path", b'{"value": "x", "max_access_count": NaN}', 400),
    ("deep nesting", "PUT", S + "ok/path", b'{"value": "x", "metadata": ' + b"[" * 100000 + b"]" * 100000 + b"}", 400),
    ("invalid utf-8 body", "PUT", S + "ok/path", b'{"value": "\xff\xfe"}', 400),
    ("huge integer", "PUT", S + "ok/path", b'{"value": "x", "max_access_count": ' + b"9" * 5000 + b"}", 400),
    ("missing value", "PUT", S + "ok/path", b"{}", 400),
    ("null value", "PUT", S + "ok/path", b'{"value": null}', 400),
    ("value wrong type", "PUT", S + "ok/path", b'{"value": 5}', 400),
    ("value object", "PUT", S + "ok/path", b'{"value": {"a": 1}}', 400),
    ("empty value", "PUT", S + "ok/path", b'{"value": ""}', 400),
    ("type unknown", "PUT", S + "ok/path", b'{"value": "x", "type": "nope"}', 400),
    ("type wrong type", "PUT", S + "ok/path", b'{"value": "x", "type": 3}', 400),
    ("metadata list", "PUT", S + "ok/path", b'{"value": "x", "metadata": [1]}', 400),
    ("binding is a URL", "PUT", S + "ok/path",
     b'{"value": "x", "metadata": {"allowed_hosts": ["https://api.example.com"]}}', 400),
    ("binding key misspelt", "PUT", S + "ok/path",
     b'{"value": "x", "metadata": {"allowed_host": ["api.example.com"]}}', 400),
    ("expires_at number", "PUT", S + "ok/path", b'{"value": "x", "expires_at": 5}', 400),
    ("expires_at no tz", "PUT", S + "ok/path", b'{"value": "x", "expires_at": "2031-01-01T00:00:00"}', 400),
    ("expires_at past", "PUT", S + "ok/path", b'{"value": "x", "expires_at": "2001-01-01T00:00:00Z"}', 400),
    ("max_access_count string", "PUT", S + "ok/path", b'{"value": "x", "max_access_count": "3"}', 400),
    ("max_access_count bool", "PUT", S + "ok/path", b'{"value": "x", "max_access_count": true}', 400),
    ("max_access_count negative", "PUT", S + "ok/path", b'{"value": "x", "max_access_count": -1}', 400),
    ("text/plain body", "PUT", S + "ok/path", b"value=x", 400),
    ("version not a number", "GET", "/v1/vaults/{vid}/secret-version/ok/path/x", None, 400),
    ("version zero", "GET", "/v1/vaults/{vid}/secret-version/ok/path/0", None, 400),
    ("version missing", "GET", "/v1/vaults/{vid}/secret-version/ok", None, 400),
    ("version huge", "POST", "/v1/vaults/{vid}/secret-version-disable/ok/path/99999999999", None, 400),
    ("rotate length string", "POST", "/v1/vaults/{vid}/secret-rotate/ok/path", b'{"length": "32"}', 400),
    ("rotate length small", "POST", "/v1/vaults/{vid}/secret-rotate/ok/path", b'{"length": 2}', 400),
    ("rotate charset", "POST", "/v1/vaults/{vid}/secret-rotate/ok/path", b'{"charset": "emoji"}', 400),
    ("policy permissions string", "POST", "/v1/vaults/{vid}/policies",
     b'{"principal_type":"agent","principal_id":"a","secret_path_pattern":"**","permissions":"read"}', 400),
    ("policy unknown permission", "POST", "/v1/vaults/{vid}/policies",
     b'{"principal_type":"agent","principal_id":"a","secret_path_pattern":"**","permissions":["admin"]}', 400),
    ("policy deny effect", "POST", "/v1/vaults/{vid}/policies",
     b'{"principal_type":"agent","principal_id":"a","secret_path_pattern":"**","permissions":["read"],"effect":"deny"}', 400),
    ("policy conditions", "POST", "/v1/vaults/{vid}/policies",
     b'{"principal_type":"agent","principal_id":"a","secret_path_pattern":"**","permissions":["read"],"conditions":{"ip_allowlist":["1.2.3.4"]}}', 400),
    ("policy bad glob", "POST", "/v1/vaults/{vid}/policies",
     b'{"principal_type":"agent","principal_id":"a","secret_path_pattern":"a/**b","permissions":["read"]}', 400),
    ("vault name wrong type", "POST", "/v1/vaults", b'{"name": 7}', 400),
    ("share unknown secret", "POST", "/v1/secrets/00000000-0000-0000-0000-000000000000/share",
     b'{"recipient_type":"anyone_with_link","expires_at":"2031-01-01T00:00:00Z"}', 404),
    ("share bad ref", "GET", "/v1/share/..%2F..%2Fvaults", None, 404),
    ("token exchange without key", "POST", "/v1/auth/agent-token", b"{}", 400),
    ("unknown route", "GET", "/v1/nothing-here", None, 404),
    ("wrong method", "PATCH", "/v1/vaults", b"{}", 405),
    ("vault id with slash", "GET", "/v1/vaults/a%2Fb/secrets/ok/path", None, (403, 404)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "method", "target", "body", "expected"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
def test_bad_input_is_a_problem_4xx_and_changes_nothing(
    env: tuple[LocalServer, Raw, str], case: str, method: str, target: str, body: bytes | None, expected: Any
) -> None:
    server, raw, vault_id = env
    before = _snapshot(server, vault_id)
    headers = {"Content-Type": "text/plain"} if case == "text/plain body" else None
    status, hdrs, payload = raw.send(method, target.format(vid=vault_id), body, headers)
    _problem(status, hdrs, payload, expected)
    assert _snapshot(server, vault_id) == before


def test_a_binding_mistake_is_named(env: tuple[LocalServer, Raw, str]) -> None:
    _, raw, vault_id = env
    for metadata, names in [
        (b'{"allowed_hosts": ["https://api.example.com"]}', "is a URL"),
        (b'{"allowed_host": ["api.example.com"]}', "did you mean 'allowed_hosts'"),
    ]:
        body = b'{"value": "x", "metadata": ' + metadata + b"}"
        status, _, payload = raw.send("PUT", S.format(vid=vault_id) + "ok/path", body)
        assert status == 400 and names in json.dumps(payload), payload


def test_problem_names_the_field_but_not_the_value(env: tuple[LocalServer, Raw, str]) -> None:
    _, raw, vault_id = env
    status, hdrs, body = raw.send(
        "PUT", S.format(vid=vault_id) + "ok/path", json.dumps({"value": VALUE, "type": VALUE}).encode()
    )
    _problem(status, hdrs, body, 400)
    assert body["fields"] == {"type": body["fields"]["type"]} and VALUE not in body["detail"]


def test_huge_bodies_are_413_by_declared_length_and_by_actual_size(env: tuple[LocalServer, Raw, str]) -> None:
    server, raw, vault_id = env
    target = S.format(vid=vault_id) + "ok/path"
    before = _snapshot(server, vault_id)
    big = json.dumps({"value": "x" * (2 * 1024 * 1024)}).encode()
    status, hdrs, body = raw.send("PUT", target, big)
    _problem(status, hdrs, body, 413)
    # chunked, so no Content-Length to trust: the limit applies while reading
    conn = http.client.HTTPConnection(raw.host, raw.port, timeout=10)
    try:
        conn.putrequest("PUT", target)
        conn.putheader("Authorization", f"Bearer {raw.token}")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        chunk = b"x" * 65536
        try:
            conn.send(b'b\r\n{"value": "\r\n')
            for _ in range(40):
                conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before we finish sending
        resp = conn.getresponse()
        payload = json.loads(resp.read())
        _problem(resp.status, {"content-type": resp.getheader("content-type", "")}, payload, 413)
    finally:
        conn.close()
    assert _snapshot(server, vault_id) == before


def test_percent_encoded_and_literal_slashes_reach_the_same_secret(env: tuple[LocalServer, Raw, str]) -> None:
    _server, raw, vault_id = env
    base = f"/v1/vaults/{vault_id}"
    status, _, created = raw.send("PUT", base + "/secrets/enc%2Fslash%2Fkey", b'{"value": "one"}')
    assert status == 201 and created["path"] == "enc/slash/key"
    status, _, got = raw.send("GET", base + "/secrets/enc/slash/key")
    assert status == 200 and got["value"] == "one"
    status, _, got = raw.send("GET", base + "/secrets/enc%2fslash/key")
    assert status == 200 and got["value"] == "one"
    status, _, got = raw.send("GET", base + "/secret-version/enc%2Fslash%2Fkey/1")
    assert status == 200 and got["version"] == 1
    status, _, _ = raw.send("POST", base + "/secret-version-disable/enc/slash/key/1")
    assert status == 204
    status, _, body = raw.send("GET", base + "/secrets/enc%2Fslash%2Fkey")
    _problem(status, {"content-type": "application/problem+json"}, body, 410)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "Bearer not-a-jwt",
        "Bearer 1ck_unknownkey",
        "Bearer ocv_rawagentkeysarenotaccepted",
        "forged",
        "alg-none",
        "expired",
    ],
)
def test_authentication_failures_are_401(
    env: tuple[LocalServer, Raw, str], authorization: str | None
) -> None:
    server, raw, vault_id = env
    import time

    now = time.time()
    claims = {
        "iss": "oneclaw-tools-local",
        "sub": "agent:x",
        "iat": now,
        "exp": now + 60,
        "jti": "j",
        "vault_ids": [vault_id],
    }
    if authorization == "forged":
        authorization = "Bearer " + jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    elif authorization == "alg-none":
        authorization = "Bearer " + jwt.encode(claims, "", algorithm="none")
    elif authorization == "expired":
        issued, _ = server.issuer.issue(server.agents.list()[0].principal)
        payload = jwt.decode(issued, options={"verify_signature": False})
        payload["exp"] = now - 1
        authorization = "Bearer " + jwt.encode(payload, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    headers = {} if authorization is None else {"Authorization": authorization}
    conn = http.client.HTTPConnection(raw.host, raw.port, timeout=10)
    try:
        conn.request("GET", f"/v1/vaults/{vault_id}/secrets/ok/path", headers=headers)
        resp = conn.getresponse()
        body = json.loads(resp.read())
    finally:
        conn.close()
    _problem(resp.status, {"content-type": resp.getheader("content-type", "")}, body, 401)


def test_token_exchange_rejects_wrong_keys_and_mismatched_agent_ids(
    env: tuple[LocalServer, Raw, str],
) -> None:
    server, raw, _ = env
    _, key, _ = make_agent(server, "exchange")
    cases = [
        {"api_key": "ocv_" + "A" * 43},
        {"api_key": key.reveal_unsafe(), "agent_id": "00000000-0000-0000-0000-000000000000"},
        {"api_key": key.reveal_unsafe().replace("ocv_", "1ck_")},
    ]
    for body in cases:
        status, hdrs, payload = raw.send(
            "POST", "/v1/auth/agent-token", json.dumps(body).encode(), auth=False
        )
        _problem(status, hdrs, payload, 401)
        assert key.reveal_unsafe() not in json.dumps(payload)
