"""1Claw's official Python SDK (``oneclaw``), unchanged, against ``oneclaw-tools serve`` on 127.0.0.1.

Each test pins one contract point where the local server used to differ from 1Claw: a link
share opens by the id the SDK got back, and a revoked one is 404; unknown body fields are
ignored; ``policies.update`` (PUT); an unknown or deleted vault is 404; 401 comes before 400;
agents cannot make ``external_email`` shares; ``env-vars/resolve`` without ``environment``
uses the default one; a 405 carries ``Allow``.

The SDK never talks to anything but the test server: its base URL is set explicitly, and its
httpx client is replaced by one whose transport refuses any host but 127.0.0.1 (and that
ignores proxy variables). The SDK has no telemetry (``test_sdk_has_no_telemetry`` reads its
source). If a test fails, the server side is oneclaw_tools/server/app.py (routes, share ids,
auth order), server/_io.py (bodies) or backends/_local_*.py (404s, share rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

oneclaw = pytest.importorskip("oneclaw", reason="the official SDK is in requirements-dev.txt")

from oneclaw_tools.server import LocalServer  # noqa: E402
from oneclaw_tools.server.testing import make_agent, running_server  # noqa: E402


class LoopbackOnly(httpx.BaseTransport):
    """Sends only to 127.0.0.1; anything else is refused before a packet leaves."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        if request.url.host != "127.0.0.1":
            raise AssertionError(f"the SDK tried to reach {request.url.host}")
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def sdk(base_url: str, **auth: Any) -> Any:
    client = oneclaw.create_client(base_url=base_url, **auth)
    http = client._http
    transport = LoopbackOnly()
    http._client.close()
    http._client = httpx.Client(
        base_url=base_url, timeout=10.0, headers={"Content-Type": "application/json"},
        transport=transport, trust_env=False,
    )  # fmt: skip
    client.loopback = transport
    if not auth.get("api_key", "").startswith("ocv_") and auth.get("api_key"):
        client._auto_authenticate_user_key(auth["api_key"])  # the constructor's try ran on the old client
    return client


_OPEN: list[Any] = []


def request_close(client: Any) -> None:
    _OPEN.append(client)


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _in(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, str]]:
    with running_server(tmp_path_factory.mktemp("sdk")) as pair:
        yield pair


@pytest.fixture
def user(server: tuple[LocalServer, str]) -> Iterator[tuple[Any, str]]:
    srv, url = server
    record, key = srv.agents.create_user("sdk-user-" + datetime.now(UTC).strftime("%H%M%S%f"))
    with sdk(url, api_key=key.reveal_unsafe()) as client:
        vault = ok(client.vaults.create("sdk-vault-" + record.id[:8]))  # the user creates (and owns) it
        yield client, vault["id"]


@pytest.fixture
def agent(server: tuple[LocalServer, str]) -> Iterator[tuple[Any, str, str]]:
    srv, url = server
    agent_id, key, vault_id = make_agent(srv, "sdk-agent-" + datetime.now(UTC).strftime("%H%M%S%f"))
    with sdk(url, api_key=key.reveal_unsafe(), agent_id=agent_id) as client:
        client.agent_key = key.reveal_unsafe()
        yield client, vault_id, agent_id


def ok(resp: Any) -> Any:
    assert resp.error is None, (resp.meta.status, resp.error)
    return resp.data


def test_link_share_opens_by_its_id_and_a_revoked_one_is_404(
    agent: tuple[Any, str, str], server: tuple[LocalServer, str]
) -> None:
    client, vault_id, _ = agent
    meta = ok(client.secrets.set(vault_id, "share/me", "sdk-share-value"))
    share = ok(client.sharing.create(meta["id"], recipient_type="anyone_with_link", expires_at=_in(1)))
    assert share["share_url"].endswith("/v1/share/" + share["id"])
    anonymous = sdk(server[1])
    request_close(anonymous)
    opened = ok(anonymous.sharing.access(share["id"]))  # the id, as the SDK documents; no auth
    assert opened["value"] == "sdk-share-value" and opened["path"] == "share/me"
    bare = share["id"].split(".")[0]  # the id alone, as lists show it, is not the capability
    assert anonymous.sharing.access(bare).meta.status in (401, 403)
    listed = ok(client.sharing.list_outbound())["shares"]
    assert bare in {s["id"] for s in listed} and share["id"] not in str(listed)
    assert client.sharing.revoke(share["id"]).meta.status == 204
    gone = anonymous.sharing.access(share["id"])
    assert gone.meta.status == 404 and gone.data is None
    second = ok(client.sharing.create(meta["id"], recipient_type="anyone_with_link", expires_at=_in(1)))
    assert client.sharing.revoke(second["id"].split(".")[0]).meta.status == 204  # revoke by the listed id
    assert anonymous.sharing.access(second["id"]).meta.status == 404
    assert {client.loopback.hosts[-1], anonymous.loopback.hosts[-1]} == {"127.0.0.1"}


