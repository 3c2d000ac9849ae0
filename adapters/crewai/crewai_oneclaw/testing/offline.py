"""CrewAI's environment for an offline, self-contained run (demo, notebook, tests).

CrewAI resolves a telemetry host during runs and at exit, checks the package index for a new
version when ``verbose=True``, writes a credentials key and a config folder under ``$HOME`` at
import, and stores every kickoff's task outputs in a SQLite file under the user data folder.
:func:`offline_env` returns the variables that switch the network off and keep every file
under one folder; they must be in ``os.environ`` **before crewai is first imported**, which is
why this module imports nothing from crewai.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CREWAI_OFFLINE_FLAGS", "offline_env", "use_env"]

CREWAI_OFFLINE_FLAGS: Mapping[str, str] = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "CREWAI_DISABLE_TRACKING": "true",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "OTEL_SDK_DISABLED": "true",
    # no interactive trace-consent prompt
    "CREWAI_TESTING": "true",
}


def offline_env(base: Path) -> dict[str, str]:
    """The flags above plus ``HOME``, the XDG folders and ``CREWAI_STORAGE_DIR`` under ``base``."""
    home = base / "home"
    env = dict(CREWAI_OFFLINE_FLAGS)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        CREWAI_STORAGE_DIR=str(base / "crewai-storage"),
    )
    for key in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CREWAI_STORAGE_DIR"):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    return env


@contextmanager
def use_env(env: Mapping[str, str]) -> Iterator[None]:
    """Set ``env`` in ``os.environ`` for the block, then restore what was there."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
