"""``oneclaw-tools run`` masks a bundle's values in the child's output; the demo passes its check."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oneclaw_tools import Session
from oneclaw_tools.run import parse_env_bundle, run_with_env

BUNDLE = "API_KEY=CANARYrunkey0123456789abc\nDB_PASSWORD=CANARYrundb0123456789xyz\n# comment\n\nEMPTY="


def test_parse_env_bundle_follows_1claw_rules() -> None:
    assert parse_env_bundle(BUNDLE) == {
        "API_KEY": "CANARYrunkey0123456789abc",
        "DB_PASSWORD": "CANARYrundb0123456789xyz",
        "EMPTY": "",
    }


def test_run_with_env_masks_stdout_and_stderr() -> None:
    out, err = io.BytesIO(), io.BytesIO()
    code = run_with_env(
        [
            sys.executable,
            "-c",
            "import os, sys; print('key', os.environ['API_KEY']); "
            "sys.stderr.write('db=' + os.environ['DB_PASSWORD'] + '\\n'); sys.exit(3)",
        ],
        parse_env_bundle(BUNDLE),
        stdout=out,
        stderr=err,
    )
    assert code == 3
    text = out.getvalue().decode() + err.getvalue().decode()
    assert "CANARYrun" not in text and text.count("[secret:") == 2


def test_run_cli_gives_the_child_the_bundle_and_masks_it(tmp_path: Path) -> None:
    db = tmp_path / "v.db"
    with Session.local(db) as s:
        s.backend.put_secret(s.vault_for(None), "app/env", BUNDLE, type="env_bundle")
        s.backend.put_secret(s.vault_for(None), "app/plain", "x" * 20)
    env = {**os.environ, "ONECLAW_LOCAL_VAULT": str(db)}
    child = "import os; print(os.environ['API_KEY'][:6], os.environ['API_KEY'])"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "oneclaw_tools",
            "run",
            "--env-bundle",
            "app/env",
            "--",
            sys.executable,
            "-c",
            child,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("CANARY [secret:") and "CANARYrunkey" not in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "run", "--env-bundle", "app/plain", "--", "true"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 1 and "env_bundle" in bad.stderr


@pytest.mark.slow
def test_demo_runs_and_its_check_passes() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "demo"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "check passed" in proc.stdout
    assert '"status": 200' in proc.stdout and "demo-bot" in proc.stdout


def test_cli_tools_lists_the_same_surface_as_the_specs(tmp_path: Path) -> None:
    env = {**os.environ, "ONECLAW_LOCAL_VAULT": str(tmp_path / "v.db")}
    proc = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "tools"], capture_output=True, text=True, env=env, timeout=60
    )
    tools = json.loads(proc.stdout)
    from oneclaw_tools.tools import ALL_TOOLS

    assert tools == [
        {"name": t.name, "description": t.description, "parameters": t.json_schema()} for t in ALL_TOOLS
    ]


def test_cli_call_prints_what_the_model_gets_and_fails_safely(tmp_path: Path) -> None:
    env = {**os.environ, "ONECLAW_LOCAL_VAULT": str(tmp_path / "v.db")}
    base = [sys.executable, "-m", "oneclaw_tools", "call"]
    init = [sys.executable, "-m", "oneclaw_tools", "init"]
    assert subprocess.run(init, capture_output=True, text=True, env=env, timeout=60).returncode == 0
    ok = subprocess.run([*base, "list_secrets", "{}"], capture_output=True, text=True, env=env, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["count"] == 0
    bad = subprocess.run(
        [*base, "describe_secret", '{"path": "nope/x"}'], capture_output=True, text=True, env=env, timeout=60
    )
    assert bad.returncode == 1 and "a model would see: Error 404 (not_found)" in bad.stderr
    junk = subprocess.run([*base, "list_secrets", "[1"], capture_output=True, text=True, env=env, timeout=60)
    assert junk.returncode == 1 and "JSON-ARGS" in junk.stderr


def test_the_scripted_answer_reports_only_what_the_transcript_shows() -> None:
    """The demo's closing answer is read from the tool outputs: a failed step is reported as failed
    (never "rotated it and shared it" over an error), and the turn after it only refuses."""
    from oneclaw_tools.testing.answers import REFUSAL, report
    from oneclaw_tools.testing.scenario import Script, ToolCall

    body = '{\\"user\\": \\"demo-bot\\", \\"authorized\\": true}'
    done = [
        (ToolCall("http_request", {}), f'{{"status": 200, "headers": {{}}, "body": "{body}"}}'),
        (ToolCall("http_request", {}), "Error 403 (permission_denied): handle h_x may not be sent to evil.test."),
        (ToolCall("rotate_and_store", {}), '{"path": "demo/service_token", "version": 3, "metadata": {}}'),
        (ToolCall("share_secret", {}), '{"recipient_type": "external_email", "expires_at": "2030-01-01T00:00:00Z", '
         '"recipient": "ops@example.com", "share_id": "shr_1"}'),
    ]  # fmt: skip
    text = report(done, "h_x")
    assert "we are demo-bot" in text and "now version 3" in text and "refused" in text
    assert "with ops@example.com until 2030-01-01T00:00:00Z (share id shr_1)" in text
    failing = [
        (ToolCall("http_request", {}), "Error 401 (not_authenticated): the API refused the token. Retry."),
        (
            ToolCall("rotate_and_store", {}),
            "Error 409 (conflict): the secret changed meanwhile. Read it again.",
        ),
        (ToolCall("share_secret", {}), "Error 403 (approval_required): needs a human's approval. Ask."),
    ]
    text = report(failing, None)
    assert "Calling the demo API failed: Error 401" in text and "we are" not in text
    assert "Rotating it failed: Error 409" in text and "rotated" not in text
    assert "Sharing it failed: Error 403 (approval_required)" in text and "shared it" not in text
    assert "through its handle" not in text  # no handle was obtained
    script = Script("http://127.0.0.1:9")
    script.transcript.extend(done)
    assert script.final_answer() == script.report() and script.final_answer() == REFUSAL
