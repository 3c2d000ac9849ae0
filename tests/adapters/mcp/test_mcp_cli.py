"""``oneclaw-mcp``: configuration errors, the token sources, ``--wrap``, and the real HTTP command.

The last test starts ``oneclaw-mcp http`` as a user would (token in ``ONECLAW_MCP_TOKEN``) and
talks to it with a real client; if it fails, its stderr is in the assertion message.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import World
from oneclaw_mcp import WrappedTool
from oneclaw_mcp.cli import TOKEN_ENV, UsageError, load_wrapped_tools, main, read_token

from oneclaw_tools.testing.scenario import THIRD_PARTY_TOOLS


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["http"], TOKEN_ENV),
        (["http", "--no-auth", "--host", "0.0.0.0"], "loopback"),
        (["http", "--no-auth", "--token-file", "t"], "exclude"),
        (["http", "--token-file", "does-not-exist"], "cannot read the token file"),
        (["stdio", "--wrap", "no_such_module_here"], "ModuleNotFoundError"),
        (["stdio", "--wrap", ":name"], "MODULE or MODULE:NAME"),
        (["stdio", "--wrap", "json:dumps"], "cannot be described"),
        (["stdio", "--wrap", "oneclaw_tools.testing.scenario:NOPE"], "AttributeError"),
    ],
)
def test_configuration_errors_exit_2(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t").write_text("x")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err


def test_token_file_wins_over_env_and_is_stripped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    path = tmp_path / "token"
    path.write_text("from-file\n")
    assert read_token(str(path)) == "from-file"
    assert read_token(None) == "from-env"
    path.write_text("  \n")
    with pytest.raises(UsageError, match="empty"):
        read_token(str(path))


def test_wrap_accepts_a_name_map_or_wrapped_tools() -> None:
    tools = load_wrapped_tools("oneclaw_tools.testing.scenario:THIRD_PARTY_TOOLS")
    assert [t.name for t in tools] == list(THIRD_PARTY_TOOLS)
    assert all(t.input_schema["required"] == ["text"] for t in tools)
    again = load_wrapped_tools("oneclaw_mcp.testing.driver:scenario_extra_tools")
    assert [t.name for t in again] == [t.name for t in tools]
    assert all(isinstance(t, WrappedTool) for t in again)


def test_wrap_a_whole_module_or_one_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--wrap MODULE`` serves every public function the module defines, nothing it imports."""
    (tmp_path / "my_tools.py").write_text(
        "from json import dumps\n"
        'def shout(text: str) -> str:\n    """Shout the text."""\n    return text.upper()\n'
        'def count(text: str, times: int = 1) -> int:\n    """Count characters."""\n    return len(text)\n'
        'def _hidden(text: str) -> str:\n    """Not a tool."""\n    return text\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    tools = load_wrapped_tools("my_tools")
    assert [t.name for t in tools] == ["shout", "count"]
    assert tools[0].description == "Shout the text."
    (one,) = load_wrapped_tools("my_tools:shout")
    assert one.name == "shout" and one.input_schema["required"] == ["text"]
    (tmp_path / "empty_tools.py").write_text("import os\n")
    with pytest.raises(UsageError, match="no public function"):
        load_wrapped_tools("empty_tools")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
async def test_http_command_serves_with_the_env_token(mcp_world: World, tmp_path: Path) -> None:
    exe = shutil.which("oneclaw-mcp", path=str(Path(sys.executable).parent))
    assert exe
    token = "tok-" + os.urandom(16).hex()
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "ONECLAW_LOCAL_VAULT": str(mcp_world.vault),
        TOKEN_ENV: token,
    }
    errlog = (tmp_path / "stderr.txt").open("w+")
    proc = subprocess.Popen(
        [exe, "http", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=errlog, stderr=errlog
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for _ in range(500):  # bounded wait for the port to open
                try:
                    unauth = await http.post(url, json={})
                    break
                except httpx.ConnectError:
                    assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
                    await anyio.sleep(0.05)
            assert unauth.status_code == 401
        async with (
            httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            streamable_http_client(url, http_client=http) as (read, write, _),
            ClientSession(read, write) as client,
        ):
            await client.initialize()
            names = [t.name for t in (await client.list_tools()).tools]
            listed = await client.call_tool("list_secrets", {"prefix": "demo/"})
        assert "get_secret" in names and not listed.isError
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        errlog.close()
    assert token not in (tmp_path / "stderr.txt").read_text()


def test_readme_python_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's Python block builds a working app (stdio is behind ``__main__``)."""
    readme = (Path(__file__).resolve().parents[3] / "adapters" / "mcp" / "README.md").read_text()
    block = readme.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv(TOKEN_ENV, "readme-token")
    monkeypatch.setenv("ONECLAW_LOCAL_VAULT", str(tmp_path / "vault.db"))
    monkeypatch.delenv("ONECLAW_AGENT_API_KEY", raising=False)
    namespace: dict[str, object] = {"__name__": "readme"}
    exec(compile(block, "README.md", "exec"), namespace)
    assert callable(namespace["app"])
    assert [t.name for t in namespace["extra"]] == ["search"]  # type: ignore[attr-defined]


def test_policy_flags_reach_the_policy_and_bad_ones_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The operator's allowlists and networks are flags; a mistake is a one-line usage error."""
    from oneclaw_mcp.cli import _parser, main
    from oneclaw_mcp.policy_config import policy_from

    args = _parser().parse_args(
        ["stdio", "--share-recipient", "ops@example.com", "--share-recipient", "@team.example",
         "--grant-principal", "agent:ci", "--allow-network", "10.1.2.0/24"]
    )  # fmt: skip
    policy, _ = policy_from(args, {})
    assert policy.share_recipients == ("ops@example.com", "@team.example")
    assert policy.grant_principals == ("agent:ci",)
    assert policy.http_allow_networks == ("10.1.2.0/24",)
    assert policy.require_approval == {"share_secret", "grant_access"}
    assert main(["stdio", "--allow-network", "not-a-network"]) == 2
    assert main(["stdio", "--grant-principal", "ci"]) == 2
    err = capsys.readouterr().err
    assert "not a CIDR network" in err and "agent:ID" in err
