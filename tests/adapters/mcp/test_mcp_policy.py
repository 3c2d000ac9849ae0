"""``oneclaw-mcp`` with the operator's policy, configured only as a desktop client can (flags or
``env``), driven by a real MCP ``ClientSession`` over stdio and streamable HTTP.

Covers issue 13's MCP items: the policy flags and their ``ONECLAW_MCP_*`` variables, the one
line on stderr naming the backend and vault, ``ONECLAW_AGENT_TOKEN`` against a real local
1Claw-compatible server, no silent fallback to an empty vault, where ``http`` listens, no
traceback when a client disconnects, and a clear error for ``--wrap`` with a function no schema describes.
When a test fails, the server's stderr is in the assertion message.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import World
from oneclaw_mcp.cli import main
from oneclaw_mcp.testing.host import result_text

from oneclaw_tools.server.testing import make_agent, running_server
from oneclaw_tools.testing.scenario import DEMO_PATH

pytestmark = pytest.mark.slow


def _exe() -> str:
    exe = shutil.which("oneclaw-mcp", path=str(Path(sys.executable).parent))
    assert exe, "the oneclaw-mcp console script is not installed in this environment"
    return exe


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {"HOME": str(home), "PYTHONUNBUFFERED": "1", "PATH": os.environ.get("PATH", ""), **extra}


async def _session(params: StdioServerParameters, errlog_path: Path, work: Any) -> Any:
    with errlog_path.open("w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as client:
            await client.initialize()
            return await work(client)


@pytest.mark.parametrize("source", ["flags", "env"])
async def test_policy_from_flags_or_env(mcp_world: World, tmp_path: Path, source: str) -> None:
    settings = {
        "tools": "list_secrets,get_secret,describe_secret,put_secret",
        "paths": "demo/**",
        "bind_host": "demo/**=api.example.com",
        "bind_tool": "demo/**=echo_raw",
        "approve": "get_secret",
    }
    env = _env(tmp_path, ONECLAW_LOCAL_VAULT=str(mcp_world.vault))
    args = ["stdio"]
    if source == "flags":
        args += ["--read-only", *[f"--{k.replace('_', '-')}={v}" for k, v in settings.items()]]
    else:
        env.update({f"ONECLAW_MCP_{k.upper()}": v for k, v in settings.items()}, ONECLAW_MCP_READ_ONLY="1")

    async def work(client: ClientSession) -> tuple[list[str], Any, Any, Any]:
        names = [t.name for t in (await client.list_tools()).tools]
        listed = await client.call_tool("list_secrets", {})
        described = await client.call_tool("describe_secret", {"path": "demo/db_password"})
        fetched = await client.call_tool("get_secret", {"path": "demo/db_password"})
        return names, listed, described, fetched

    errlog = tmp_path / "stderr.txt"
    names, listed, described, fetched = await _session(
        StdioServerParameters(command=_exe(), args=args, env=env), errlog, work
    )
    stderr = errlog.read_text()
    assert names == ["list_secrets", "describe_secret", "get_secret"], stderr  # put_secret: read-only
    paths = [s["path"] for s in json.loads(result_text(listed))["secrets"]]
    assert paths and all(p.startswith("demo/") for p in paths), paths
    described_json = json.loads(result_text(described))
    assert "api.example.com" in described_json["allowed_hosts"], described_json
    assert "echo_raw" in described_json["allowed_tools"], described_json
    assert fetched.isError and "approval" in result_text(fetched), result_text(fetched)
    start = [line for line in stderr.splitlines() if "serving" in line]
    assert len(start) == 1 and str(mcp_world.vault) in start[0] and "vault 'default'" in start[0], stderr
    assert "3 tools" in start[0] and "read-only" in start[0], start


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--tools", "list_secrets,nope"], {}, "unknown tool 'nope'"),
        ([], {"ONECLAW_MCP_TOOLS": "get_secrets"}, "ONECLAW_MCP_TOOLS: unknown tool 'get_secrets'"),
        (["--bind-host", "prod/**"], {}, "expected GLOB=HOST"),
        (["--bind-host", "prod/**=https://api.example.com"], {}, "host"),
        (["--paths", "prod/[x"], {}, "--paths"),
        (["--approve", "nope"], {}, "unknown tool"),
        ([], {"ONECLAW_MCP_READ_ONLY": "maybe"}, "ONECLAW_MCP_READ_ONLY"),
        (["--share-recipient", "not an address"], {}, "share_recipients entry"),
        ([], {"ONECLAW_MCP_SHARE_RECIPIENT": "not an address"}, "share_recipients entry"),
        ([], {"ONECLAW_MCP_ALLOW_NETWORK": "10.0.0.0/33"}, "CIDR"),
        (["--bind-host", "prod/**=GET,POST api.example.com:99999"], {}, "port"),
        (["--vault", "no-such-vault"], {}, "vault not found"),
    ],
)
def test_a_bad_policy_stops_the_server(
    mcp_world: World,
    args: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key in [k for k in os.environ if k.startswith("ONECLAW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ONECLAW_LOCAL_VAULT", str(mcp_world.vault))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert main(["stdio", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_a_missing_vault_stops_the_server(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "vault.db"
    proc = subprocess.run(
        [_exe(), "stdio"], env=_env(tmp_path, ONECLAW_LOCAL_VAULT=str(missing)),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert str(missing) in proc.stderr and "oneclaw-tools init" in proc.stderr
    assert not missing.exists() and not missing.parent.exists()


def test_a_damaged_vault_stops_the_server_naming_the_file(tmp_path: Path) -> None:
    """Not "tool list_secrets crashed" at the first call: the start names the file and the backup."""
    damaged = tmp_path / "vault.db"
    damaged.write_bytes(b"this is not a database at all" * 100)
    proc = subprocess.run(
        [_exe(), "stdio"], env=_env(tmp_path, ONECLAW_LOCAL_VAULT=str(damaged)),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert str(damaged) in proc.stderr and "restore it from a backup" in proc.stderr, proc.stderr


def test_wrap_with_a_function_that_cannot_be_a_tool_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], mcp_world: World
) -> None:
    """A plain function is served as one tool (``--wrap MODULE:FUNCTION``); one whose arguments no
    schema can describe (``**kwargs``) is refused in one line, before the server starts."""
    monkeypatch.setenv("ONECLAW_LOCAL_VAULT", str(mcp_world.vault))
    assert main(["stdio", "--wrap", "json:dumps"]) == 2
    err = capsys.readouterr().err
    assert "json:dumps" in err and "cannot be described" in err and "Traceback" not in err, err


async def test_agent_token_reaches_the_real_server(tmp_path: Path) -> None:
    """``ONECLAW_AGENT_TOKEN`` as 1Claw's MCP server takes it: sent as it is, never exchanged."""
    with running_server(tmp_path) as (server, url):
        _agent_id, key, vault_id = make_agent(server, "mcp-bot")
        server.vault.put_secret(vault_id, "team/db_password", "op-token-canary-" + os.urandom(8).hex())
        exchanged = httpx.post(
            f"{url}/v1/auth/agent-token", json={"api_key": key.reveal_unsafe()}, timeout=30
        )
        token = exchanged.json()["access_token"]
        env = _env(tmp_path, ONECLAW_AGENT_TOKEN=token, ONECLAW_BASE_URL=url)

        async def work(client: ClientSession) -> Any:
            return await client.call_tool("list_secrets", {})

        errlog = tmp_path / "stderr.txt"
        listed = await _session(StdioServerParameters(command=_exe(), args=["stdio"], env=env), errlog, work)
        stderr = errlog.read_text()
        assert not listed.isError, result_text(listed)
        assert [s["path"] for s in json.loads(result_text(listed))["secrets"]] == ["team/db_password"]
        assert f"the 1Claw API at {url}" in stderr and "ONECLAW_AGENT_TOKEN" in stderr, stderr
        assert token not in stderr

        env["ONECLAW_AGENT_TOKEN"] = token[:-6] + "AAAAAA"  # a token the server refuses
        refused = await _session(StdioServerParameters(command=_exe(), args=["stdio"], env=env), errlog, work)
        assert refused.isError and "401" in result_text(refused), result_text(refused)