def test_unknown_body_fields_are_ignored(agent: tuple[Any, str, str]) -> None:
    client, vault_id, _ = agent
    resp = client._http.request(
        "PUT", f"/v1/vaults/{vault_id}/secrets/fwd/compat",
        body={"value": "v1", "type": "api_key", "field_from_a_newer_sdk": {"x": 1}, "tags": ["a"]},
    )  # fmt: skip
    assert ok(resp)["version"] == 1 and ok(resp)["type"] == "api_key"
    assert ok(client.secrets.get(vault_id, "fwd/compat"))["value"] == "v1"
    made = client._http.request("POST", "/v1/vaults", body={"name": "fwd-" + vault_id[:8], "region": "eu"})
    assert made.meta.status == 201
    refused = client._http.request(  # a known field the server cannot honour is still refused
        "POST", f"/v1/vaults/{vault_id}/policies",
        body={"principal_type": "agent", "principal_id": "x", "secret_path_pattern": "**",
              "permissions": ["read"], "conditions": {"ip_allowlist": ["10.0.0.0/8"]}},
    )  # fmt: skip
    assert refused.meta.status == 400


def test_policies_update(user: tuple[Any, str], server: tuple[LocalServer, str]) -> None:
    client, vault_id = user
    other, _ = server[0].agents.create_agent("grantee", None)
    policy = ok(client.policies.create(
        vault_id, principal_type="agent", principal_id=other.id, secret_path_pattern="app/*", permissions=["read"],
    ))  # fmt: skip
    expiry = _in(24)
    updated = ok(
        client.policies.update(vault_id, policy["id"], permissions=["read", "write"], expires_at=expiry)
    )
    assert updated["id"] == policy["id"] and updated["permissions"] == ["read", "write"]
    assert updated["expires_at"].startswith(expiry[:16]) and updated["secret_path_pattern"] == "app/*"
    listed = ok(client.policies.list(vault_id))["policies"]
    assert [p["permissions"] for p in listed if p["id"] == policy["id"]] == [["read", "write"]]
    bad = client.policies.update(vault_id, policy["id"], permissions=["fly"])
    assert bad.meta.status == 400
    assert (
        client.policies.update(
            vault_id, "0" * 8 + "-0000-0000-0000-" + "0" * 12, permissions=["read"]
        ).meta.status
        == 404
    )
    assert client.policies.update(vault_id, policy["id"], conditions={"ip": "x"}).meta.status == 400


def test_unknown_or_deleted_vault_is_404(agent: tuple[Any, str, str], user: tuple[Any, str]) -> None:
    client, vault_id, _ = agent
    unknown = "00000000-0000-4000-8000-000000000000"
    assert client.vaults.get(unknown).meta.status == 404
    assert client.secrets.get(unknown, "a/b").meta.status == 404
    assert client.secrets.set(unknown, "a/b", "v").meta.status == 404
    mine = ok(client.vaults.create("deleted-" + vault_id[:8]))
    assert client.vaults.delete(mine["id"]).meta.status == 204
    assert client.vaults.get(mine["id"]).meta.status == 404
    assert client.secrets.list(mine["id"]).meta.status == 404
    _ucl, user_vault = user
    assert client.vaults.get(user_vault).meta.status == 403  # exists, but not this agent's: still 403


def test_authentication_comes_before_body_validation(server: tuple[LocalServer, str]) -> None:
    url = server[1]
    vault = "00000000-0000-4000-8000-000000000000"
    with httpx.Client(base_url=url, transport=LoopbackOnly(), trust_env=False) as raw:
        for method, path, body in [
            ("PUT", f"/v1/vaults/{vault}/secrets/a/b", b"{not json"),
            ("PUT", f"/v1/vaults/{vault}/secrets/a/b", b'{"value": 5}'),
            ("POST", "/v1/vaults", b"[]"),
            ("POST", f"/v1/vaults/{vault}/policies", b"{}"),
            ("PUT", f"/v1/vaults/{vault}/policies/p1", b'{"permissions": "x"}'),
            ("POST", "/v1/secrets/s1/share", b"{}"),
            ("POST", f"/v1/vaults/{vault}/env-vars", b"{}"),
            ("GET", f"/v1/vaults/{vault}/secret-version/a/not-a-number", None),  # path checks come after too
            ("GET", f"/v1/vaults/{vault}/env-vars/lowercase?environment=Bad!", None),
            ("GET", "/v1/shares/sideways", None),
        ]:
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                resp = raw.request(
                    method, path, content=body, headers={"Content-Type": "application/json", **headers}
                )
                assert resp.status_code == 401, (method, path, headers, resp.text)
    with sdk(url) as unauth:
        assert unauth.secrets.set(vault, "a/b", "v").meta.status == 401


