"""oneclaw-tools: secret-management tools for AI agents that never show a value to the model.

The public names load lazily, so ``import oneclaw_tools`` stays cheap and imports no agent
framework (and not even httpx or pydantic until a session is built)::

    from oneclaw_tools import Session, OperatorPolicy

    with Session.local("vault.db", policy=OperatorPolicy(read_only=True)) as session:
        print(session.call_text("list_secrets", {}))
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .backends.base import VaultBackend
    from .config import open_backend
    from .errors import OneClawError
    from .guard import Guard
    from .handles import Handle, HandleStore
    from .models import SecretMeta, SecretValue
    from .policy import ApprovalRequest, OperatorPolicy
    from .session import Session, ToolError
    from .tools import ALL_TOOLS, TOOL_NAMES, ToolSpec

__all__ = [
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

_WHERE = {
    "ALL_TOOLS": "tools",
    "TOOL_NAMES": "tools",
    "ToolSpec": "tools",
    "ApprovalRequest": "policy",
    "OperatorPolicy": "policy",
    "VaultBackend": "backends.base",
    "Guard": "guard",
    "Handle": "handles",
    "HandleStore": "handles",
    "OneClawError": "errors",
    "SecretMeta": "models",
    "SecretValue": "models",
    "Session": "session",
    "ToolError": "session",
    "open_backend": "config",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'oneclaw_tools' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