async def test_http_prints_where_it_listens_and_a_disconnect_is_quiet(
    mcp_world: World, tmp_path: Path
) -> None:
    token = "tok-" + os.urandom(16).hex()
    env = _env(tmp_path, ONECLAW_LOCAL_VAULT=str(mcp_world.vault), ONECLAW_MCP_TOKEN=token)
    errlog_path = tmp_path / "stderr.txt"
    errlog = errlog_path.open("w+")
    proc = subprocess.Popen([_exe(), "http", "--port", "0"], env=env, stdout=errlog, stderr=errlog)
    try:
        deadline = time.monotonic() + 60
        found = None
        while found is None and time.monotonic() < deadline:
            assert proc.poll() is None, errlog_path.read_text()
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+/mcp)", errlog_path.read_text())
            await anyio.sleep(0.05)
        assert found, errlog_path.read_text()
        url = found.group(1)
        for _ in range(3):  # whole conversations, each ended by the client going away
            async with (
                httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
                streamable_http_client(url, http_client=http) as (read, write, _),
                ClientSession(read, write) as client,
            ):
                await client.initialize()
                listed = await client.call_tool("list_secrets", {})
                assert not listed.isError
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=5) as http:
            try:  # a client that hangs up in the middle of a streamed answer
                async with http.stream("GET", url, headers={"Accept": "text/event-stream"}) as response:
                    await response.aclose()
            except httpx.HTTPError:
                pass
        await anyio.sleep(0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        errlog.close()
    stderr = errlog_path.read_text()
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    assert stderr.count("serving") == 1 and token not in stderr


async def test_a_path_in_a_placeholder_is_refused_over_mcp(mcp_world: World, tmp_path: Path) -> None:
    """``{{secret:demo/db_password}}`` (a path, not a handle) reaches neither tool: the model is told
    to call get_secret first."""
    env = _env(tmp_path, ONECLAW_LOCAL_VAULT=str(mcp_world.vault))
    args = ["stdio", "--allow-http-loopback", "--wrap", "oneclaw_tools.testing.scenario:THIRD_PARTY_TOOLS"]

    async def work(client: ClientSession) -> tuple[Any, Any]:
        echoed = await client.call_tool("echo_raw", {"text": "token={{secret:demo/db_password}}"})
        sent = await client.call_tool(
            "http_request",
            {
                "url": mcp_world.api.url + "/whoami",
                "headers": {"Authorization": "Bearer {{secret:demo/db_password}}"},
            },
        )
        return echoed, sent

    echoed, sent = await _session(
        StdioServerParameters(command=_exe(), args=args, env=env), tmp_path / "e.txt", work
    )
    for result in (echoed, sent):
        text = result_text(result)
        assert result.isError and "get_secret" in text and "demo/db_password" in text, text
        assert "{{secret:demo/db_password}}" not in text.replace("'demo/db_password'", "")


def test_the_start_line_names_an_openbao_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """With only BAO_* set the line names OpenBao and its address (nothing is contacted for it)."""
    from oneclaw_mcp.cli import _open_checked

    for key in [k for k in os.environ if k.startswith(("ONECLAW_", "BAO_", "VAULT_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("BAO_ADDR", "http://127.0.0.1:9")
    monkeypatch.setenv("BAO_TOKEN", "s.not-a-real-token-0123456789")
    described, vault_id = _open_checked(None)
    assert described.startswith("OpenBao / Vault at http://127.0.0.1:9") and vault_id is None
    assert "not-a-real-token" not in described


async def test_shares_and_list_pages_through_a_real_client(mcp_world: World, tmp_path: Path) -> None:
    """Over stdio, as a desktop client runs it: ``list_secrets`` pages (100, ``next_cursor``,
    ``limit``/``cursor``); the share id comes back in clear and ``list_shares``/``revoke_share`` take
    it; no link reaches the model; ``--read-only`` keeps ``list_shares`` only."""
    from datetime import UTC, datetime, timedelta

    from oneclaw_tools.backends.local import LocalVault

    with LocalVault(mcp_world.vault, env={}) as vault:
        vid = vault.default_vault_id()
        for i in range(120):
            vault.put_secret(vid, f"bulk/s{i:03d}", "bulk-value-" + os.urandom(6).hex())
    expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    env = _env(tmp_path, ONECLAW_LOCAL_VAULT=str(mcp_world.vault))
    args = ["stdio", "--share-recipient", "ops@example.com"]

    async def work(client: ClientSession) -> dict[str, Any]:
        async def call(name: str, arguments: dict[str, Any]) -> Any:
            result = await client.call_tool(name, arguments)
            assert not result.isError, f"{name}: {result_text(result)}"
            return json.loads(result_text(result))

        first = await call("list_secrets", {})
        rest = await call("list_secrets", {"cursor": first["next_cursor"], "limit": 1000})
        shared = await call(
            "share_secret", {"path": DEMO_PATH, "email": "ops@example.com", "expires_at": expires}
        )
        listed = await call("list_shares", {})
        revoked = await call("revoke_share", {"share_id": shared["share_id"]})
        after = await call("list_shares", {})
        return {"first": first, "rest": rest, "shared": shared, "listed": listed, "revoked": revoked,
                "after": after}  # fmt: skip

    errlog = tmp_path / "stderr.txt"
    got = await _session(StdioServerParameters(command=_exe(), args=args, env=env), errlog, work)
    total = 120 + len(mcp_world.canaries.values)
    assert got["first"]["count"] == 100 and got["first"]["next_cursor"], got["first"]
    assert got["rest"]["count"] == total - 100 and got["rest"]["next_cursor"] is None
    paths = [s["path"] for s in got["first"]["secrets"] + got["rest"]["secrets"]]
    assert paths == sorted(paths) and len(set(paths)) == total
    share_id = got["shared"]["share_id"]
    assert "[secret:" not in share_id and got["shared"]["recipient"] == "ops@example.com"
    assert "oneclaw://share/" not in json.dumps(got["shared"]), "a link reached the model"
    row = next(sh for sh in got["listed"]["shares"] if sh["id"] == share_id)
    assert (row["path"], row["recipient"], row["state"], row["uses_left"]) == (
        DEMO_PATH,
        "ops@example.com",
        "active",
        5,
    )
    assert got["revoked"] == {"revoked": True, "share_id": share_id, "path": DEMO_PATH}
    assert share_id not in json.dumps(got["after"])

    async def names(client: ClientSession) -> list[str]:
        return [t.name for t in (await client.list_tools()).tools]

    read_only = await _session(
        StdioServerParameters(command=_exe(), args=["stdio", "--read-only"], env=env), errlog, names
    )
    assert "list_shares" in read_only and not {"share_secret", "revoke_share"} & set(read_only)


async def test_wrap_a_plain_function_through_a_real_client(mcp_world: World, tmp_path: Path) -> None:
    """``oneclaw-mcp --wrap MODULE:FUNCTION`` with an ordinary function (once a traceback): served
    beside ours under its own name, its docstring as description, its output scrubbed."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "my_tools.py").write_text(
        'def shout(text: str) -> str:\n    """Shout the text back."""\n    return "you said " + text.upper()\n'
    )
    env = _env(tmp_path, ONECLAW_LOCAL_VAULT=str(mcp_world.vault), PYTHONPATH=str(folder))

    async def work(client: ClientSession) -> tuple[Any, Any]:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        return tools["shout"], await client.call_tool("shout", {"text": "hello"})

    errlog = tmp_path / "stderr.txt"
    tool, result = await _session(
        StdioServerParameters(command=_exe(), args=["stdio", "--wrap", "my_tools:shout"], env=env),
        errlog,
        work,
    )
    assert tool.description == "Shout the text back." and tool.inputSchema["required"] == ["text"]
    assert not result.isError and result_text(result) == "you said HELLO", result_text(result)
    assert "Traceback" not in errlog.read_text()


@pytest.mark.parametrize("source", ["flags", "env"])
async def test_vault_flag_or_env_opens_that_vault(mcp_world: World, tmp_path: Path, source: str) -> None:
    """``--vault NAME`` / ``ONECLAW_MCP_VAULT``: the tools use that vault, and the start line says so."""
    from oneclaw_tools.backends.local import LocalVault

    with LocalVault(mcp_world.vault, env={}) as vault:
        team = vault.create_vault("team")
        vault.put_secret(team.id, "team/db_password", "team-canary-" + os.urandom(8).hex())
    env = _env(tmp_path, ONECLAW_LOCAL_VAULT=str(mcp_world.vault))
    args = ["stdio", "--vault", "team"] if source == "flags" else ["stdio"]
    if source == "env":
        env["ONECLAW_MCP_VAULT"] = "team"

    async def work(client: ClientSession) -> Any:
        return await client.call_tool("list_secrets", {})

    errlog = tmp_path / "stderr.txt"
    listed = await _session(StdioServerParameters(command=_exe(), args=args, env=env), errlog, work)
    assert [s["path"] for s in json.loads(result_text(listed))["secrets"]] == ["team/db_password"]
    assert "vault 'team'" in errlog.read_text(), errlog.read_text()
