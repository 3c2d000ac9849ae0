"""Canaries of every secret type, every tool and every CLI command: no value anywhere.

Looks at every tool result and error text, their ``repr``, everything logged (any logger, any
level, tracebacks included), the audit log, and the stdout/stderr of each CLI command. If
this fails, the message names the canary's index and the encoding found, never the value.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.models import SECRET_TYPES
from oneclaw_tools.testing.scenario import assert_no_canary


def canary(kind: str) -> str:
    token = base64.b32encode(os.urandom(15)).decode().lower()
    if kind in ("env_bundle", "env"):
        return f"A_KEY=CANARY{kind}{token}\nB_KEY=CANARYb{token}"
    if kind in ("private_key", "certificate", "ssh_key"):
        body = base64.b64encode(os.urandom(120)).decode()
        return f"-----BEGIN CANARY {kind.upper()}-----\n{body[:64]}\n{body[64:]}\n-----END CANARY-----"
    return f"CANARY{kind}{token}"


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    db = tmp_path / "vault.db"
    values = {f"canary/{kind}": canary(kind) for kind in SECRET_TYPES}
    s = Session.local(db)
    for path, value in values.items():
        kind = path.split("/")[1]
        s.backend.put_secret(
            s.vault_for(None), path, value, type=kind, metadata={"allowed_hosts": ["api.example.com"]}
        )
    s.close()
    return db, values


def every_call(expiry: str) -> list[tuple[str, dict[str, Any]]]:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("list_secrets", {}),
        ("list_secrets", {"prefix": "canary/"}),
        ("list_vaults", {}),
    ]
    for kind in SECRET_TYPES:
        path = f"canary/{kind}"
        calls += [
            ("describe_secret", {"path": path}),
            ("get_secret", {"path": path}),
            ("get_secret", {"path": path, "version": 1}),
            ("list_versions", {"path": path}),
            ("get_env_bundle", {"path": path}),
            ("share_secret", {"path": path, "email": "ops@example.com", "expires_at": expiry}),
            ("share_secret", {"path": path, "recipient_type": "anyone_with_link", "expires_at": expiry}),
            ("http_request", {"url": "https://evil.test/", "headers": {"X": "{{secret:h_doesnotexist000}}"}}),
        ]
    calls += [
        ("put_secret", {"path": "new/one", "value": "CANARYnewvalue0123456789"}),
        ("rotate_and_store", {"path": "new/one", "value": "CANARYrotated0123456789"}),
        ("rotate_and_store", {"path": "new/one"}),
        ("create_vault", {"name": "team"}),
        ("create_vault", {"name": "team"}),
        (
            "grant_access",
            {"vault_id": "nope", "principal_type": "agent", "principal_id": "a1", "permissions": ["read"]},
        ),
        ("delete_secret", {"path": "new/one"}),
        ("get_secret", {"path": "new/one"}),
        ("put_secret", {"path": "bad path", "value": "CANARYbadpath0123456789"}),
        ("put_secret", {"path": "a/b", "value": "CANARYbadtype0123456789", "type": "weird"}),
        ("put_secret", {"path": "a/b", "value": "CANARYbaddate0123456789", "expires_at": "tomorrow"}),
        ("put_secret", {"path": "a/b", "value": "CANARYbadcount012345678", "max_access_count": -1}),
    ]
    return calls


def test_every_tool_with_canaries_of_every_type(seeded, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    db, values = seeded
    caplog.set_level(logging.DEBUG)
    expiry = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    seen: list[Any] = []
    with Session.local(db, policy=OperatorPolicy(capture=True)) as s:
        for name, args in every_call(expiry):
            try:
                out = s.call(name, args)
                seen += [out, repr(out), json.dumps(out)]
            except ToolError as err:
                seen += [err.text, repr(err), str(err)]
        handles = [h for h in list(s.handles._handles)]
        assert handles, "get_secret issued no handles"
        seen += [repr(s), repr(s.handles), [repr(s.handles.get(h)) for h in handles]]
        seen += [e.to_dict() for e in s.backend.audit_events(1000)]
    seen += [caplog.text, [r.getMessage() for r in caplog.records]]
    assert_no_canary(seen, [*values.values(), "CANARYnewvalue0123456789", "CANARYrotated0123456789"])
    # bad input names the argument and changes nothing
    with Session.local(db) as s:
        assert [m.path for m in s.backend.list_secrets(s.vault_for(None), "a/")] == []


def run_cli(db: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ONECLAW_LOCAL_VAULT": str(db)}
    env.pop("ONECLAW_AGENT_API_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_every_cli_command_with_canaries(seeded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, values = seeded
    outputs: list[str] = []
    envfile = tmp_path / "x.env"
    envfile.write_text("IMPORTED_KEY=CANARYimported0123456789\n")
    jsonfile = tmp_path / "x.json"
    jsonfile.write_text(json.dumps({"imp/json": "CANARYimportedjson012345"}))
    commands: list[tuple[tuple[str, ...], str | None]] = [
        (("tools",), None),
        (("call", "list_secrets", "{}"), None),
        (("call", "get_secret", '{"path": "canary/api_key"}'), None),
        (("call", "get_env_bundle", '{"path": "canary/env_bundle"}'), None),
        (("call", "describe_secret", '{"path": "canary/password"}'), None),
        (("call", "get_secret", '{"path": "../x"}'), None),
        (("call", "put_secret", "-"), json.dumps({"path": "cli/x", "value": "CANARYcliput0123456789"})),
        (("put", "cli/y", "--type", "password"), "CANARYstdinput0123456789\n"),
        (("import", str(envfile)), None),
        (("import", str(jsonfile)), None),
        (("audit",), None),
        (("scrub",), "log line with " + values["canary/password"] + " inside\n"),
        (
            (
                "run",
                "--env-bundle",
                "canary/env_bundle",
                "--",
                sys.executable,
                "-c",
                "import os; print(os.environ['A_KEY'])",
            ),
            None,
        ),
    ]
    for args, stdin in commands:
        proc = run_cli(db, *args, stdin=stdin)
        assert "Traceback" not in proc.stderr, (args, proc.stderr[-500:])
        expected = 1 if "../x" in " ".join(args) else 0
        assert proc.returncode == expected, (args, proc.stderr[-500:])
        outputs += [proc.stdout, proc.stderr]
    masked = outputs[-4:]
    assert "[secret:" in masked[0] and "[secret:" in masked[2], (
        "scrub and run must mask, not drop, the values"
    )
    refused = run_cli(db, "call", "put_secret", '{"path": "cli/z", "value": "CANARYargv0123456789"}')
    assert refused.returncode != 0 and "stdin" in refused.stderr
    assert_no_canary(
        outputs,
        [
            *values.values(),
            "CANARYcliput0123456789",
            "CANARYstdinput0123456789",
            "CANARYimported0123456789",
            "CANARYimportedjson012345",
        ],
    )
