"""Request shapes and response mapping of the remote backend, with httpx.MockTransport.

Shapes only: behaviour against a real server lives in test_remote_conformance.py and
test_faults.py. If one of these fails, compare the request the client built with §1-§7 of
the 1Claw REST reference; the fake handler below answers like the hosted API.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from oneclaw_tools.backends.remote import OneClawVault, RetryPolicy
from oneclaw_tools.errors import (
    ApprovalRequired,
    Conflict,
    Gone,
    InvalidArgument,
    NotAuthenticated,
    OneClawError,
    OutcomeUnknown,
    PaymentRequired,
    PermissionDenied,
    RateLimited,
    ResourceLimitExceeded,
    ServerError,
    TransportError,
)

KEY = "ocv_" + "k" * 43
VALUE = "sk-live-TOPSECRET-0123456789"
NOW = 1_800_000_000.0

Handler = Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """Records requests; answers token exchanges itself and delegates the rest."""

    def __init__(self, handler: Handler | None = None, *, vault_ids: list[str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler
        self.tokens = 0
        self.auths: list[str | None] = []  # snapshot: the flow reuses the request object on re-send
        self.vault_ids = vault_ids if vault_ids is not None else ["v1"]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.auths.append(request.headers.get("authorization"))
        if request.url.path in ("/v1/auth/agent-token", "/v1/auth/api-key-token"):
            self.tokens += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok{self.tokens}",
                    "token_type": "Bearer",
                    "expires_in": 900,
                    "agent_id": "agent-1",
                    "vault_ids": self.vault_ids,
                },
            )
        assert self.handler is not None
        return self.handler(request)

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if not r.url.path.startswith("/v1/auth/")]


def _meta(path: str = "a/b", version: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "id": "s1",
        "path": path,
        "type": "generic",
        "version": version,
        "created_at": "2030-01-01T00:00:00Z",
    } | extra


def make(api: FakeApi, **kwargs: Any) -> OneClawVault:
    kwargs.setdefault("retry", RetryPolicy(jitter=lambda: 0.0))
    return OneClawVault(
        KEY,
        base_url="https://vault.example",
        transport=httpx.MockTransport(api),
        clock=lambda: NOW,
        sleep=lambda s: None,
        **kwargs,
    )


def problem(status: int, type_: str = "about:blank", **extra: Any) -> httpx.Response:
    body = {"type": type_, "title": "x", "status": status, "detail": f"server says {VALUE}"} | extra
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def test_token_exchange_then_bearer_on_every_call() -> None:
    api = FakeApi(lambda r: httpx.Response(200, json={"vaults": []}))
    vault = make(api, agent_id="agent-1")
    vault.list_vaults()
    vault.list_vaults()
    token_req = api.requests[0]
    assert token_req.method == "POST" and token_req.url.path == "/v1/auth/agent-token"
    assert json.loads(token_req.content) == {"api_key": KEY, "agent_id": "agent-1"}
    assert "authorization" not in token_req.headers
    assert api.tokens == 1
    assert all(r.headers["authorization"] == "Bearer tok1" for r in api.api_requests)


def test_user_key_uses_api_key_token_route() -> None:
    api = FakeApi(lambda r: httpx.Response(200, json={"vaults": []}))
    vault = OneClawVault(
        "1ck_" + "u" * 40,
        base_url="https://vault.example",
        transport=httpx.MockTransport(api),
        clock=lambda: NOW,
    )
    vault.list_vaults()
    assert api.requests[0].url.path == "/v1/auth/api-key-token"
    assert json.loads(api.requests[0].content) == {"api_key": "1ck_" + "u" * 40}
    assert vault.principal.type == "user"


def test_rejects_keys_of_unknown_shape_without_echoing_them() -> None:
    with pytest.raises(InvalidArgument) as info:
        OneClawVault("sk-" + VALUE, base_url="https://vault.example")
    assert VALUE not in str(info.value)


def test_put_shape_and_literal_slashes() -> None:
    api = FakeApi(lambda r: httpx.Response(201, json=_meta("prod/db-main_1", 3)))
    meta = make(api).put_secret(
        "v1", "prod/db-main_1", VALUE, type="password", metadata={"env": "prod"},
        expires_at="2031-01-01T00:00:00+00:00", max_access_count=5,
    )  # fmt: skip
    req = api.api_requests[0]
    assert req.method == "PUT"
    assert req.url.raw_path == b"/v1/vaults/v1/secrets/prod/db-main_1"
    assert json.loads(req.content) == {
        "value": VALUE,
        "type": "password",
        "metadata": {"env": "prod"},
        "expires_at": "2031-01-01T00:00:00Z",
        "max_access_count": 5,
    }
    assert req.headers["content-type"] == "application/json"
    assert meta.version == 3 and meta.vault_id == "v1" and meta.path == "prod/db-main_1"


def test_version_routes_and_rotate_shape() -> None:
    seen: list[tuple[str, bytes, bytes]] = []

    def handler(r: httpx.Request) -> httpx.Response:
        seen.append((r.method, r.url.raw_path, r.content))
        if b"secret-version/" in r.url.raw_path:
            return httpx.Response(200, json=_meta(version=2, value=VALUE))
        if b"secret-versions/" in r.url.raw_path:
            return httpx.Response(200, json={"versions": [_meta(version=1), _meta(version=2)]})
        if b"secret-rotate/" in r.url.raw_path:
            return httpx.Response(201, json=_meta(version=3))
        return httpx.Response(204)

    vault = make(FakeApi(handler))
    assert vault.get_secret("v1", "a/b", 2).value.reveal_unsafe() == VALUE
    assert [m.version for m in vault.list_versions("v1", "a/b")] == [2, 1]
    vault.disable_version("v1", "a/b", 1)
    vault.rotate_secret("v1", "a/b", length=16, charset="base64")
    assert seen == [
        ("GET", b"/v1/vaults/v1/secret-version/a/b/2", b""),
        ("GET", b"/v1/vaults/v1/secret-versions/a/b", b""),
        ("POST", b"/v1/vaults/v1/secret-version-disable/a/b/1", b""),
        ("POST", b"/v1/vaults/v1/secret-rotate/a/b", b'{"length":16,"charset":"base64"}'),
    ]


@pytest.mark.parametrize("bad", ["../etc", "a/../b", "/a", "a/", "a//b", "a b", "a%2Fb", ""])
def test_bad_paths_never_leave_the_process(bad: str) -> None:
    api = FakeApi(lambda r: httpx.Response(200, json=_meta()))
    with pytest.raises(InvalidArgument):
        make(api).get_secret("v1", bad)
    assert api.requests == []


def test_describe_uses_versions_and_counts_no_access() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        assert b"/secret-versions/" in r.url.raw_path
        return httpx.Response(200, json={"versions": [_meta(version=2, is_disabled=True), _meta(version=1)]})

    assert make(FakeApi(handler)).describe_secret("v1", "a/b").version == 1


def test_describe_of_expired_secret_is_gone() -> None:
    expired = _meta(expires_at="2020-01-01T00:00:00Z")
    with pytest.raises(Gone):
        make(FakeApi(lambda r: httpx.Response(200, json={"versions": [expired]}))).describe_secret(
            "v1", "a/b"
        )


def test_runtime_id_and_tool_headers() -> None:
    from oneclaw_tools.audit import tool_scope

    api = FakeApi(lambda r: httpx.Response(200, json={"vaults": []}))
    vault = make(api, runtime_id="rt-7")
    with tool_scope("get_secret"):
        vault.list_vaults()
    assert api.api_requests[0].headers["x-1claw-runtime-id"] == "rt-7"
    assert api.api_requests[0].headers["x-oneclaw-tool"] == "get_secret"


def test_default_vault_from_token_vault_ids() -> None:
    api = FakeApi(
        lambda r: httpx.Response(200, json={"vaults": [{"id": "other", "name": "default"}]}), vault_ids=["vb"]
    )
    assert make(api).default_vault_id() == "vb"


def test_default_vault_prefers_one_named_default_then_creates_it() -> None:
    api = FakeApi(
        lambda r: httpx.Response(
            200, json={"vaults": [{"id": "x", "name": "x"}, {"id": "d", "name": "default"}]}
        ),
        vault_ids=[],
    )
    assert make(api).default_vault_id() == "d"

    def handler(r: httpx.Request) -> httpx.Response:
        if r.method == "POST":
            assert json.loads(r.content)["name"] == "default"
            return httpx.Response(201, json={"id": "new", "name": "default"})
        return httpx.Response(200, json={"vaults": []})

    assert make(FakeApi(handler, vault_ids=[])).default_vault_id() == "new"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (problem(402), PaymentRequired),
        (problem(403), PermissionDenied),
        (problem(403, "resource_limit_exceeded"), ResourceLimitExceeded),
        (problem(404), OneClawError),
        (problem(409), Conflict),
        (problem(410), Gone),
        (problem(400, fields={"value": VALUE}), InvalidArgument),
        (httpx.Response(418, text=VALUE), OneClawError),
    ],
)
def test_problem_details_map_to_typed_errors_without_the_body(response: httpx.Response, error: type) -> None:
    with pytest.raises(error) as info:
        make(FakeApi(lambda r: response)).get_secret("v1", "a/b")
    assert VALUE not in str(info.value) and VALUE not in repr(info.value)
    assert "server says" not in str(info.value)


def test_approval_required_keeps_the_request_id_only_when_well_formed() -> None:
    with pytest.raises(ApprovalRequired) as info:
        make(FakeApi(lambda r: problem(403, "approval_required", approval_request_id="apr_123"))).get_secret(
            "v1", "a"
        )
    assert info.value.approval_request_id == "apr_123"
    with pytest.raises(ApprovalRequired) as info:
        make(
            FakeApi(lambda r: problem(403, "approval_required", approval_request_id=VALUE + " x"))
        ).get_secret("v1", "a")
    assert info.value.approval_request_id is None


def test_429_retry_after_is_honoured_then_surfaced() -> None:
    slept: list[float] = []
    api = FakeApi(lambda r: httpx.Response(429, headers={"Retry-After": "7"}, json={"status": 429}))
    vault = OneClawVault(
        KEY,
        base_url="https://vault.example",
        transport=httpx.MockTransport(api),
        clock=lambda: NOW,
        sleep=slept.append,
        retry=RetryPolicy(max_retries=2, jitter=lambda: 0.0),
    )
    with pytest.raises(RateLimited) as info:
        vault.get_secret("v1", "a/b")
    assert info.value.retry_after == 7 and slept == [7, 7] and len(api.api_requests) == 3
    assert "Wait 7 seconds" in str(info.value)


def test_429_longer_than_the_cap_is_surfaced_at_once() -> None:
    api = FakeApi(lambda r: httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as info:
        make(api).put_secret("v1", "a", VALUE)
    assert info.value.retry_after == 3600 and len(api.api_requests) == 1


def test_401_reexchanges_once_and_never_resends_the_refused_token() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        if r.headers["authorization"] == "Bearer tok1":
            return problem(401)
        return httpx.Response(200, json={"vaults": []})

    api = FakeApi(handler)
    vault = make(api)
    vault.list_vaults()
    vault.list_vaults()
    assert [a for a in api.auths if a] == [
        "Bearer tok1",
        "Bearer tok2",
        "Bearer tok2",
    ]


def test_persistent_401_is_not_authenticated_after_one_reexchange() -> None:
    api = FakeApi(lambda r: problem(401))
    with pytest.raises(NotAuthenticated):
        make(api).list_vaults()
    assert api.tokens == 2 and len(api.api_requests) == 2


def test_rejected_key_is_not_authenticated_and_not_echoed() -> None:
    seen: list[httpx.Request] = []

    def reject(r: httpx.Request) -> httpx.Response:
        seen.append(r)
        return problem(401)

    vault = OneClawVault(
        KEY, base_url="https://vault.example", transport=httpx.MockTransport(reject), clock=lambda: NOW
    )
    with pytest.raises(NotAuthenticated) as info:
        vault.list_vaults()
    assert KEY not in str(info.value) and [r.url.path for r in seen] == ["/v1/auth/agent-token"]


def test_get_is_retried_on_5xx_and_put_is_not() -> None:
    statuses = iter([500, 502, 200])
    api = FakeApi(
        lambda r: problem(s) if (s := next(statuses)) != 200 else httpx.Response(200, json=_meta(value=VALUE))
    )
    assert make(api).get_secret("v1", "a/b").value.reveal_unsafe() == VALUE
    assert len(api.api_requests) == 3

    api = FakeApi(lambda r: problem(500))
    with pytest.raises(OutcomeUnknown):
        make(api).put_secret("v1", "a/b", VALUE)
    assert len(api.api_requests) == 1

    api = FakeApi(lambda r: problem(503))
    with pytest.raises(ServerError):
        make(api).put_secret("v1", "a/b", VALUE)
    assert len(api.api_requests) == 1


def test_connect_errors_are_retried_even_for_writes_but_read_errors_are_not() -> None:
    calls = {"n": 0}

    def flaky_connect(r: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=r)
        return httpx.Response(201, json=_meta())

    api = FakeApi(flaky_connect)
    assert make(api).put_secret("v1", "a/b", VALUE).version == 1

    def read_timeout(r: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=r)

    api = FakeApi(read_timeout)
    with pytest.raises(OutcomeUnknown) as info:
        make(api).put_secret("v1", "a/b", VALUE)
    assert len(api.api_requests) == 1 and VALUE not in str(info.value)

    api = FakeApi(read_timeout)
    with pytest.raises(TransportError) as err:
        make(api, retry=RetryPolicy(max_retries=2, jitter=lambda: 0.0)).get_secret("v1", "a/b")
    assert not isinstance(err.value, OutcomeUnknown) and len(api.api_requests) == 3


def test_unreadable_success_body_is_a_server_error() -> None:
    with pytest.raises(ServerError):
        make(FakeApi(lambda r: httpx.Response(200, text="<html>" + VALUE))).get_secret("v1", "a/b")


def test_values_never_in_repr() -> None:
    api = FakeApi(lambda r: httpx.Response(200, json=_meta(value=VALUE)))
    vault = make(api)
    secret = vault.get_secret("v1", "a/b")
    for text in (repr(vault), repr(secret), str(secret), repr(vault._auth), repr(vault.principal)):
        assert VALUE not in text and KEY not in text and "tok1" not in text


def test_share_create_goes_by_secret_id_and_hides_the_url() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        if r.method == "GET":
            return httpx.Response(200, json={"versions": [_meta(id="sec-9")]})
        assert r.url.path == "/v1/secrets/sec-9/share"
        body = json.loads(r.content)
        assert body == {
            "recipient_type": "anyone_with_link",
            "expires_at": "2031-01-01T00:00:00Z",
            "max_access_count": 2,
        }
        return httpx.Response(
            201,
            json={"id": "sh1", "share_url": "https://vault.example/v1/share/sh1", "recipient_type": "anyone_with_link",
                  "expires_at": "2031-01-01T00:00:00Z", "max_access_count": 2},
        )  # fmt: skip

    share = make(FakeApi(handler)).create_share(
        "v1", "a/b", recipient_type="anyone_with_link", expires_at="2031-01-01T00:00:00Z", max_access_count=2
    )
    assert share.secret_id == "sec-9" and share.path == "a/b"
    assert "share/sh1" not in repr(share) and "share_url" not in share.to_dict()


def test_share_access_sends_the_passphrase_in_a_get_body() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        assert r.method == "GET" and json.loads(r.content) == {"passphrase": "open sesame"}
        return httpx.Response(
            200, json={"id": "s1", "path": "a/b", "type": "generic", "value": VALUE, "version": 1}
        )

    assert make(FakeApi(handler)).access_share("sh1", "open sesame").value.reveal_unsafe() == VALUE


def test_from_env_reads_1claw_variables() -> None:
    env = {
        "ONECLAW_AGENT_API_KEY": KEY,
        "ONECLAW_AGENT_ID": "agent-1",
        "ONECLAW_VAULT_ID": "vault-9",
        "ONECLAW_BASE_URL": "http://127.0.0.1:1",
        "ONECLAW_RUNTIME_ID": "rt",
    }
    vault = OneClawVault.from_env(env)
    assert vault.default_vault_id() == "vault-9"
    assert "127.0.0.1:1" in repr(vault) and KEY not in repr(vault)
    vault.close()
