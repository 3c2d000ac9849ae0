"""Runtime code never loads a demo, a scripted model, a recorder or a test helper.

For the core and each adapter, a fresh interpreter imports every runtime module of the package
(all of them but its ``testing`` subpackages, the core's demo, the local server's test helper and
``__main__``) and reports ``sys.modules``: no module of ours named ``testing`` or ``demo`` (at any
depth), and no pytest, may be among them. The surface conformance suite checks each adapter's
top-level import the same way; this walks every module, so a lazy import hidden in a submodule
(a CLI, an approval hook) is caught too.

When this fails: the message names the module loaded; find the import with
``python -X importtime -c "import <package>"`` and move the helper into the package's
``testing`` subpackage (or import it inside the function that needs it, if that function is the
demo's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from crewai_oneclaw.testing.offline import offline_env

#: package -> the folder it lives in
PACKAGES = {
    "oneclaw_tools": "oneclaw_tools",
    "langchain_oneclaw": "adapters/langchain/langchain_oneclaw",
    "llama_index.tools.oneclaw": "adapters/llamaindex/llama_index/tools/oneclaw",
    "crewai_oneclaw": "adapters/crewai/crewai_oneclaw",
    "oneclaw_mcp": "adapters/mcp/oneclaw_mcp",
}
#: modules that are the demo or a test helper themselves (what runtime code must not load)
NOT_RUNTIME = {"oneclaw_tools.demo", "oneclaw_tools.server.testing"}
ROOT = Path(__file__).resolve().parents[1]


def _runtime_modules(package: str) -> list[str]:
    folder = ROOT / PACKAGES[package]
    names = []
    for path in sorted(folder.rglob("*.py")):
        parts = list(path.relative_to(folder).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join([package, *parts])
        if "testing" in parts or "__main__" in parts or "__pycache__" in path.parts or name in NOT_RUNTIME:
            continue
        names.append(name)
    return names


def _ours(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in PACKAGES)


@pytest.mark.parametrize("package", list(PACKAGES))
def test_runtime_modules_load_no_demo_or_testing_module(package: str, tmp_path: Path) -> None:
    modules = _runtime_modules(package)
    assert len(modules) >= 5, modules  # the walk found the package
    code = (
        "import importlib, json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, **offline_env(tmp_path)}  # CrewAI offline, its HOME in tmp_path
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.splitlines()[-1])
    bad = [
        m
        for m in loaded
        if m in ("pytest", "_pytest")
        or m in NOT_RUNTIME
        or (_ours(m) and {"testing", "demo"} & set(m.split(".")))
    ]
    assert not bad, f"importing {package}'s runtime modules loaded {bad}"


def test_the_walk_sees_what_it_must_leave_out() -> None:
    """The exclusions are real modules (a rename would silently widen what is checked)."""
    core = _runtime_modules("oneclaw_tools")
    assert "oneclaw_tools.session" in core and "oneclaw_tools.cli" in core
    assert not any(".testing" in m for m in core)
    for name in NOT_RUNTIME:
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file(), name
    assert "oneclaw_mcp.cli" in _runtime_modules("oneclaw_mcp")
