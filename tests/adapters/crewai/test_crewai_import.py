"""Importing the CrewAI adapter pulls in crewai and the core, and no other agent framework.

If this fails, a module in ``crewai_oneclaw`` (or the core) imports LangChain, LlamaIndex or the
MCP SDK at module level; make that import lazy or move it out of the adapter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHECK = """
import json, sys, warnings
warnings.simplefilter("ignore", ImportWarning)
import crewai_oneclaw
lazy = sorted(m for m in sys.modules if m.split(".")[0] == "crewai")
from crewai_oneclaw import OneClawCrewTools, wrap_tool, tool_surface, make_tool
from crewai_oneclaw.testing import crew, driver, scripted, recorder
roots = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"lazy": lazy, "roots": roots}))
"""


def test_import_pulls_no_other_framework(crewai_base: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore::ImportWarning"}
    out = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, cwd=crewai_base, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["lazy"] == [], (
        "importing the package alone must not import crewai (the demo sets its env first)"
    )
    roots = set(report["roots"])
    assert {"crewai", "oneclaw_tools", "crewai_oneclaw"} <= roots
    forbidden = {
        "langchain",
        "langchain_core",
        "langgraph",
        "llama_index",
        "langchain_oneclaw",
        "oneclaw_mcp",
    }
    assert not roots & forbidden, sorted(roots & forbidden)
