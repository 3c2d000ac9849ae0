"""The distribution on its own: imports, public surface, dependencies, the tool surface.

``langchain-oneclaw`` must install and import without the other frameworks (crewai alone is
about 1 GB). The import test runs in a fresh interpreter that refuses to import them, so it
fails if any module of this package (or the core) reaches for them, directly or not.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import langchain_oneclaw
import pytest
from langchain_oneclaw import OneClawToolkit, tool_surface

from oneclaw_tools import TOOL_NAMES, OperatorPolicy, Session
from oneclaw_tools.backends.local import LocalVault

ADAPTER = Path(langchain_oneclaw.__file__).resolve().parents[1]
OTHERS = ("llama_index", "crewai", "crewai_oneclaw", "oneclaw_mcp", "mcp")

_BLOCKER = """
import importlib.abc, sys
BLOCKED = {blocked!r}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked: " + name)
        return None
sys.meta_path.insert(0, Block())
"""


def run_isolated(code: str) -> subprocess.CompletedProcess[str]:
    script = _BLOCKER.format(blocked=OTHERS) + code
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_imports_and_runs_without_the_other_frameworks(tmp_path: Path) -> None:
    """Toolkit, middleware and an agent tool call work with llama_index/crewai/mcp unimportable."""
    code = f"""
import json, pathlib
from langchain_oneclaw import OneClawGuardMiddleware, OneClawToolkit, wrap_tool
from langchain_oneclaw.testing.driver import LangChainDriver
tk = OneClawToolkit.local(pathlib.Path({str(tmp_path)!r}) / "v.db")
print(tk.get_tools()[0].invoke({{"prefix": ""}}))
print(json.dumps(sorted(m for m in __import__("sys").modules if m.split(".")[0] in {OTHERS!r})))
"""
    done = run_isolated(code)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[0])["count"] == 0
    assert json.loads(lines[-1]) == []


def test_plain_import_stays_light() -> None:
    """``import langchain_oneclaw`` loads neither langchain.agents nor langgraph (a second each)."""
    done = run_isolated(
        "import sys, langchain_oneclaw\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'langgraph', 'langchain'}))\n"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_dependencies_lower_bounds_only() -> None:
    assert importlib.metadata.version("langchain-oneclaw") == langchain_oneclaw.__version__
    deps = importlib.metadata.requires("langchain-oneclaw") or []
    assert f"oneclaw-tools=={langchain_oneclaw.__version__}" in deps
    assert not [d for d in deps if "<" in d], deps
    assert not [
        d for d in deps if d.split(">")[0].split("=")[0].strip() in {"crewai", "llama-index-core", "mcp"}
    ]
    assert (ADAPTER / "langchain_oneclaw" / "py.typed").exists()


def test_public_names() -> None:
    assert sorted(langchain_oneclaw.__all__) == [
        "GuardedTool",
        "OneClawApprovalMiddleware",
        "OneClawGuardMiddleware",
        "OneClawTool",
        "OneClawToolkit",
        "__version__",
        "guard_tools",
        "make_tool",
        "tool_surface",
        "wrap_tool",
    ]
    for name in langchain_oneclaw.__all__:
        assert getattr(langchain_oneclaw, name) is not None


def _inline(schema: Any, defs: dict[str, Any]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            merged = {**defs[ref.removeprefix("#/$defs/")], **schema}
            del merged["$ref"]
            return _inline(merged, defs)
        return {k: _inline(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inline(v, defs) for v in schema]
    return schema


def _langchain_view(schema: Any) -> Any:
    """LangChain inlines ``$defs`` and drops pydantic's titles and the top-level ``additionalProperties``."""
    if isinstance(schema, dict) and "$defs" in schema:
        schema = _inline(schema, schema["$defs"])
    if isinstance(schema, dict):
        return {k: _langchain_view(v) for k, v in schema.items() if k != "title"}
    if isinstance(schema, list):
        return [_langchain_view(v) for v in schema]
    return schema


def test_tool_surface_is_the_core_specs(tmp_path: Path) -> None:
    """Names, descriptions and schemas come from the specs, in order, nothing added."""
    with Session.local(tmp_path / "v.db") as session:
        surface = tool_surface(session)
        assert [t["name"] for t in surface] == [s.name for s in session.specs] == list(TOOL_NAMES)
        for spec, entry in zip(session.specs, surface, strict=True):
            assert entry["description"] == spec.description
            expected = _langchain_view(spec.json_schema())
            expected.pop("additionalProperties", None)
            # titles are annotations; LangChain keeps them only inside inlined definitions
            assert _langchain_view(entry["parameters"]) == expected, spec.name


def test_policy_filters_the_toolkit(tmp_path: Path) -> None:
    with Session.local(tmp_path / "v.db", policy=OperatorPolicy(read_only=True)) as session:
        names = {t.name for t in OneClawToolkit(session=session).get_tools()}
        assert names == {s.name for s in session.specs if s.read_only}
        assert "put_secret" not in names and "list_secrets" in names


def test_from_env_and_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``from_env`` follows 1Claw's variables (embedded vault without an agent key); ``local`` opens a file."""
    monkeypatch.delenv("ONECLAW_AGENT_API_KEY", raising=False)
    monkeypatch.setenv("ONECLAW_LOCAL_VAULT", str(tmp_path / "env.db"))
    missing = OneClawToolkit.from_env()  # configuration never creates a vault: a clear error
    try:
        assert "oneclaw-tools init" in missing.get_tools()[0].invoke({})
    finally:
        missing.close()
    assert not (tmp_path / "env.db").exists()
    with LocalVault(tmp_path / "env.db") as created:  # what `oneclaw-tools init` does
        created.initialize()
    toolkit = OneClawToolkit.from_env()
    try:
        assert toolkit.session.backend.kind == "local"
        assert [t.name for t in toolkit.get_tools()] == list(TOOL_NAMES)
        assert "Session(" not in repr(toolkit)
        assert '"count": 0' in toolkit.get_tools()[0].invoke({})
    finally:
        toolkit.close()
    assert (tmp_path / "env.db").exists()
    local = OneClawToolkit.local(tmp_path / "local.db")
    try:
        assert local.get_tools()[0].invoke({}).startswith("{")
    finally:
        local.close()
