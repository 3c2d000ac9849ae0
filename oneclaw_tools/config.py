"""Configuration from 1Claw's environment variables, and the one function that picks a backend.

Remote (the hosted 1Claw service, or ``oneclaw-tools serve``): ``ONECLAW_AGENT_API_KEY``
(``ocv_…`` agent key, or a ``1ck_…`` user key), ``ONECLAW_AGENT_ID`` (optional),
``ONECLAW_VAULT_ID`` (optional: the agent's first vault otherwise), ``ONECLAW_BASE_URL``.
Embedded: ``ONECLAW_LOCAL_VAULT`` (the SQLite file), else ``vault.db`` in the user data
folder. OpenBao / HashiCorp Vault: ``BAO_ADDR`` or ``VAULT_ADDR`` (several addresses may be
given, comma separated), with ``BAO_TOKEN``/``VAULT_TOKEN`` or AppRole
(``BAO_ROLE_ID``/``BAO_SECRET_ID`` or the ``VAULT_`` names), ``ONECLAW_KV_MOUNT``.

``ONECLAW_AGENT_TOKEN`` (a 1Claw access token, as 1Claw's MCP server takes it) selects 1Claw
too; it is sent as it is, never exchanged.

``ONECLAW_BACKEND=local|oneclaw|openbao`` chooses explicitly. Without it:
``ONECLAW_AGENT_API_KEY`` or ``ONECLAW_AGENT_TOKEN`` selects 1Claw, else
``BAO_ADDR``/``VAULT_ADDR`` selects OpenBao, else the embedded vault. The embedded vault is
never created here unless asked (``oneclaw-tools init`` and the operator's own writes): a read
through a mistyped ``ONECLAW_LOCAL_VAULT`` is a 404 naming the path, not a new, empty vault.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .backends.base import VaultBackend
from .errors import InvalidArgument

__all__ = ["BACKENDS", "default_local_vault_path", "open_backend", "select_backend", "user_data_dir"]

#: The values ``ONECLAW_BACKEND`` accepts.
BACKENDS: tuple[str, ...] = ("local", "oneclaw", "openbao")


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


def select_backend(env: Mapping[str, str] | None = None) -> str:
    """Which backend the environment asks for: ``local``, ``oneclaw`` or ``openbao``."""
    env = os.environ if env is None else env
    chosen = (env.get("ONECLAW_BACKEND") or "").strip().lower()
    if chosen:
        if chosen not in BACKENDS:
            raise InvalidArgument("ONECLAW_BACKEND", "must be one of " + ", ".join(BACKENDS))
        return chosen
    if env.get("ONECLAW_AGENT_API_KEY") or env.get("ONECLAW_AGENT_TOKEN"):
        return "oneclaw"
    if env.get("BAO_ADDR") or env.get("VAULT_ADDR"):
        return "openbao"
    return "local"


def open_backend(env: Mapping[str, str] | None = None, *, create: bool = False) -> VaultBackend:
    """The backend :func:`select_backend` names, configured from the same environment.

    ``create`` lets an embedded vault that does not exist yet be created on first use.
    """
    env = os.environ if env is None else env
    kind = select_backend(env)
    if kind == "oneclaw":
        from .backends.remote import OneClawVault

        return OneClawVault.from_env(env)
    if kind == "openbao":
        from .backends.openbao import OpenBaoVault

        return OpenBaoVault.from_env(env)
    from .backends.local import LocalVault

    return LocalVault(default_local_vault_path(env), env=env, create=create)
