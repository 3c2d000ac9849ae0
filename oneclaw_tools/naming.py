"""Tool names on a surface: the core's name, optionally behind a prefix the application chooses.

Generic names such as ``get_secret`` or ``http_request`` collide with other toolkits, and users of
1Claw's own integrations know ``oneclaw_get_secret``. Every surface (LangChain, LlamaIndex, CrewAI,
MCP) takes the same ``prefix`` and shows ``prefix + name`` for each of our tools, so names stay
identical across surfaces; calls still reach the core by the core's name, and bindings
(``allowed_tools``) keep naming the core's tools and the third-party tools as they are.

A prefix is ASCII letters, digits, ``_`` and ``-``, starting with a letter, at most 32 characters
(so every name stays within what providers accept for a function name, 64 characters).
"""

from __future__ import annotations

import re

__all__ = ["check_prefix", "core_name", "surface_name"]

_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,31}")


def check_prefix(prefix: str) -> str:
    """``prefix`` if it is usable (or empty); a ``ValueError`` that says the rule otherwise."""
    if prefix and not _PREFIX.fullmatch(prefix):
        raise ValueError(
            "the tool name prefix must start with a letter and hold only ASCII letters, digits, '_' "
            "and '-' (at most 32 characters), e.g. 'oneclaw_'"
        )
    return prefix


def surface_name(prefix: str, name: str) -> str:
    """The name a surface shows for the core tool ``name``."""
    return check_prefix(prefix) + name


def core_name(prefix: str, shown: str) -> str | None:
    """The core's name behind a name a surface showed, or ``None`` if it lacks the prefix."""
    return shown[len(prefix) :] if shown.startswith(prefix) else None
