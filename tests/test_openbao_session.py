"""The same tools, unchanged, over OpenBao: a session from BAO_* variables alone, on a real dev server.

The shared scenario runs end to end (list → describe → get → use the handle → third-party echoes →
exfiltration refused → rotate → share) and nothing the model saw holds a value. Then the
backend-specific promises: selection by environment, AppRole login and token renewal, Vault's own
audit device without values, Vault's ACL refusals as typed errors, and an unreachable server.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oneclaw_tools import Session, ToolError
from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.config import open_backend, select_backend
from oneclaw_tools.errors import (
    InvalidArgument,
    NotAuthenticated,
    OneClawError,
    PermissionDenied,
    TransportError,
)
from oneclaw_tools.testing.bao import BaoServer, dev_server
from oneclaw_tools.testing.scenario import (
    THIRD_PARTY_TOOLS,
    Script,
    assert_no_canary,
    local_api,
    scenario_policy,
    seed_canaries,
)


@pytest.fixture(scope="module")
def bao() -> Iterator[BaoServer]:
    with dev_server() as server:
        yield server


def _root(server: BaoServer) -> httpx.Client:
    return httpx.Client(base_url=f"{server.addr}/v1", headers={"X-Vault-Token": server.token}, timeout=10)


def test_scenario_over_openbao(bao: BaoServer) -> None:
    env = {"BAO_ADDR": bao.addr, "BAO_TOKEN": bao.token, "ONECLAW_KV_MOUNT": "secret"}
    with Session.from_env(env, policy=scenario_policy()) as session, local_api() as api:
        assert session.backend.kind == "openbao"
        canaries = seed_canaries(session, api_host=api.host)
        api.token = canaries.api_token
        script = Script(api.url)
        seen: list[str] = []
        output: str | None = None
        while (call := script.next_call(output)) is not None:
            try:
                if call.name in THIRD_PARTY_TOOLS:
                    result = session.run_wrapped(call.name, THIRD_PARTY_TOOLS[call.name][1], call.args)
                    output = result if isinstance(result, str) else json.dumps(result)
                else:
                    output = session.call_text(call.name, call.args)
            except ToolError as err:
                output = err.text
            seen.append(output)
        script.check_flow()
        assert_no_canary([*seen, repr(session), repr(session.backend)], canaries)


def test_tools_see_1claw_errors_from_openbao(bao: BaoServer) -> None:
    """A used-up secret is 410 and an unknown one 404 through Session.call, with no value in the text."""
    backend = OpenBaoVault(bao.addr, token=bao.token, prefix="s" + uuid.uuid4().hex[:10])
    with Session(backend) as session:
        canary = "cnry-" + uuid.uuid4().hex
        session.call("put_secret", {"path": "once/k", "value": canary, "max_access_count": 1})
        got = session.call("get_secret", {"path": "once/k"})
        assert got["uses_left"] == 0 and canary not in json.dumps(got)
        with pytest.raises(ToolError) as gone:
            session.call("get_secret", {"path": "once/k"})
        assert gone.value.status == 410 and canary not in gone.value.text
        with pytest.raises(ToolError) as missing:
            session.call("describe_secret", {"path": "never/was"})
        assert missing.value.status == 404


def test_selection_by_environment() -> None:
    """ONECLAW_BACKEND wins; else an agent key means 1Claw, BAO_ADDR/VAULT_ADDR OpenBao, else local."""
    assert select_backend({}) == "local"
    assert select_backend({"BAO_ADDR": "http://127.0.0.1:1"}) == "openbao"
    assert select_backend({"VAULT_ADDR": "http://127.0.0.1:1"}) == "openbao"
    assert select_backend({"VAULT_ADDR": "http://127.0.0.1:1", "ONECLAW_AGENT_API_KEY": "ocv_x"}) == "oneclaw"
    assert select_backend({"ONECLAW_BACKEND": "local", "BAO_ADDR": "http://127.0.0.1:1"}) == "local"
    assert select_backend({"ONECLAW_BACKEND": "OpenBao"}) == "openbao"
    with pytest.raises(InvalidArgument) as bad:
        select_backend({"ONECLAW_BACKEND": "consul"})
    assert bad.value.argument == "ONECLAW_BACKEND"
    with pytest.raises(InvalidArgument) as no_addr:
        open_backend({"ONECLAW_BACKEND": "openbao"})
    assert no_addr.value.argument == "BAO_ADDR"
    token = "hvs." + uuid.uuid4().hex
    backend = open_backend({"VAULT_ADDR": "http://127.0.0.1:1, http://127.0.0.2:1", "VAULT_TOKEN": token})
    assert isinstance(backend, OpenBaoVault) and backend.client.addresses == [
        "http://127.0.0.1:1",
        "http://127.0.0.2:1",
    ]
    assert (
        token not in repr(backend) and token not in repr(backend.auth) and token not in repr(backend.client)
    )
    backend.close()


def test_approle_login_and_renewal(bao: BaoServer, tmp_path: Path) -> None:
    """AppRole logs in, renews a short token, logs in again past its max TTL; work never stops."""
    with _root(bao) as root:
        root.post("/sys/auth/approle", json={"type": "approle"})  # already enabled is a 400: fine
        root.put(
            "/sys/policies/acl/oneclaw-app",
            json={
                "policy": 'path "secret/*" { capabilities = ["create","read","update","delete","list","patch"] }\npath "sys/tools/random/*" { capabilities = ["update"] }'
            },
        ).raise_for_status()
        root.post(
            "/auth/approle/role/oneclaw",
            json={"token_policies": ["oneclaw-app"], "token_ttl": "3s", "token_max_ttl": "6s"},
        ).raise_for_status()
        role_id = root.get("/auth/approle/role/oneclaw/role-id").json()["data"]["role_id"]
        secret_id = root.post("/auth/approle/role/oneclaw/secret-id").json()["data"]["secret_id"]
    env = {"BAO_ADDR": bao.addr, "BAO_ROLE_ID": role_id, "BAO_SECRET_ID": secret_id}
    backend = open_backend(env)
    assert isinstance(backend, OpenBaoVault)
    with backend:
        vault = backend.create_vault("approle-" + uuid.uuid4().hex[:8]).id
        deadline = time.monotonic() + 8.5
        i = 0
        while time.monotonic() < deadline:
            i += 1
            assert backend.put_secret(vault, "k", f"v{i}").version == i
            assert backend.get_secret(vault, "k").value.reveal_unsafe() == f"v{i}"
            time.sleep(0.3)
        assert backend.auth.renewals >= 1 and backend.auth.logins >= 2
        assert secret_id not in repr(backend)


def test_a_wrong_approle_secret_is_one_clear_error(bao: BaoServer) -> None:
    backend = OpenBaoVault(bao.addr, role_id="nope", secret_id="also-nope-" + uuid.uuid4().hex)
    with backend, pytest.raises(NotAuthenticated) as info:
        backend.list_vaults()
    assert "AppRole" in info.value.message and "also-nope" not in str(info.value)


def test_vault_acl_refusals_are_typed_and_value_free(bao: BaoServer) -> None:
    """A token whose Vault policy only reads gets PermissionDenied on a write, naming no value."""
    prefix = "ro" + uuid.uuid4().hex[:8]
    owner = OpenBaoVault(bao.addr, token=bao.token, prefix=prefix)
    vault = owner.create_vault("ro").id
    owner.put_secret(vault, "k", "v")
    with _root(bao) as root:
        root.put(
            "/sys/policies/acl/ro-" + prefix,
            json={
                "policy": f'path "secret/data/{prefix}/*" {{ capabilities = ["read"] }}\npath "secret/metadata/{prefix}/*" {{ capabilities = ["read", "list"] }}'
            },
        ).raise_for_status()
        token = root.post("/auth/token/create", json={"policies": ["ro-" + prefix], "ttl": "60s"}).json()[
            "auth"
        ]["client_token"]
    reader = OpenBaoVault(bao.addr, token=token, prefix=prefix)
    canary = "cnry-" + uuid.uuid4().hex
    assert reader.get_secret(vault, "k").value.reveal_unsafe() == "v"
    with pytest.raises(PermissionDenied) as denied:
        reader.put_secret(vault, "k", canary)
    assert canary not in str(denied.value) and canary not in repr(denied.value)
    assert owner.describe_secret(vault, "k").version == 1
    owner.close()
    reader.close()


def test_vault_audit_device_records_access_without_values(tmp_path: Path) -> None:
    """Vault's file audit device sees our reads and writes, with the value HMAC'd, never in clear."""
    log = tmp_path / "audit.log"
    canary = "cnry-" + uuid.uuid4().hex
    with dev_server(audit_log=log) as server:
        with OpenBaoVault(server.addr, token=server.token) as backend:
            vault = backend.create_vault("audited").id
            backend.put_secret(vault, "audited/k", canary)
            backend.get_secret(vault, "audited/k")
            with pytest.raises(OneClawError):
                backend.put_secret(vault, "audited/k", canary, type="nope")
        text = log.read_text()
    assert "audited/k" in text and canary not in text


def test_unreachable_server_is_a_transport_error() -> None:
    """Nothing listens: a clear TransportError after the deadline, no value in it."""
    canary = "cnry-" + uuid.uuid4().hex
    backend = OpenBaoVault("http://127.0.0.1:9", token="t", deadline=0.5)
    with backend, pytest.raises(OneClawError) as info:
        backend.put_secret("v1", "k", canary)
    assert isinstance(info.value, TransportError) and canary not in str(info.value)


def test_a_renewable_token_is_renewed_before_it_expires(bao: BaoServer) -> None:
    """BAO_TOKEN with a 4 s TTL: the backend renews it and keeps working well past 4 s."""
    with _root(bao) as root:
        made = root.post("/auth/token/create", json={"policies": ["root"], "ttl": "4s", "renewable": True})
        token = made.json()["auth"]["client_token"]
    backend = open_backend({"BAO_ADDR": bao.addr, "BAO_TOKEN": token})
    assert isinstance(backend, OpenBaoVault)
    with backend:
        vault = backend.create_vault("renew-" + uuid.uuid4().hex[:8]).id
        deadline = time.monotonic() + 7
        i = 0
        while time.monotonic() < deadline:
            i += 1
            assert backend.put_secret(vault, "k", f"v{i}").version == i
            time.sleep(0.25)
        assert backend.auth.renewals >= 1 and backend.auth.logins == 0


def test_the_command_line_on_openbao(bao: BaoServer, tmp_path: Path) -> None:
    """put (value on stdin), call and audit through the real CLI with only BAO_* set; no value printed."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONECLAW_", "BAO_", "VAULT_"))}
    env.update(BAO_ADDR=bao.addr, BAO_TOKEN=bao.token, HOME=str(tmp_path))
    canary = "cnry-" + uuid.uuid4().hex

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "oneclaw_tools", *args], input=stdin, env=env,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    put = cli("put", "cli/api_key", "--type", "api_key", stdin=canary)
    assert put.returncode == 0, put.stderr
    limited = cli("put", "cli/once", "--max-access", "1", stdin=canary + "-once")
    assert limited.returncode == 0, limited.stderr
    got = cli("call", "get_secret", '{"path": "cli/api_key"}')
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["type"] == "api_key"
    scrub = cli("scrub", stdin=f"log line with {canary} inside\n")
    assert scrub.returncode == 0 and canary not in scrub.stdout
    audit = cli("audit")
    assert audit.returncode == 0 and "export_latest_unsafe" in audit.stdout, audit.stdout + audit.stderr
    for done in (put, got, scrub, audit):
        assert canary not in done.stdout + done.stderr
    once = cli("call", "get_secret", '{"path": "cli/once"}')  # scrub exported it without using it up
    assert once.returncode == 0 and json.loads(once.stdout)["uses_left"] == 0, once.stdout + once.stderr
    assert not (tmp_path / ".local").exists(), "no embedded vault may be created when OpenBao is selected"
