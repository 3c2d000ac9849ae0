"""Helpers for the install tests: the five distributions, a clean child environment, a checked run.

(A uniquely named module, so it cannot collide with other test folders' helpers.)

Child processes get :func:`clean_env`: no variable of the developer's (no credentials, no vault),
a temporary ``HOME``, and pip's own cache, so a package the machine fetched once is not
downloaded again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: folder (relative to the repository) → (distribution, import name)
DISTRIBUTIONS = {
    ".": ("oneclaw-tools", "oneclaw_tools"),
    "adapters/langchain": ("langchain-oneclaw", "langchain_oneclaw"),
    "adapters/llamaindex": ("llama-index-tools-oneclaw", "llama_index.tools.oneclaw"),
    "adapters/crewai": ("crewai-oneclaw", "crewai_oneclaw"),
    "adapters/mcp": ("oneclaw-mcp", "oneclaw_mcp"),
}
#: what a child process needs, and nothing of the developer's (no credentials, no vault)
CLEAN_ENV_KEYS = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in CLEAN_ENV_KEYS if key in os.environ}
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env.update(
        HOME=str(home),
        PIP_CACHE_DIR=cache,  # the machine's pip cache, though HOME is a temporary folder
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        CREWAI_DISABLE_TELEMETRY="true",
        CREWAI_DISABLE_VERSION_CHECK="true",
        OTEL_SDK_DISABLED="true",
    )
    env.update(extra)
    return env


def run(argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 1800) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout
