"""One ``.env`` parser (python-dotenv's) for import, bundles, get_env_bundle and run; and ``run``
never hands the child this process's own credentials.

If a parsing test fails, the parser and 1Claw's env_bundle rules (split on the first '=', trim,
skip blanks and '#' comments) disagree: fix :mod:`oneclaw_tools.envfile`, not the examples.
If a ``run`` test fails, a credential reached a child or a mask hid a variable's name.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oneclaw_tools import Session, ToolError
from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.cli.vault_cmds import parse_dotenv
from oneclaw_tools.envfile import parse_env
from oneclaw_tools.errors import InvalidArgument
from oneclaw_tools.run import child_environment, parse_env_bundle

# 1Claw's rules on the shapes its bundles hold (values with '=', URLs, base64 padding, blanks,
# comments, indented lines): every one must read exactly as 1Claw's first-'=' split reads it.
ONECLAW_BUNDLE = """# production settings
DATABASE_URL=postgres://app:pa55word@db.internal:5432/app?sslmode=require

  STRIPE_KEY=sk_live_51Habcdefghijklmnop
JWT_SECRET=c2VjcmV0LXNpZ25pbmcta2V5LWZvci1qd3Q=
EMPTY=
"""


def oneclaw_split(text: str) -> dict[str, str]:
    """1Claw's get_env_bundle, as the reference describes it (for comparison only)."""
    out = {}
    for line in text.split("\n"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def test_1claw_bundles_read_the_same() -> None:
    assert parse_env(ONECLAW_BUNDLE) == oneclaw_split(ONECLAW_BUNDLE)
    assert parse_env(ONECLAW_BUNDLE)["JWT_SECRET"].endswith("=")


def test_what_dotenv_files_add() -> None:
    text = (
        'export API_KEY="with space"\r\n'
        "SINGLE='no $expansion \\n here'\r\n"
        'DOUBLE="line1\\nline2"\r\n'
        "PLAIN=value # a comment\r\n"
        "DOLLAR=pa$$word\r\n"
        "EMPTY=\r\n"
        'QUOTED_EMPTY=""\r\n'
    )
    assert parse_env(text) == {
        "API_KEY": "with space",
        "SINGLE": "no $expansion \\n here",
        "DOUBLE": "line1\nline2",
        "PLAIN": "value",
        "DOLLAR": "pa$$word",
        "EMPTY": "",
        "QUOTED_EMPTY": "",
    }


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("A=1\nnot a line\n", "line 2"),
        ("A=1\nB\n", "line 2: B has no '='"),
        ("A=1\nA=2\n", "line 2: A appears twice"),
        ('A="unclosed\n', "line 1"),
    ],
)
def test_bad_lines_are_named_and_their_content_never_echoed(text: str, names: str) -> None:
    with pytest.raises(InvalidArgument) as err:
        parse_env(text)
    assert names in str(err.value) and "unclosed" not in str(err.value)


def test_every_caller_uses_the_one_parser(session) -> None:  # type: ignore[no-untyped-def]
    text = 'export TOKEN="tok en value 123456"\nURL=https://x.example/?a=b\n'
    assert parse_dotenv(text) == parse_env_bundle(text) == parse_env(text)
    session.backend.put_secret(session.vault_for(None), "app/env", text, type="env_bundle")
    out = session.call("get_env_bundle", {"path": "app/env"})
    assert [v["key"] for v in out["variables"]] == ["TOKEN", "URL"]
    assert session.reveal_unsafe(out["variables"][0]["handle"]) == "tok en value 123456"
    session.backend.put_secret(session.vault_for(None), "app/bad", "A=1\nA=2", type="env_bundle")
    with pytest.raises(ToolError) as err:
        session.call("get_env_bundle", {"path": "app/bad"})
    assert err.value.status == 400 and "line 2" in err.value.text


def test_child_environment_drops_and_masks_our_credentials() -> None:
    from oneclaw_tools.guard import Guard

    guard = Guard()
    base = {
        "ONECLAW_AGENT_API_KEY": "ocv_" + "k" * 30,
        "ONECLAW_LOCAL_VAULT_KEY": "L" * 43 + "=",
        "ONECLAW_PKCS11_PIN": "12345678",
        "BAO_TOKEN": "hvs." + "t" * 24,
        "ONECLAW_VAULT_ID": "v-1",
        "PATH": "/usr/bin",
    }
    env = child_environment({"APP": "x"}, guard, base)
    assert env == {"ONECLAW_VAULT_ID": "v-1", "PATH": "/usr/bin", "APP": "x"}
    for name in ("ONECLAW_AGENT_API_KEY", "ONECLAW_LOCAL_VAULT_KEY", "BAO_TOKEN"):
        assert base[name] not in guard.scrub(f"leak {base[name]} here")


def test_run_env_shows_names_masks_values_and_hides_our_keys(tmp_path: Path) -> None:
    """``oneclaw-tools run … -- env`` as an operator would run it, with the vault key in the
    environment: the child has no ONECLAW_* credential, each bundle variable prints as
    ``NAME=[secret:…]``, and the shell's PWD is not mistaken for a password."""
    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    agent_key = "ocv_" + "a" * 40
    db = tmp_path / "v.db"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PWD": str(tmp_path),
        "ONECLAW_LOCAL_VAULT": str(db),
        "ONECLAW_LOCAL_VAULT_KEY": kek,
        "ONECLAW_BACKEND": "local",
    }
    with Session(LocalVault(db, env=env)) as s:  # from_env never creates a vault: this one does
        s.backend.put_secret(
            s.vault_for(None),
            "app/env",
            "API_KEY=CANARYenvkey0123456789abc\nDB_PASSWORD=CANARYenvdb0123456789xyz",
            type="env_bundle",
        )
    run_env = {**env, "ONECLAW_AGENT_TOKEN": agent_key}
    proc = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "run", "--env-bundle", "app/env", "--", "env"],
        capture_output=True,
        text=True,
        env=run_env,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("API_KEY=[secret:") for line in lines), lines
    assert any(line.startswith("DB_PASSWORD=[secret:") for line in lines)
    assert f"PWD={tmp_path}" in lines
    assert kek not in proc.stdout and agent_key not in proc.stdout and "CANARY" not in proc.stdout
    assert not [
        line
        for line in lines
        if line.startswith("ONECLAW_LOCAL_VAULT_KEY") or line.startswith("ONECLAW_AGENT_TOKEN")
    ]


def test_a_session_masks_this_process_own_credentials(tmp_path: Path) -> None:
    """A tool output that echoes the vault key or the agent token shows masks."""
    import httpx

    kek = base64.urlsafe_b64encode(os.urandom(32)).decode()
    token = "eyJ" + "t" * 40
    env = {
        "ONECLAW_BACKEND": "local",
        "ONECLAW_LOCAL_VAULT": str(tmp_path / "v.db"),
        "ONECLAW_LOCAL_VAULT_KEY": kek,
        "ONECLAW_AGENT_TOKEN": token,
    }
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text=f"debug: key={kek} token={token}"))
    with Session.from_env(
        env, http_transport=transport, resolver=lambda host, port: ["93.184.216.34"]
    ) as session:
        body = session.call("http_request", {"url": "https://api.example.com/debug"})["body"]
    assert kek not in body and token not in body and body.count("[secret:") >= 2
