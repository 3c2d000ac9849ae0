"""Helpers for the install tests: the five distributions, a clean child environment, a checked run.

(A uniquely named module, so it cannot collide with other test folders' helpers.)

Child processes get :func:`clean_env`: no variable of the developer's (no credentials, no vault),
a temporary ``HOME``, pip's own cache (a package the machine fetched once is not downloaded
again) and pip's own configuration: the index, find-links and constraints this machine's pip is
configured with, from whichever file or variable set them, written to one file for
``PIP_CONFIG_FILE``. A temporary ``HOME`` alone would hide a per-user ``pip.conf``, and pip would
fall back to the public index, which CI cannot reach.
"""

from __future__ import annotations

import configparser
import functools
import os
import subprocess
import sys
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


@functools.cache
def pip_configuration() -> dict[str, dict[str, str]]:
    """``{section: {option: value}}``: what this machine's pip is configured with, every source
    merged (global, user and site files, then ``PIP_*`` variables, which pip lets win)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
    ).stdout
    merged: dict[str, dict[str, str]] = {}
    from_env: dict[str, str] = {}
    for line in listed.splitlines():
        name, sep, quoted = line.partition("=")
        section, dot, option = name.rpartition(".")
        if not (sep and dot and option) or option == "cache-dir":
            continue
        value = quoted.strip()[1:-1] if quoted.strip()[:1] in "'\"" else quoted.strip()
        if section == ":env:":
            from_env[option] = value
        else:
            merged.setdefault(section, {})[option] = value
    merged.setdefault("global", {}).update(from_env)
    return merged


def write_pip_config(folder: Path) -> Path:
    """This machine's pip configuration in one file under ``folder`` (for ``PIP_CONFIG_FILE``)."""
    parser = configparser.ConfigParser(interpolation=None)
    for section, options in pip_configuration().items():
        parser[section] = options
    path = folder / "pip.conf"
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        parser.write(handle)
    return path


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in CLEAN_ENV_KEYS if key in os.environ}
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env.update(
        HOME=str(home),
        PIP_CONFIG_FILE=str(write_pip_config(home / ".oneclaw-test-pip")),
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