def test_agents_cannot_share_to_an_external_email(agent: tuple[Any, str, str], user: tuple[Any, str]) -> None:
    client, vault_id, _ = agent
    meta = ok(client.secrets.set(vault_id, "mail/me", "v"))
    refused = client.sharing.create(
        meta["id"], recipient_type="external_email", email="alice@example.com", expires_at=_in(1)
    )
    assert refused.meta.status == 403 and "agent" in (refused.error.message or "")
    assert ok(client.sharing.list_outbound())["shares"] == []
    from oneclaw_tools.backends.remote import OneClawVault
    from oneclaw_tools.errors import PermissionDenied

    sent: list[str] = []
    with OneClawVault(client.agent_key, base_url=client._http.base_url) as ours:  # our client says why
        ours._client.event_hooks["request"].append(lambda r: sent.append(r.url.path))
        with pytest.raises(PermissionDenied) as info:
            ours.create_share(vault_id, "mail/me", recipient_type="external_email", email="a@example.com",
                              expires_at=_in(1))  # fmt: skip
    assert "agents cannot share with an external email" in str(info.value)
    assert not any("/share" in p for p in sent)
    ucl, user_vault = user  # a human may
    umeta = ok(ucl.secrets.set(user_vault, "mail/me", "v"))
    share = ok(ucl.sharing.create(umeta["id"], recipient_type="external_email", email="alice@example.com",
                                  expires_at=_in(1)))  # fmt: skip
    assert share["recipient_email"] == "alice@example.com"


def test_resolve_without_environment_uses_the_default(agent: tuple[Any, str, str]) -> None:
    client, vault_id, _ = agent
    ok(
        client.env_vars.create(
            vault_id, key="API_URL", value="https://dev.example", environments=["development"]
        )
    )
    ok(
        client.env_vars.create(
            vault_id, key="API_URL", value="https://prod.example", environments=["production"]
        )
    )
    default = ok(client._http.request("GET", f"/v1/vaults/{vault_id}/env-vars/resolve"))
    assert default["environment"] == "development" and default["vars"] == {"API_URL": "https://dev.example"}
    assert ok(client.env_vars.resolve(vault_id, ""))["environment"] == "development"
    prod = ok(client.env_vars.resolve(vault_id, "production"))
    assert prod["vars"] == {"API_URL": "https://prod.example"}


def test_405_carries_allow(agent: tuple[Any, str, str], server: tuple[LocalServer, str]) -> None:
    _, vault_id, _ = agent
    with httpx.Client(base_url=server[1], transport=LoopbackOnly(), trust_env=False) as raw:
        for method, path, allowed in [
            ("PATCH", f"/v1/vaults/{vault_id}/secrets/a", {"GET", "PUT", "DELETE"}),
            ("POST", f"/v1/vaults/{vault_id}", {"GET", "DELETE"}),
            ("GET", f"/v1/vaults/{vault_id}/policies/p1", {"PUT", "DELETE"}),
            ("DELETE", "/v1/vaults", {"GET", "POST"}),
        ]:
            resp = raw.request(method, path)
            assert resp.status_code == 405, (method, path, resp.text)
            got = {m.strip() for m in resp.headers["allow"].split(",")}
            assert allowed <= got and method not in got, (method, path, got)
            assert resp.headers["content-type"].startswith("application/problem+json")


def test_sdk_has_no_telemetry() -> None:
    """The SDK's only network code is its one httpx client toward base_url: no other host, no
    analytics or error-reporting library, nothing read from the environment but ONECLAW_RUNTIME_ID."""
    root = Path(oneclaw.__file__).parent
    source = "\n".join(p.read_text() for p in root.rglob("*.py"))
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", source))
    assert hosts <= {"api.1claw.co", "api.1claw.xyz", "1claw.xyz", "localhost", "127.0.0.1"}, hosts
    for lib in ("sentry", "posthog", "segment", "mixpanel", "opentelemetry", "telemetry", "urllib.request",
                "requests", "socket"):  # fmt: skip
        assert not re.search(rf"^\s*(import|from)\s+{re.escape(lib)}\b", source, re.M), lib
    assert set(re.findall(r"environ(?:\.get)?\(\s*[\"']([A-Z_]+)", source)) <= {"ONECLAW_RUNTIME_ID"}
    assert source.count("httpx.Client(") == 1
