"""The env-vars API (§6.2) on the local server, over real HTTP on 127.0.0.1.

Variables are secrets under ``__env/<environment>/<KEY>`` (and ``.../__branch/<b>/<KEY>``),
so these tests also look at the vault underneath: encrypted, versioned, hidden from plain
secret lists, governed by policies on those paths. If a route answers 500, an exception
escaped ``oneclaw_tools/server/env_vars.py``: raise a typed error (InvalidArgument names the
field) instead. If a policy case fails, compare the reserved path with the policy glob.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from oneclaw_tools.server import LocalServer
from oneclaw_tools.server.env_vars import env_path, parse_env_path
from oneclaw_tools.server.testing import make_agent, running_server

CANARY = "envvar-canary-7c41e9"


def _token(url: str, key: str) -> str:
    resp = httpx.post(url + "/v1/auth/agent-token", json={"api_key": key})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


class Api:
    """An authenticated client for one vault's env-vars routes."""

    def __init__(self, url: str, key: str, vault_id: str) -> None:
        self.client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {_token(url, key)}"})
        self.base = f"/v1/vaults/{vault_id}/env-vars"

    def call(self, method: str, tail: str = "", **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.base + tail, **kwargs)

    def close(self) -> None:
        self.client.close()


def _problem(resp: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    wanted = status if isinstance(status, tuple) else (status,)
    assert resp.status_code in wanted, f"expected {wanted}, got {resp.status_code}: {resp.text}"
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert set(body) >= {"type", "title", "status", "detail"} and body["status"] == resp.status_code
    assert CANARY not in resp.text
    return body


@pytest.fixture
def served(tmp_path: Any) -> Iterator[tuple[LocalServer, str]]:
    with running_server(tmp_path) as (server, url):
        yield server, url


@pytest.fixture
def agent(served: tuple[LocalServer, str]) -> Iterator[tuple[LocalServer, Api, str]]:
    server, url = served
    _, key, vault_id = make_agent(server, "env")
    api = Api(url, key.reveal_unsafe(), vault_id)
    try:
        yield server, api, vault_id
    finally:
        api.close()


def test_paths_round_trip() -> None:
    assert env_path("production", "DB_URL") == "__env/production/DB_URL"
    assert env_path("preview", "DB_URL", "feat/x") == "__env/preview/__branch/feat/x/DB_URL"
    assert parse_env_path("__env/preview/__branch/feat/x/DB_URL") == ("preview", "feat/x", "DB_URL")
    assert parse_env_path("__env/production/DB_URL") == ("production", None, "DB_URL")
    assert parse_env_path("__env/production/lower") is None
    assert parse_env_path("app/DB_URL") is None


def test_create_list_get_patch_delete(
    agent: tuple[LocalServer, Api, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server, api, vault_id = agent
    resp = api.call("POST", json={"key": "DB_URL", "value": CANARY + "-db", "comment": "primary"})
    assert resp.status_code == 201, resp.text
    var = resp.json()
    assert var["key"] == "DB_URL" and var["environments"] == ["production", "preview", "development"]
    assert var["sensitive"] is False and var["comment"] == "primary" and var["git_branch"] is None
    assert var["value"] == CANARY + "-db" and var["version"] == 1
    assert {"id", "created_by", "created_at", "updated_at"} <= set(var)

    resp = api.call("POST", json={"key": "TOKEN", "value": CANARY + "-tok", "sensitive": True,
                                  "environments": ["production"]})  # fmt: skip
    assert resp.status_code == 201, resp.text

    listed = api.call("GET").json()["env_vars"]
    by_key = {v["key"]: v for v in listed}
    assert by_key["DB_URL"]["value"] == CANARY + "-db" and by_key["DB_URL"]["id"] == var["id"]
    assert by_key["TOKEN"]["value"] is None and by_key["TOKEN"]["environments"] == ["production"]
    dev = api.call("GET", params={"environment": "development"}).json()["env_vars"]
    assert [v["key"] for v in dev] == ["DB_URL"]

    one = api.call("GET", "/TOKEN", params={"environment": "production"}).json()
    assert one["value"] == CANARY + "-tok" and one["sensitive"] is True  # a single read shows it
    assert api.call("GET", "/DB_URL").json()["value"] == CANARY + "-db"  # unambiguous without environment

    patched = api.call("PATCH", "/DB_URL", json={"value": CANARY + "-db2", "comment": None})
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2 and patched.json()["comment"] is None
    assert patched.json()["id"] == var["id"]
    shrunk = api.call("PATCH", "/DB_URL", json={"environments": ["production", "preview"]}).json()
    assert shrunk["environments"] == ["production", "preview"] and shrunk["value"] == CANARY + "-db2"
    _problem(api.call("GET", "/DB_URL", params={"environment": "development"}), 404)

    # Setting one environment separately splits the variable; then the environment is needed.
    api.call("POST", json={"key": "DB_URL", "value": CANARY + "-other", "environments": ["preview"]})
    _problem(api.call("GET", "/DB_URL"), 400)
    assert api.call("GET", "/DB_URL", params={"environment": "preview"}).json()["value"] == CANARY + "-other"
    assert api.call("GET", "/DB_URL", params={"environment": "production"}).json()["value"] == CANARY + "-db2"

    assert api.call("DELETE", "/DB_URL", params={"environment": "preview"}).status_code == 204
    assert api.call("GET", "/DB_URL").json()["environments"] == ["production"]
    assert api.call("DELETE", "/DB_URL").status_code == 204
    _problem(api.call("GET", "/DB_URL"), 404)
    _problem(api.call("DELETE", "/DB_URL"), 404)
    _problem(api.call("PATCH", "/NOPE", json={"value": "x"}), 404)

    # Underneath: encrypted, versioned secrets of type env, hidden from plain secret lists.
    metas = server.vault.list_secrets(vault_id, "__env/")
    assert [(m.path, m.type) for m in metas] == [("__env/production/TOKEN", "env")]
    versions = server.vault.list_versions(vault_id, "__env/production/TOKEN")
    assert [v.version for v in versions] == [1]
    assert CANARY.encode() not in (server.vault.path.read_bytes())
    plain = api.client.get(f"/v1/vaults/{vault_id}/secrets").json()["secrets"]
    assert plain == []
    asked = api.client.get(f"/v1/vaults/{vault_id}/secrets", params={"prefix": "__env/"}).json()["secrets"]
    assert [s["path"] for s in asked] == ["__env/production/TOKEN"]
    assert CANARY not in caplog.text


def test_resolve_branch_overrides_vault(agent: tuple[LocalServer, Api, str]) -> None:
    _, api, _ = agent
    for body in (
        {"key": "API_URL", "value": "https://api.example"},
        {"key": "FLAG", "value": "off", "environments": ["preview", "development"]},
        {"key": "API_URL", "value": "https://feat.example", "git_branch": "feat/login"},
        {"key": "ONLY_BRANCH", "value": "b", "git_branch": "feat/login", "environments": ["preview"]},
    ):
        assert api.call("POST", json=body).status_code == 201, body

    resp = api.call("GET", "/resolve", params={"environment": "preview", "git_branch": "feat/login"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["vars"] == {"API_URL": "https://feat.example", "FLAG": "off", "ONLY_BRANCH": "b"}
    assert body["sources"] == {
        "API_URL": "branch_override",
        "FLAG": "vault",
        "ONLY_BRANCH": "branch_override",
    }
    assert body["environment"] == "preview" and body["git_branch"] == "feat/login" and body["resolved_at"]

    plain = api.call("GET", "/resolve", params={"environment": "preview"}).json()
    assert plain["vars"] == {"API_URL": "https://api.example", "FLAG": "off"} and plain["git_branch"] is None
    prod = api.call("GET", "/resolve", params={"environment": "production"}).json()
    assert prod["vars"] == {"API_URL": "https://api.example"} and prod["sources"] == {"API_URL": "vault"}

    override = api.call("GET", "/API_URL", params={"environment": "preview", "git_branch": "feat/login"})
    assert override.json()["git_branch"] == "feat/login" and override.json()["environments"] == ["preview"]
    default = api.call("GET", "/resolve").json()  # no environment: the default one, named in the answer
    assert default["environment"] == "development" and default["vars"] == {
        "API_URL": "https://api.example",
        "FLAG": "off",
    }


BAD_POSTS: list[tuple[str, Any]] = [
    ("lowercase key", {"key": "db_url", "value": CANARY}),
    ("dash in key", {"key": "DB-URL", "value": CANARY}),
    ("empty key", {"key": "", "value": CANARY}),
    ("key too long", {"key": "K" * 257, "value": CANARY}),
    ("key not a string", {"key": 5, "value": CANARY}),
    ("missing value", {"key": "K"}),
    ("empty value", {"key": "K", "value": ""}),
    ("value not a string", {"key": "K", "value": 12}),
    ("environments not a list", {"key": "K", "value": CANARY, "environments": "production"}),
    ("empty environments", {"key": "K", "value": CANARY, "environments": []}),
    ("repeated environment", {"key": "K", "value": CANARY, "environments": ["preview", "preview"]}),
    ("bad environment slug", {"key": "K", "value": CANARY, "environments": ["../prod"]}),
    ("branch outside preview", {"key": "K", "value": CANARY, "git_branch": "main", "environments": ["production"]}),
    ("branch with dots", {"key": "K", "value": CANARY, "git_branch": "../x"}),
    ("branch not a string", {"key": "K", "value": CANARY, "git_branch": ["x"]}),
    ("sensitive not a bool", {"key": "K", "value": CANARY, "sensitive": "yes"}),
    ("comment too long", {"key": "K", "value": CANARY, "comment": "c" * 2000}),
    ("not an object", [CANARY]),
]  # fmt: skip


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, Api, str]]:
    with running_server(tmp_path_factory.mktemp("env-bad")) as (server, url):
        _, key, vault_id = make_agent(server, "bad")
        api = Api(url, key.reveal_unsafe(), vault_id)
        assert api.call("POST", json={"key": "KEEP", "value": CANARY}).status_code == 201
        try:
            yield server, api, vault_id
        finally:
            api.close()


def _snapshot(server: LocalServer, vault_id: str) -> list[tuple[str, int]]:
    return [(m.path, m.version) for m in server.vault.list_secrets(vault_id, "__env/")]


@pytest.mark.parametrize(("case", "body"), BAD_POSTS, ids=[c for c, _ in BAD_POSTS])
def test_bad_post_is_a_4xx_problem(shared: tuple[LocalServer, Api, str], case: str, body: Any) -> None:
    server, api, vault_id = shared
    before = _snapshot(server, vault_id)
    _problem(api.call("POST", json=body), 400)
    assert _snapshot(server, vault_id) == before, case


BAD_REQUESTS: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("malformed JSON", "POST", "", {}, b'{"key": "K", "value": '),
    ("lowercase key in path", "GET", "/keep", {}, None),
    ("key with escape in path", "GET", "/KE%2FEP", {}, None),
    ("bad environment query", "GET", "/KEEP", {"environment": "Prod!"}, None),
    ("bad branch query", "GET", "/KEEP", {"environment": "preview", "git_branch": "a//b"}, None),
    ("bad list environment", "GET", "", {"environment": "../x"}, None),
    ("resolve bad environment", "GET", "/resolve", {"environment": "x y"}, None),
    ("patch empty value", "PATCH", "/KEEP", {}, {"value": ""}),
    ("patch branch outside preview", "PATCH", "/KEEP", {"git_branch": "b"}, {"environments": ["production"]}),
    ("patch sensitive type", "PATCH", "/KEEP", {}, {"sensitive": 1}),
    ("delete bad key", "DELETE", "/not-a-key", {}, None),
]


@pytest.mark.parametrize(
    ("case", "method", "tail", "params", "body"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
def test_bad_request_is_a_4xx_problem(
    shared: tuple[LocalServer, Api, str], case: str, method: str, tail: str, params: dict[str, str], body: Any
) -> None:
    server, api, vault_id = shared
    before = _snapshot(server, vault_id)
    kwargs: dict[str, Any] = {"params": params}
    if isinstance(body, bytes):
        kwargs["content"] = body
        kwargs["headers"] = {"Content-Type": "application/json"}
    elif body is not None:
        kwargs["json"] = body
    resp = api.call(method, tail, **kwargs)
    _problem(resp, (400, 404))
    assert _snapshot(server, vault_id) == before, case


def test_unauthenticated_and_foreign_vault(served: tuple[LocalServer, str]) -> None:
    server, url = served
    _, _key, vault_id = make_agent(server, "owner-side")
    _problem(httpx.get(f"{url}/v1/vaults/{vault_id}/env-vars"), 401)
    _, other_key, _ = make_agent(server, "stranger")  # bound to its own vault only
    stranger = Api(url, other_key.reveal_unsafe(), vault_id)
    try:
        _problem(stranger.call("GET"), (403, 404))
        _problem(stranger.call("POST", json={"key": "K", "value": CANARY}), (403, 404))
        _problem(stranger.call("GET", "/resolve", params={"environment": "production"}), (403, 404))
    finally:
        stranger.close()


def test_policies_on_reserved_paths(served: tuple[LocalServer, str]) -> None:
    """Read on ``__env/production/**`` sees production only; writes need write, all or nothing."""
    server, url = served
    _, admin_key, vault_id = make_agent(server, "admin")
    admin = Api(url, admin_key.reveal_unsafe(), vault_id)
    assert admin.call("POST", json={"key": "SHARED", "value": CANARY + "-old"}).status_code == 201

    def principal(name: str, *grants: tuple[str, list[str]]) -> Api:
        record, key = server.agents.create_agent(name)  # unbound: only the policies let it in
        for pattern, perms in grants:
            server.vault.create_policy(vault_id, principal_type="agent", principal_id=record.id,
                                       secret_path_pattern=pattern, permissions=perms)  # fmt: skip
        return Api(url, key.reveal_unsafe(), vault_id)

    reader = principal("prod-reader", ("__env/production/**", ["read"]))
    writer = principal(
        "half-writer", ("__env/production/**", ["write", "read"]), ("__env/preview/**", ["write"])
    )
    nobody = principal("other-paths", ("app/**", ["read", "write"]))
    try:
        listed = reader.call("GET").json()["env_vars"]
        assert [(v["key"], v["environments"]) for v in listed] == [("SHARED", ["production"])]
        assert (
            reader.call("GET", "/SHARED", params={"environment": "production"}).json()["value"]
            == CANARY + "-old"
        )
        _problem(reader.call("GET", "/SHARED", params={"environment": "preview"}), 404)
        resolved = reader.call("GET", "/resolve", params={"environment": "preview"}).json()
        assert resolved["vars"] == {}
        _problem(
            reader.call("POST", json={"key": "NEW", "value": CANARY, "environments": ["production"]}), 403
        )
        _problem(reader.call("DELETE", "/SHARED", params={"environment": "production"}), 403)

        # Writes to production and preview succeed, development is denied: nothing may remain.
        before = _snapshot(server, vault_id)
        _problem(writer.call("POST", json={"key": "SHARED", "value": CANARY + "-new"}), 403)
        _problem(writer.call("POST", json={"key": "FRESH", "value": CANARY + "-new"}), 403)
        assert [p for p, _ in _snapshot(server, vault_id)] == [p for p, _ in before]
        for env in ("production", "preview", "development"):
            got = admin.call("GET", "/SHARED", params={"environment": env}).json()
            assert got["value"] == CANARY + "-old", env
        _problem(admin.call("GET", "/FRESH"), 404)
        ok = writer.call(
            "POST", json={"key": "FRESH", "value": "v", "environments": ["production", "preview"]}
        )
        assert ok.status_code == 201, ok.text

        assert nobody.call("GET").json()["env_vars"] == []
        _problem(nobody.call("POST", json={"key": "K", "value": CANARY, "environments": ["production"]}), 403)
    finally:
        for api in (admin, reader, writer, nobody):
            api.close()


def test_values_stay_out_of_errors_and_logs(
    agent: tuple[LocalServer, Api, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, api, _ = agent
    for body in ({"key": "bad-key", "value": CANARY}, {"key": "K", "value": CANARY, "sensitive": CANARY},
                 {"key": "K", "value": CANARY, "environments": ["Env " + CANARY]}):  # fmt: skip
        resp = api.call("POST", json=body)
        _problem(resp, 400)
        assert CANARY not in json.dumps(resp.json())
    assert CANARY not in caplog.text
