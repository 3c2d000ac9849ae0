"""Configuration from 1Claw's environment variables, and the one function that picks a backend.

Remote (the hosted 1Claw service, or ``oneclaw-tools serve``): ``ONECLAW_AGENT_API_KEY``
(``ocv_…`` agent key, or a ``1ck_…`` user key), ``ONECLAW_AGENT_ID`` (optional),
``ONECLAW_VAULT_ID`` (optional: the agent's first vault otherwise), ``ONECLAW_BASE_URL``.
Embedded: ``ONECLAW_LOCAL_VAULT`` (the SQLite file), else ``vault.db`` in the user data
folder. With no ``ONECLAW_AGENT_API_KEY`` the embedded vault is used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .backends.base import VaultBackend

__all__ = ["default_local_vault_path", "open_backend", "user_data_dir"]


def user_data_dir(app: str = "oneclaw-tools") -> Path:
    """The per-user data folder (XDG on Linux, Application Support on macOS, LOCALAPPDATA on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / app


def default_local_vault_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    explicit = env.get("ONECLAW_LOCAL_VAULT")
    return Path(explicit).expanduser() if explicit else user_data_dir() / "vault.db"


def open_backend(env: Mapping[str, str] | None = None) -> VaultBackend:
    """The remote 1Claw backend when ``ONECLAW_AGENT_API_KEY`` is set, else the embedded vault."""
    env = os.environ if env is None else env
    if env.get("ONECLAW_AGENT_API_KEY"):
        from .backends.remote import OneClawVault

        return OneClawVault.from_env(env)
    from .backends.local import LocalVault

    return LocalVault(default_local_vault_path(env), env=env)
