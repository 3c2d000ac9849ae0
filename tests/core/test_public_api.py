"""The public surface is API: exported names, tool names and argument schemas are pinned.

If this fails after an intended change, update ``__all__`` / regenerate the snapshot with
``python tests/core/test_public_api.py --update`` and say so in the commit: adapters and users
depend on these.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import oneclaw_tools
from oneclaw_tools.tools import ALL_TOOLS

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools.json"

EXPECTED_ALL = [
    "ALL_TOOLS",
    "TOOL_NAMES",
    "ApprovalRequest",
    "Guard",
    "Handle",
    "HandleStore",
    "OneClawError",
    "OperatorPolicy",
    "SecretMeta",
    "SecretValue",
    "Session",
    "ToolError",
    "ToolSpec",
    "VaultBackend",
    "__version__",
    "open_backend",
]


def surface() -> list[dict[str, object]]:
    return [{"name": t.name, "description": t.description, "parameters": t.json_schema()} for t in ALL_TOOLS]


def test_exported_names_are_pinned_and_resolve() -> None:
    assert sorted(oneclaw_tools.__all__) == sorted(EXPECTED_ALL)
    for name in oneclaw_tools.__all__:
        assert getattr(oneclaw_tools, name) is not None


def test_tool_names_descriptions_and_schemas_match_the_snapshot() -> None:
    assert surface() == json.loads(SNAPSHOT.read_text()), "tool surface changed; see module docstring"


def test_tool_names() -> None:
    assert [t.name for t in ALL_TOOLS] == [
        "list_secrets",
        "describe_secret",
        "get_secret",
        "put_secret",
        "delete_secret",
        "rotate_and_store",
        "get_env_bundle",
        "create_vault",
        "list_vaults",
        "grant_access",
        "share_secret",
        "list_versions",
        "list_shares",
        "revoke_share",
        "http_request",
        "request_secret",
        "check_secret_request",
    ]


def test_import_is_light_and_imports_no_framework() -> None:
    code = (
        "import sys, oneclaw_tools; "
        "bad = [m for m in ('langchain', 'langchain_core', 'llama_index', 'crewai', 'mcp', 'httpx', 'pydantic') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys; from oneclaw_tools import Session; print(sorted(m for m in ('langchain', 'llama_index', 'crewai', 'mcp') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


if __name__ == "__main__" and "--update" in sys.argv:
    SNAPSHOT.write_text(json.dumps(surface(), indent=2, ensure_ascii=False) + "\n")
