"""The vault commands, run as a user would: ``python -m oneclaw_tools`` in a subprocess.

Values go in through stdin or a file only; no command may print one (stdout or stderr).
Also: importing the core must not import any agent framework.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from oneclaw_tools.backends.local import LocalVault


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("ONECLAW_")}
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


def cli_in_process(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str = "",
) -> subprocess.CompletedProcess[str]:
    """The same entry point in this process (for the long error matrices: no interpreter start-up)."""
    from oneclaw_tools.cli import main

    for key in [k for k in os.environ if k.startswith("ONECLAW_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("ONECLAW_LOCAL_VAULT", env["ONECLAW_LOCAL_VAULT"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(list(args), code, out, err)


def vault(env: dict[str, str]) -> LocalVault:
    return LocalVault(env["ONECLAW_LOCAL_VAULT"], env={})


def value(env: dict[str, str], path: str, vault_id: str | None = None) -> str:
    with vault(env) as v:
        return v.get_secret(vault_id or v.default_vault_id(), path).value.reveal_unsafe()


def canary() -> str:
    return "cli-canary-" + uuid.uuid4().hex


def assert_clean(proc: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr


def test_init_creates_private_files(env: dict[str, str]) -> None:
    proc = cli(env, "init")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    db = Path(env["ONECLAW_LOCAL_VAULT"])
    assert out["path"] == str(db) and out["key_file"] == str(db) + ".key" and out["vault_id"]
    for f in (db, Path(out["key_file"])):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert cli(env, "init").returncode == 0  # idempotent


def test_put_reads_stdin_and_prints_metadata_only(env: dict[str, str]) -> None:
    secret = canary()
    proc = cli(
        env,
        "put",
        "prod/api",
        "--type",
        "api_key",
        "--max-access",
        "3",
        "--expires-at",
        "2099-01-01T00:00:00Z",
        "--metadata",
        '{"allowed_hosts": ["api.example.com"]}',
        stdin=secret + "\n",
    )
    assert proc.returncode == 0, proc.stderr
    meta = json.loads(proc.stdout)
    assert (meta["path"], meta["version"], meta["type"], meta["max_access_count"]) == (
        "prod/api",
        1,
        "api_key",
        3,
    )
    assert meta["metadata"] == {"allowed_hosts": ["api.example.com"]} and meta["expires_at"].startswith(
        "2099"
    )
    assert_clean(proc, secret)
    assert value(env, "prod/api") == secret  # exactly one trailing newline removed
    assert cli(env, "put", "prod/api", stdin=secret + "\n\n").returncode == 0
    assert value(env, "prod/api") == secret + "\n"


def test_put_into_a_named_vault(env: dict[str, str]) -> None:
    with vault(env) as v:
        team = v.create_vault("team").id
    secret = canary()
    for ref in ("team", team):
        proc = cli(env, "put", "k", "--vault", ref, stdin=secret)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["vault_id"] == team
    assert value(env, "k", team) == secret
    proc = cli(env, "put", "k", "--vault", "nope", stdin=secret)
    assert proc.returncode == 1 and "vault not found" in proc.stderr


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        (["put", "../escape"], "path"),
        (["put", "ok", "--metadata", "{not json"], "metadata"),
        (["put", "ok", "--metadata", "[1]"], "metadata"),
        (["put", "ok", "--type", "nope"], "type"),
        (["put", "ok", "--expires-at", "soon"], "expires_at"),
        (["put", "ok", "--max-access", "-2"], "max_access_count"),
    ],
)
def test_put_errors_name_the_argument_and_never_the_value(
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    argument: str,
) -> None:
    secret = canary()
    proc = cli_in_process(env, monkeypatch, capsys, *args, stdin=secret)
    assert proc.returncode == 1
    assert f"argument '{argument}'" in proc.stderr and "Traceback" not in proc.stderr
    assert_clean(proc, secret)


def test_put_refuses_an_empty_value(env: dict[str, str]) -> None:
    proc = cli(env, "put", "ok", stdin="\n")
    assert proc.returncode == 1 and "argument 'value'" in proc.stderr


def test_import_dotenv(env: dict[str, str], tmp_path: Path) -> None:
    secrets = {k: canary() for k in ("API_KEY", "DB_PASSWORD", "QUOTED", "EXPORTED")}
    dotenv = tmp_path / "app.env"
    dotenv.write_text(
        "# a comment\n\n"
        f"API_KEY={secrets['API_KEY']}\n"
        f"DB_PASSWORD = {secrets['DB_PASSWORD']}  # trailing comment\n"
        f'QUOTED="{secrets["QUOTED"]} with # hash"\n'
        f"export EXPORTED='{secrets['EXPORTED']}'\n"
    )
    proc = cli(env, "import", str(dotenv))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["imported"] == 4 and {s["path"] for s in out["secrets"]} == {f"env/{k}" for k in secrets}
    assert_clean(proc, *secrets.values())
    assert value(env, "env/API_KEY") == secrets["API_KEY"]
    assert value(env, "env/DB_PASSWORD") == secrets["DB_PASSWORD"]
    assert value(env, "env/QUOTED") == secrets["QUOTED"] + " with # hash"
    assert value(env, "env/EXPORTED") == secrets["EXPORTED"]
    proc = cli(env, "import", str(dotenv), "--prefix", "")
    assert proc.returncode == 0, proc.stderr
    assert value(env, "API_KEY") == secrets["API_KEY"]
    proc = cli(env, "import", str(dotenv), "--prefix", "apps/web")
    assert value(env, "apps/web/QUOTED").startswith(secrets["QUOTED"])


def test_import_json(env: dict[str, str], tmp_path: Path) -> None:
    secrets = {"prod/db": canary(), "prod/api/key": canary()}
    file = tmp_path / "secrets.json"
    file.write_text(json.dumps(secrets))
    proc = cli(env, "import", str(file), "--type", "password")
    assert proc.returncode == 0, proc.stderr
    assert_clean(proc, *secrets.values())
    for path, secret in secrets.items():
        assert value(env, path) == secret
    with vault(env) as v:
        assert {m.type for m in v.list_secrets(v.default_vault_id())} == {"password"}


@pytest.mark.parametrize(
    ("name", "body", "argument"),
    [
        ("bad.json", json.dumps({"good/path": "{v}", "bad path": "{v}"}), "file key"),
        ("bad.json", json.dumps({"good/path": "{v}", "other": 3}), "file"),
        ("bad.json", "[1, 2]", "file"),
        ("bad.json", "{broken", "file"),
        ("bad.env", "GOOD={v}\nthis line has no equals sign {v}\n", "file"),
        ("bad.env", "GOOD={v}\nGOOD={v}\n", "file"),
        ("bad.env", "GOOD={v}\nBAD KEY={v}\n", "file"),
        ("bad.env", "GOOD={v}\nQ='{v}\n", "file"),
        ("empty.env", "# nothing\n", "file"),
    ],
)
def test_import_is_all_or_nothing(
    env: dict[str, str], tmp_path: Path, name: str, body: str, argument: str
) -> None:
    secret = canary()
    file = tmp_path / name
    file.write_text(body.replace("{v}", secret))
    proc = cli(env, "import", str(file))
    assert proc.returncode == 1, proc.stdout
    assert f"argument '{argument}'" in proc.stderr
    assert_clean(proc, secret)
    with vault(env) as v:
        assert v.list_secrets(v.default_vault_id()) == []


def test_import_missing_file(env: dict[str, str], tmp_path: Path) -> None:
    proc = cli(env, "import", str(tmp_path / "nope.env"))
    assert proc.returncode == 1 and "argument 'file'" in proc.stderr


def test_audit_lists_events_without_values(env: dict[str, str]) -> None:
    secret = canary()
    assert cli(env, "put", "a/b", stdin=secret).returncode == 0
    value(env, "a/b")
    assert cli(env, "put", "bad//path", stdin=secret).returncode == 1
    proc = cli(env, "audit", "--limit", "10")
    assert proc.returncode == 0, proc.stderr
    events: list[dict[str, Any]] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["action"] for e in events][-3:] == ["put_secret", "get_secret", "put_secret"]
    assert events[-1]["outcome"] == "error" and events[-1]["path"] is None
    assert_clean(proc, secret)
    raw = Path(env["ONECLAW_LOCAL_VAULT"]).read_bytes()
    assert secret.encode() not in raw


def test_rotate_key(env: dict[str, str]) -> None:
    secret = canary()
    assert cli(env, "put", "a", stdin=secret).returncode == 0
    before = json.loads(Path(env["ONECLAW_LOCAL_VAULT"] + ".key").read_text())["keys"][0]["id"]
    proc = cli(env, "rotate-key")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["rewrapped"] == 1 and out["key_id"] != before
    assert value(env, "a") == secret


def test_help_explains_the_import_mapping(env: dict[str, str]) -> None:
    proc = cli(env, "import", "--help")
    assert proc.returncode == 0 and "env/API_KEY" in proc.stdout.replace("\n", " ").replace("  ", " ")


def test_importing_the_core_imports_no_framework() -> None:
    code = (
        "import sys, oneclaw_tools, oneclaw_tools.config, oneclaw_tools.backends.local, oneclaw_tools.cli.vault_cmds\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('langchain', 'langchain_core', 'langgraph', 'llama_index', 'crewai', 'mcp')]\n"
        "print(bad)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
