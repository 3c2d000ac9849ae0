"""``oneclaw-tools scrub`` against a real embedded vault, and the value export over the REST API.

If the subprocess test fails, run the same command by hand with ONECLAW_LOCAL_VAULT pointing at
the vault the test created; its stderr holds the CLI's safe error message.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.cli.scrub_cmd import iter_vault_values
from oneclaw_tools.server.testing import make_agent, running_server

DB_PASSWORD = "pg-Pa55word/with+symbols"
API_TOKEN = "tok_0123456789abcdefABCDEF"


@pytest.fixture
def vault_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "vault.db"
    with LocalVault(path, env={}) as vault:
        vault_id = vault.default_vault_id()
        vault.put_secret(vault_id, "db/password", "old-value-not-latest-0001")
        vault.put_secret(vault_id, "db/password", DB_PASSWORD)
        other = vault.create_vault("other").id
        vault.put_secret(other, "api/token", API_TOKEN, max_access_count=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONECLAW_")}
    env["ONECLAW_LOCAL_VAULT"] = str(path)
    return env


@pytest.mark.parametrize("engine", ["aho", "hyperscan"])
def test_scrub_command_masks_vault_values_and_patterns(vault_env: dict[str, str], engine: str) -> None:
    lines = [
        f"connect postgres://app:{urllib.parse.quote(DB_PASSWORD, safe='')}@db:5432/app",
        "auth: Basic " + base64.b64encode(f"bot:{API_TOKEN}".encode()).decode(),
        json.dumps({"config": json.dumps({"token": API_TOKEN})}),
        "aws AKIAIOSFODNN7EXAMPLE and a github token ghp_" + "a1B2" * 9,
        "split " + DB_PASSWORD[:6] + "\n" + DB_PASSWORD[6:],
        "binary \udcff kept",
    ]
    text = ("\n".join(lines) + "\n") * 300  # several stream blocks
    data = text.encode("utf-8", "surrogateescape")
    proc = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "scrub", "--engine", engine],
        input=data,
        capture_output=True,
        env=vault_env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = proc.stdout.decode("utf-8", "surrogateescape")
    assert out.count("[secret:db/password]") == 600
    assert out.count("[secret:api/token]") == 600
    assert out.count("[secret:pattern:aws-access-key-id]") == 300
    assert out.count("[secret:pattern:github-token]") == 300
    assert out.count("binary \udcff kept") == 300
    for secret in (DB_PASSWORD, API_TOKEN, "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in out and secret[:10] not in out
    assert DB_PASSWORD.encode() not in proc.stderr
    # the export does not count accesses: the one-use token is still readable
    with LocalVault(vault_env["ONECLAW_LOCAL_VAULT"], env={}) as vault:
        other = vault.resolve_vault("other")
        assert vault.get_secret(other, "api/token").value.reveal_unsafe() == API_TOKEN


def test_scrub_command_one_vault_and_no_patterns(vault_env: dict[str, str]) -> None:
    text = f"{DB_PASSWORD} {API_TOKEN} AKIAIOSFODNN7EXAMPLE\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "oneclaw_tools",
            "scrub",
            "--engine",
            "aho",
            "--vault",
            "other",
            "--no-patterns",
        ],
        input=text.encode(),
        capture_output=True,
        env=vault_env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout.decode() == f"{DB_PASSWORD} [secret:api/token] AKIAIOSFODNN7EXAMPLE\n"


def test_values_over_the_rest_api_skip_unreadable(tmp_path: Path) -> None:
    with running_server(tmp_path) as (server, base_url):
        agent_id, key, vault_id = make_agent(server, "scrubber")
        server.vault.put_secret(vault_id, "svc/key", "remote-value-1234567890")
        server.vault.put_secret(vault_id, "svc/once", "used-up-value-1234567", max_access_count=1)
        server.vault.get_secret(vault_id, "svc/once")  # now used up: 410 for everyone
        env = {
            "ONECLAW_AGENT_API_KEY": key.reveal_unsafe(),
            "ONECLAW_AGENT_ID": agent_id,
            "ONECLAW_VAULT_ID": vault_id,
            "ONECLAW_BASE_URL": base_url,
        }
        with OneClawVault.from_env(env) as backend:
            assert not hasattr(backend, "export_latest_unsafe")
            found = dict(iter_vault_values(backend))
    assert found == {"svc/key": "remote-value-1234567890"}
