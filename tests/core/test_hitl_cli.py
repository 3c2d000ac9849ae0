"""``oneclaw-tools approvals / approve / deny / requests / fulfil``, run as an operator would.

The agent's session and the CLI are separate processes sharing only the approval store beside
the vault. Values enter through stdin or a file only and never appear in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError

SUPPLIED = "xoxb-SUPPLIED-cli-0123456789abcdefghij"
SHARE = {"path": "prod/api_key", "email": "bob@example.com", "expires_at": "2031-01-01T00:00:00Z"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("ONECLAW_")}
    out.update(
        ONECLAW_LOCAL_VAULT=str(tmp_path / "vault.db"),
        HOME=str(tmp_path),
        XDG_DATA_HOME=str(tmp_path / "xdg"),
    )
    return out


@pytest.fixture
def agent(env: dict[str, str]) -> Session:
    s = Session.local(
        env["ONECLAW_LOCAL_VAULT"], policy=OperatorPolicy(require_approval=frozenset({"share_secret"}))
    )
    s.backend.put_secret(s.vault_for(None), "prod/api_key", "sk_live_cli_canary_0123456789")
    yield s
    s.close()


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def share(agent: Session, **change: str) -> str:
    try:
        agent.call("share_secret", {**SHARE, **change})
    except ToolError as err:
        return err.text
    return "shared"


def test_approve_from_another_process_runs_the_share_once(env: dict[str, str], agent: Session) -> None:
    assert "approval_required" in share(agent)
    listed = cli(env, "approvals", "--json")
    assert listed.returncode == 0, listed.stderr
    [pending] = json.loads(listed.stdout)
    assert (
        "recipient=external_email:bob@example.com" in pending["summary"]
        and "path=prod/api_key" in pending["summary"]
    )
    assert pending["id"] in cli(env, "approvals").stdout
    done = cli(env, "approve", pending["id"])
    assert done.returncode == 0 and "approved" in done.stdout
    assert "approval_required" in share(agent, email="eve@evil.example")  # not for another recipient
    assert share(agent) == "shared"
    assert "approval_required" in share(agent)  # single use
    again = cli(env, "approve", pending["id"])
    assert again.returncode == 1 and "already used" in again.stderr


def test_deny_and_unknown_ids(env: dict[str, str], agent: Session) -> None:
    share(agent)
    [pending] = json.loads(cli(env, "approvals", "--json").stdout)
    assert cli(env, "deny", pending["id"]).returncode == 0
    assert "approval_required" in share(agent) and agent.backend.list_outbound_shares() == []
    bad = cli(env, "approve", "apr_nope")
    assert bad.returncode == 1 and "no approval request" in bad.stderr
    events = [e["event"] for e in agent.approvals.store.audit_log()]
    assert "approval_denied" in events and all(
        "cli:" in e["actor"] for e in agent.approvals.store.audit_log() if e["event"] == "approval_denied"
    )


@pytest.mark.parametrize("via", ["stdin", "file"])
def test_request_fulfil_check(env: dict[str, str], agent: Session, tmp_path: Path, via: str) -> None:
    rid = agent.call(
        "request_secret", {"path": "ci/slack", "reason": "post the release note", "type": "api_key"}
    )["request_id"]
    listed = cli(env, "requests")
    assert rid in listed.stdout and "ci/slack" in listed.stdout and "post the release note" in listed.stdout
    if via == "stdin":
        done = cli(env, "fulfil", rid, stdin=SUPPLIED + "\n")
    else:
        (tmp_path / "v.txt").write_text(SUPPLIED + "\n")
        done = cli(env, "fulfil", rid, "--file", str(tmp_path / "v.txt"))
    assert done.returncode == 0, done.stderr
    assert SUPPLIED not in done.stdout + done.stderr and "version 1" in done.stdout
    out = agent.call("check_secret_request", {"request_id": rid})
    assert out["status"] == "fulfilled" and SUPPLIED not in json.dumps(out)
    assert agent.reveal_unsafe(out["handle"]) == SUPPLIED
    assert json.loads(cli(env, "requests", "--json").stdout) == []
    history = cli(env, "approvals", "--history")
    assert (
        "secret_requested" in history.stdout
        and "secret_fulfilled" in history.stdout
        and SUPPLIED not in history.stdout
    )
    twice = cli(env, "fulfil", rid, stdin="other-value-0123456789\n")
    assert twice.returncode == 1 and "already fulfilled" in twice.stderr


def test_fulfil_refuses_an_empty_value_and_an_unknown_id_without_reading(
    env: dict[str, str], agent: Session
) -> None:
    rid = agent.call("request_secret", {"path": "ci/x", "reason": "r"})["request_id"]
    empty = cli(env, "fulfil", rid, stdin="\n")
    assert empty.returncode == 1 and "must not be empty" in empty.stderr
    unknown = cli(env, "fulfil", "req_nothere", stdin=SUPPLIED)
    assert unknown.returncode == 1 and SUPPLIED not in unknown.stderr
    assert agent.call("check_secret_request", {"request_id": rid})["status"] == "pending"


def test_deny_refuses_a_secret_request(env: dict[str, str], agent: Session) -> None:
    rid = agent.call("request_secret", {"path": "ci/y", "reason": "r"})["request_id"]
    done = cli(env, "deny", rid)
    assert done.returncode == 0 and "cancelled" in done.stdout
    with pytest.raises(ToolError) as err:
        agent.call("check_secret_request", {"request_id": rid})
    assert err.value.code == "gone" and "cancelled" in err.value.text
    assert cli(env, "fulfil", rid, stdin=SUPPLIED).returncode == 1
