"""Each adapter installs alone and imports without the other frameworks.

Builds a fresh virtual environment per adapter (no system site-packages), installs the core and
that one adapter from this checkout (their dependencies come from the package index), imports
the adapter and checks that no other agent framework came along. Slow (minutes): it resolves
each framework from scratch. If it fails, the adapter's pyproject pulls in too much, or its
import reaches into another framework.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"langchain": "langchain_core", "llamaindex": "llama_index.core", "crewai": "crewai"}
ADAPTERS = {
    "langchain": "langchain_oneclaw",
    "llamaindex": "llama_index.tools.oneclaw",
    "crewai": "crewai_oneclaw",
    "mcp": "oneclaw_mcp",
}


@pytest.mark.slow
@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapter_installs_and_imports_alone(adapter: str, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    python = env_dir / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(ROOT), str(ROOT / "adapters" / adapter)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    others = [mod for name, mod in FRAMEWORKS.items() if name != adapter]
    code = (
        "import importlib, importlib.util, sys\n"
        f"importlib.import_module({ADAPTERS[adapter]!r})\n"
        f"present = [m for m in {others!r} if importlib.util.find_spec(m.split('.')[0]) is not None "
        "and (m.count('.') == 0 or importlib.util.find_spec(m) is not None)]\n"
        "print(present)\n"
    )
    env = {
        "PATH": str(python.parent),
        "HOME": str(tmp_path),
        "CREWAI_DISABLE_TELEMETRY": "true",
        "CREWAI_DISABLE_VERSION_CHECK": "true",
        "OTEL_SDK_DISABLED": "true",
    }
    check = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env
    )
    assert check.returncode == 0, check.stderr[-3000:]
    assert check.stdout.strip() == "[]", f"{adapter} brought other frameworks along: {check.stdout}"
