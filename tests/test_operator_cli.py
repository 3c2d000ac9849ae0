"""The operator's commands of issue 13, run as a user would (``python -m oneclaw_tools``):
shares, fail-loud reads, list paging, ``scrub --all-versions``, and errors written for people.

If a test here fails with a traceback in ``stderr``, the command let an exception escape: find
the command in ``oneclaw_tools/cli`` and let it raise a :class:`~oneclaw_tools.errors.OneClawError`
(or teach :func:`oneclaw_tools.cli._errors.describe_failure` the new kind of failure).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oneclaw_tools import OperatorPolicy, Session
from oneclaw_tools.backends.local import LocalVault


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith(("ONECLAW_", "BAO_", "VAULT_"))}
    out.update(
        ONECLAW_LOCAL_VAULT=str(tmp_path / "data" / "vault.db"),
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "xdg"),
    )
    return out


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def canary() -> str:
    return "op-canary-" + uuid.uuid4().hex


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """A failed command: non-zero, no traceback, and the whole message on one line."""
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [  # argparse's usage (and its wrapped lines) come before the one line of the error
        line for line in proc.stderr.splitlines() if line.strip() and not line.startswith(("usage:", " "))
    ]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seeded(env: dict[str, str], path: str = "prod/api_key") -> str:
    assert cli(env, "init").returncode == 0
    secret = canary()
    assert cli(env, "put", path, "--type", "api_key", stdin=secret).returncode == 0
    return secret


# -- shares ----------------------------------------------------------------------------------
def test_share_prints_the_link_once_and_shares_lists_and_revokes(env: dict[str, str]) -> None:
    secret = seeded(env)
    proc = cli(env, "share", "prod/api_key", "--email", "ops@example.com", "--expires-at", tomorrow(),
               "--max-access", "2")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    made = json.loads(proc.stdout)
    assert made["share_url"].startswith("oneclaw://share/") and made["share_id"] in made["share_url"]
    assert "shown only this once" in proc.stderr and secret not in proc.stdout + proc.stderr

    listed = cli(env, "shares")
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["id", "path", "recipient", "expires_at", "uses_left", "state"]
    assert row.split()[:3] == [made["share_id"], "prod/api_key", "ops@example.com"]
    assert row.split()[-2:] == ["2", "active"] and made["share_url"] not in listed.stdout
    rows = [json.loads(line) for line in cli(env, "shares", "--json").stdout.splitlines()]
    assert [r["id"] for r in rows] == [made["share_id"]] and "share_url" not in rows[0]

    revoked = cli(env, "shares", "revoke", made["share_id"])
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked"] is True
    assert cli(env, "shares", "--json").stdout == ""
    assert "not found" in one_line_error(cli(env, "shares", "revoke", made["share_id"]))


def test_the_model_lists_and_revokes_its_shares_within_its_paths(tmp_path: Path) -> None:
    db = tmp_path / "vault.db"
    with Session.local(db, policy=OperatorPolicy(share_recipients=("ops@example.com",))) as s:
        for path in ("prod/api_key", "ops/other"):
            s.call("put_secret", {"path": path, "value": canary()})
            s.call("share_secret", {"path": path, "email": "ops@example.com", "expires_at": tomorrow()})
    with Session.local(db, policy=OperatorPolicy(paths=("prod/**",))) as s:
        shares = s.call("list_shares", {})["shares"]
        assert [sh["path"] for sh in shares] == ["prod/api_key"]
        assert shares[0]["recipient"] == "ops@example.com" and shares[0]["state"] == "active"
        with LocalVault(db) as v:  # a share the model's policy does not cover: never revoked
            other = next(sh.id for sh in v.list_outbound_shares() if sh.path == "ops/other")
        with pytest.raises(Exception, match="no share with that id") as err:
            s.call("revoke_share", {"share_id": other})
        assert other not in str(err.value) or "[secret:" not in str(err.value)
        out = s.call("revoke_share", {"share_id": shares[0]["id"]})
        assert out == {"revoked": True, "share_id": shares[0]["id"], "path": "prod/api_key"}
        assert s.call("list_shares", {})["count"] == 0
    with LocalVault(db) as v:
        assert [sh.path for sh in v.list_outbound_shares()] == ["ops/other"]


def test_read_only_keeps_list_shares_only(tmp_path: Path) -> None:
    with Session.local(tmp_path / "v.db", policy=OperatorPolicy(read_only=True)) as s:
        names = {spec.name for spec in s.specs}
    assert "list_shares" in names and not names & {"share_secret", "revoke_share"}


# -- fail loudly -----------------------------------------------------------------------------
def test_a_read_never_creates_a_vault(env: dict[str, str]) -> None:
    db = Path(env["ONECLAW_LOCAL_VAULT"])
    for args in (("call", "list_secrets"), ("audit",), ("shares",), ("scrub",)):
        line = one_line_error(cli(env, *args))
        assert str(db) in line and "oneclaw-tools init" in line, line
    assert not db.exists() and not db.parent.exists()
    with Session.from_env({"ONECLAW_LOCAL_VAULT": str(db)}) as s:
        with pytest.raises(Exception, match="there is no vault at") as err:
            s.call("list_secrets", {})
    assert "oneclaw-tools init" in str(err.value) and not db.exists()


def test_list_secrets_pages(tmp_path: Path) -> None:
    with LocalVault(tmp_path / "v.db") as v:
        vid = v.default_vault_id()
        for i in range(250):
            v.put_secret(vid, f"bulk/s{i:03d}", "x" * 12)
    with Session.local(tmp_path / "v.db") as s:
        first = s.call("list_secrets", {})
        assert first["count"] == 100 and first["next_cursor"] == "bulk/s099"
        second = s.call("list_secrets", {"cursor": first["next_cursor"], "limit": 200})
        assert second["count"] == 150 and second["next_cursor"] is None
        assert second["secrets"][0]["path"] == "bulk/s100"
        for bad in ({"limit": 0}, {"limit": 5000}, {"cursor": ""}):
            with pytest.raises(Exception, match=r"argument '(limit|cursor)'"):
                s.call("list_secrets", bad)
        assert len(s.call_text("list_secrets", {})) < 20_000


def test_list_secrets_pages_at_the_command_line(env: dict[str, str]) -> None:
    assert cli(env, "init").returncode == 0
    with LocalVault(env["ONECLAW_LOCAL_VAULT"], env={}) as v:
        vid = v.default_vault_id()
        for i in range(130):
            v.put_secret(vid, f"bulk/s{i:03d}", "x" * 12)
    first = cli(env, "call", "list_secrets")
    assert first.returncode == 0, first.stderr
    page = json.loads(first.stdout)
    assert page["count"] == 100 and page["next_cursor"] == "bulk/s099"
    args = json.dumps({"cursor": page["next_cursor"], "limit": 20})
    second = json.loads(cli(env, "call", "list_secrets", args).stdout)
    assert [s["path"] for s in second["secrets"]] == [f"bulk/s{i}" for i in range(100, 120)]
    assert second["next_cursor"] == "bulk/s119"
    line = one_line_error(cli(env, "call", "list_secrets", '{"limit": 0}'))
    assert "argument 'limit'" in line and "between 1 and 1000" in line


def test_the_servers_1claw_routes_stay_unpaged_while_the_tool_pages(
    env: dict[str, str], tmp_path: Path
) -> None:
    """``oneclaw-tools serve`` answers 1Claw's list route whole, as 1Claw does (the contract); the
    model's ``list_secrets`` over that server still gets 100 a page."""
    import httpx

    from oneclaw_tools.server.testing import make_agent, running_server

    with running_server(tmp_path / "srv") as (server, url):
        _agent, key, vault_id = make_agent(server, "pager")
        for i in range(150):
            server.vault.put_secret(vault_id, f"bulk/s{i:03d}", "x" * 12)
        token = httpx.post(
            f"{url}/v1/auth/agent-token", json={"api_key": key.reveal_unsafe()}, timeout=30
        ).json()["access_token"]
        listed = httpx.get(
            f"{url}/v1/vaults/{vault_id}/secrets", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert listed.status_code == 200 and set(listed.json()) == {"secrets"}
        assert len(listed.json()["secrets"]) == 150
        remote = {**env, "ONECLAW_AGENT_API_KEY": key.reveal_unsafe(), "ONECLAW_BASE_URL": url}
        proc = cli(remote, "call", "list_secrets")
        assert proc.returncode == 0, proc.stderr
        page = json.loads(proc.stdout)
        assert page["count"] == 100 and page["next_cursor"] == "bulk/s099"


# -- scrub --all-versions --------------------------------------------------------------------
def test_scrub_all_versions_masks_old_and_deleted_values(env: dict[str, str]) -> None:
    leaked = seeded(env, "prod/api_key")
    assert cli(env, "put", "prod/api_key", stdin=canary()).returncode == 0  # rotated after the leak
    gone = seeded(env, "old/token")
    with LocalVault(env["ONECLAW_LOCAL_VAULT"], env={}) as v:
        v.delete_secret(v.default_vault_id(), "old/token")
    log = f"old key {leaked} and a deleted token {gone}\n"
    latest = cli(env, "scrub", "--no-patterns", stdin=log)
    assert leaked in latest.stdout and gone in latest.stdout  # the default: latest live values only
    every = cli(env, "scrub", "--no-patterns", "--all-versions", stdin=log)
    assert every.returncode == 0, every.stderr
    assert leaked not in every.stdout and gone not in every.stdout
    assert "[secret:prod/api_key]" in every.stdout and "[secret:old/token]" in every.stdout


# -- errors for people -----------------------------------------------------------------------
def test_import_of_an_empty_value_skips_it_and_says_so(env: dict[str, str], tmp_path: Path) -> None:
    secret = canary()
    dotenv = tmp_path / "app.env"
    dotenv.write_text(f"API_KEY={secret}\nEMPTY=\nQUOTED=\"\"\nSINGLE=''\nLAST=")  # no final newline
    proc = cli(env, "import", str(dotenv))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["imported"] == 1
    assert out["skipped_empty"] == ["env/EMPTY", "env/QUOTED", "env/SINGLE", "env/LAST"]
    assert "skipped 4 empty" in proc.stderr and secret not in proc.stdout + proc.stderr
    assert "quote" not in proc.stderr


def test_a_value_typed_in_argv_is_not_echoed(env: dict[str, str]) -> None:
    secret = canary()
    for args in (("put", "prod/x", secret), (secret,), ("call", secret), ("shares", secret)):
        proc = cli(env, *args)
        assert proc.returncode == 2 and secret not in proc.stdout + proc.stderr, proc.stderr


def test_a_corrupt_vault_names_the_file_and_the_backup(env: dict[str, str]) -> None:
    seeded(env)
    db = Path(env["ONECLAW_LOCAL_VAULT"])
    for suffix in ("-wal", "-shm"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database at all" * 100)
    for args in (("call", "list_secrets"), ("audit",)):
        line = one_line_error(cli(env, *args))
        assert str(db) in line and "backup" in line, line
    with Session.from_env({"ONECLAW_LOCAL_VAULT": str(db)}) as session:  # what a model is told
        with pytest.raises(Exception, match="restore it from a backup") as err:
            session.call("list_secrets", {})
    assert str(db) in str(err.value) and "crashed" not in str(err.value)


def test_a_broken_pipe_ends_quietly(env: dict[str, str]) -> None:
    assert cli(env, "init").returncode == 0
    with LocalVault(env["ONECLAW_LOCAL_VAULT"], env={}) as v:
        vid = v.default_vault_id()
        for i in range(400):
            v.put_secret(vid, f"bulk/s{i:03d}", "value-" + str(i) * 8)
    for command in ("audit --limit 2000", "tools", "call list_secrets '{\"limit\": 1000}'"):
        proc = subprocess.run(
            f"{sys.executable} -m oneclaw_tools {command} | head -n 1",
            shell=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 1, command
        assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_serve_without_the_server_extra_names_the_install_command(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Also a demo whose adapter is not installed: the line names the adapter's install command."""
    shim = tmp_path / "shim"
    for name in ("uvicorn", "starlette", "langchain_oneclaw"):
        (shim / name).mkdir(parents=True)
        (shim / name / "__init__.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name='{name}')\n"
        )
    hidden = {**env, "PYTHONPATH": str(shim)}
    assert cli(env, "init").returncode == 0
    for args in (("serve", "--port", "0"), ("agent", "create", "bot")):
        line = one_line_error(cli(hidden, *args))
        assert 'pip install "oneclaw-tools[server]"' in line, line
    line = one_line_error(cli(hidden, "demo", "--framework", "langchain"))
    assert "pip install ./adapters/langchain" in line, line


@pytest.mark.parametrize(
    ("args", "stdin", "expect"),
    [
        (("put", "bad path!"), "v", "argument 'path'"),
        (("put", "prod/x", "--expires-at", "tomorrow"), "v", "expires_at"),
        (("put", "prod/x", "--metadata", "{nope"), "v", "metadata"),
        (("import", "does-not-exist.env"), "", "does not exist"),
        (("call", "get_secret", "{not json"), "", "JSON-ARGS"),
        (("call", "get_secret", '{"path": "no/such"}'), "", "no secret at 'no/such'"),
        (("call", "get_secret", '{"path": "prod/api_key", "value": "x"}'), "", "stdin"),
        (("run", "--env-bundle", "app/env"), "", "COMMAND"),
        (("run", "--env-bundle", "app/env", "--", "no-such-program-xyz"), "", "no-such-program-xyz"),
        (
            ("share", "prod/api_key", "--email", "not-an-email", "--expires-at", "2099-01-01T00:00:00Z"),
            "",
            "email",
        ),
        (("share", "prod/api_key", "--email", "a@b.co", "--expires-at", "yesterday"), "", "expires-at"),
        (("shares", "revoke", "no-such-share"), "", "not found"),
        (("scrub", "--vault", "nope"), "", "vault not found"),
        (("audit", "--limit", "-1"), "", "limit"),
        (("agent", "create", "bot", "--permissions", "fly"), "", "permissions"),
        (("serve", "--port", "99999"), "", "--port"),
        (("init", "--kek", "bogus"), "", "--kek"),
        (("rotate-key", "--to", "nowhere"), "", "--to"),
        (("allow", "prod/api_key"), "", "--host/--tool"),
        (("allow", "prod/api_key", "--host", "api.example.com", "--tool", "bad tool"), "", "--tool"),
        (("tools", "unexpected"), "", "unexpected extra arguments"),
        (("demo", "--framework", "nope"), "", "--framework"),
        (("approve", "no-such-request"), "", "no-such-request"),
        (("deny", "no-such-request"), "", "no-such-request"),
        (("fulfil", "no-such-request"), "value", "no-such-request"),
    ],
)
def test_every_documented_command_with_a_typical_mistake(
    env: dict[str, str], args: tuple[str, ...], stdin: str, expect: str
) -> None:
    seeded(env)
    line = one_line_error(cli(env, *args, stdin=stdin))
    assert line.startswith("oneclaw-tools") and expect in line, line
    assert "call the tool again" not in line.lower()


#: reStructuredText (or Markdown) markup a reader of --help should never meet
_MARKUP = re.compile(r"``|`|:(?:class|func|meth|mod|attr|data|exc|ref):|^\s*\.\. \w+::|::$|\*\*\w", re.M)


def _every_help(parser: argparse.ArgumentParser, name: str) -> Iterator[tuple[str, str]]:
    yield name, parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _every_help(sub, f"{name} {sub_name}")


def test_help_texts_are_plain_and_call_lists_the_tools(env: dict[str, str]) -> None:
    """Every command and sub-command of ``oneclaw-tools`` and ``oneclaw-mcp``: plain words."""
    from oneclaw_mcp.cli import _parser as mcp_parser

    from oneclaw_tools.cli import build_parser
    from oneclaw_tools.tools import TOOL_NAMES

    helps = [*_every_help(build_parser(), "oneclaw-tools"), *_every_help(mcp_parser(), "oneclaw-mcp")]
    commands = {name.split(" ", 1)[1] for name, _ in helps if name.startswith("oneclaw-tools ")}
    assert {"allow", "share", "shares revoke", "agent create", "fulfil", "call", "scrub"} <= commands
    for name, text in helps:
        found = _MARKUP.search(text)
        assert found is None, f"{name} --help shows markup {found.group(0)!r}:\n{text}"
    for command in ("call", "shares", "allow"):  # and as the operator runs it
        proc = cli(env, command, "--help")
        assert proc.returncode == 0 and not _MARKUP.search(proc.stdout), command
    text = cli(env, "call", "--help").stdout
    assert all(tool in " ".join(text.split()) for tool in TOOL_NAMES), text


# -- bindings as operator commands -----------------------------------------------------------
def test_allow_binds_without_reentering_the_value(env: dict[str, str]) -> None:
    secret = seeded(env)
    assert (
        cli(env, "put", "prod/api_key", "--type", "api_key", "--max-access", "9", stdin=secret).returncode
        == 0
    )
    proc = cli(env, "allow", "prod/api_key", "--host", "API.Example.com", "--tool", "deploy")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["allowed_hosts"] == ["api.example.com"] and out["allowed_tools"] == ["deploy"]
    assert secret not in proc.stdout + proc.stderr
    proc = cli(env, "allow", "prod/api_key", "--host", "api.stripe.com/v1", "--method", "POST")
    assert json.loads(proc.stdout)["allowed_hosts"] == ["api.example.com", "POST api.stripe.com/v1"]
    with LocalVault(env["ONECLAW_LOCAL_VAULT"], env={}) as v:
        vid = v.default_vault_id()
        versions = v.list_versions(vid, "prod/api_key")
        latest = v.get_secret(vid, "prod/api_key")
    assert [m.version for m in versions] == [4, 3, 2, 1]  # a new version per change: 1Claw's model
    assert latest.value.reveal_unsafe() == secret and latest.meta.type == "api_key"
    assert latest.meta.max_access_count == 7  # 9 reads, one by each allow: no extra reads granted
    with Session.from_env({"ONECLAW_LOCAL_VAULT": env["ONECLAW_LOCAL_VAULT"]}) as s:
        got = s.call("get_secret", {"path": "prod/api_key"})
    assert got["allowed_hosts"] == ["api.example.com", "POST api.stripe.com/v1"]
    assert got["allowed_tools"] == ["deploy"]
    removed = cli(env, "allow", "prod/api_key", "--remove", "--host", "api.example.com", "--tool", "deploy")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout)["allowed_hosts"] == ["POST api.stripe.com/v1"]
    assert json.loads(removed.stdout)["allowed_tools"] == []
    line = one_line_error(cli(env, "allow", "prod/api_key", "--remove", "--host", "api.example.com"))
    assert "not bound to api.example.com" in line and "nothing was changed" in line
    line = one_line_error(cli(env, "allow", "prod/api_key", "--host", "https://api.example.com/"))
    assert "--host" in line and "is a URL" in line
    assert "no secret" in one_line_error(cli(env, "allow", "no/such", "--host", "api.example.com"))


def test_import_binds_every_secret(env: dict[str, str], tmp_path: Path) -> None:
    assert cli(env, "init").returncode == 0
    dotenv = tmp_path / "app.env"
    dotenv.write_text(f"A={canary()}\nB={canary()}\n")
    proc = cli(env, "import", str(dotenv), "--allow-host", "api.example.com", "--allow-tool", "deploy")
    assert proc.returncode == 0, proc.stderr
    with LocalVault(env["ONECLAW_LOCAL_VAULT"], env={}) as v:
        metas = v.list_secrets(v.default_vault_id(), "env/")
    assert [m.metadata for m in metas] == [
        {"allowed_hosts": ["api.example.com"], "allowed_tools": ["deploy"]}
    ] * 2
    bad = one_line_error(cli(env, "import", str(dotenv), "--allow-host", "api.example.com/?x"))
    assert "--allow-host" in bad


# -- placeholders that name no handle --------------------------------------------------------
@pytest.mark.parametrize(
    "written",
    ["{{secret:prod/api_key}}", "{{ SECRET: prod/api_key }}", "{{secret:sk_live_notahandle}}", "{{secret:}}"],
)
def test_a_placeholder_that_names_no_handle_is_refused_and_nothing_is_sent(
    tmp_path: Path, written: str
) -> None:
    import httpx

    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    called: list[str] = []
    with Session.local(tmp_path / "v.db", http_transport=transport) as s:
        s.call(
            "put_secret",
            {"path": "prod/api_key", "value": canary(), "metadata": {"allowed_hosts": ["api.example.com"]}},
        )
        with pytest.raises(Exception, match="get_secret") as err:
            s.call(
                "http_request",
                {"url": "https://api.example.com/v1", "headers": {"Authorization": f"Bearer {written}"}},
            )
        with pytest.raises(Exception, match="get_secret"):
            s.run_wrapped("deploy", lambda text: called.append(text), {"text": f"token={written}"})
        with pytest.raises(Exception, match="placeholder"):
            s.call("http_request", {"url": f"https://api.example.com/{written}"})
    assert sent == [] and called == []
    assert "sk_live_notahandle" not in str(err.value)  # a one-word reference is never repeated
    if "prod/api_key" in written:
        assert "'prod/api_key' looks like a secret path" in str(err.value)


def test_a_path_placeholder_is_refused_at_the_command_line(env: dict[str, str]) -> None:
    """``oneclaw-tools call`` shows the operator what a model would get for ``{{secret:PATH}}``."""
    seeded(env)
    assert cli(env, "allow", "prod/api_key", "--host", "127.0.0.1:9").returncode == 0
    args = {"url": "https://127.0.0.1:9/v1", "headers": {"Authorization": "Bearer {{secret:prod/api_key}}"}}
    line = one_line_error(cli(env, "call", "http_request", json.dumps(args)))
    assert "names no live handle" in line and "'prod/api_key' looks like a secret path" in line, line
    assert "Call get_secret for the secret first" in line


def test_allow_and_shares_over_the_remote_backend(env: dict[str, str], tmp_path: Path) -> None:
    """``allow`` against a 1Claw-compatible server (``oneclaw-tools serve``'s app): the binding is
    a new version with the same value there too."""
    from oneclaw_tools.server.testing import make_agent, running_server

    with running_server(tmp_path / "srv") as (server, url):
        _agent, key, vault_id = make_agent(server, "ops")
        secret = canary()
        server.vault.put_secret(vault_id, "prod/api_key", secret, type="api_key")
        remote = {**env, "ONECLAW_AGENT_API_KEY": key.reveal_unsafe(), "ONECLAW_BASE_URL": url}
        proc = cli(remote, "allow", "prod/api_key", "--host", "api.example.com")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["allowed_hosts"] == ["api.example.com"]
        latest = server.vault.get_secret(vault_id, "prod/api_key")
        assert latest.meta.version == 2 and latest.value.reveal_unsafe() == secret
        assert latest.meta.metadata == {"allowed_hosts": ["api.example.com"]}
        # an agent key may not share by e-mail on 1Claw: refused before anything is sent, in
        # one line for the operator that says what to do instead
        refused = cli(
            remote, "share", "prod/api_key", "--email", "ops@example.com", "--expires-at", tomorrow()
        )
        line = one_line_error(refused)
        assert "agents cannot share with an external email address" in line
        assert "ask a human" in line
        listed = cli(remote, "shares", "--json")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout == ""  # nothing was created
    assert not Path(env["ONECLAW_LOCAL_VAULT"]).exists()  # the remote commands never touched a local vault
