"""The operator's policy: fixed when a session is created, out of the model's reach.

Nothing a tool receives can widen it: tool arguments are checked against it, never merged
into it. It decides which tools exist, which paths they may touch, whether writes are
allowed, which actions need a human's approval, how long handles live, and where each
secret may be sent (hosts) or passed (third-party tools) in addition to what the secret's own
metadata (``allowed_hosts`` / ``allowed_tools``) says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from .validation import glob_match, validate_pattern

__all__ = ["ApprovalRequest", "Approver", "OperatorPolicy"]


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """What a human approver sees: the exact action, without any secret value."""

    tool: str
    summary: str
    arguments: Mapping[str, Any]


Approver = Callable[[ApprovalRequest], bool]


def _freeze_bindings(bindings: Mapping[str, Iterable[str]] | None) -> Mapping[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for pattern, values in (bindings or {}).items():
        validate_pattern(pattern, "binding pattern")
        if isinstance(values, str):
            raise TypeError("binding values must be a list of strings, not a string")
        out[pattern] = tuple(values)
    return MappingProxyType(out)


@dataclass(frozen=True)
class OperatorPolicy:
    """Everything the operator fixes up front. Frozen; copy with :func:`dataclasses.replace`.

    * ``tools``: the tool names a session exposes (``None``: all of them).
    * ``paths``: globs (``*`` one segment, ``**`` any depth) a tool may touch.
    * ``read_only``: drop every tool that changes the vault.
    * ``require_approval``: tools that need ``approver(request) -> bool`` to say yes.
    * ``handle_ttl`` / ``handle_max_uses``: the life of a handle.
    * ``host_bindings`` / ``tool_bindings``: path glob → hosts / tool names, added to the
      secret's own ``allowed_hosts`` / ``allowed_tools`` metadata.
    * ``allow_http_loopback``: let handles travel over plain http to 127.0.0.1 / ::1 / localhost.
    * ``capture``: store credentials the guard detects by pattern in tool output under
      ``capture_prefix`` and give the model a handle instead.
    * ``http_*``: limits of the ``http_request`` tool.
    """

    tools: frozenset[str] | None = None
    paths: tuple[str, ...] = ("**",)
    read_only: bool = False
    require_approval: frozenset[str] = frozenset()
    approver: Approver | None = None
    handle_ttl: timedelta = timedelta(minutes=15)
    handle_max_uses: int | None = None
    host_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    tool_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    allow_http_loopback: bool = False
    capture: bool = False
    capture_prefix: str = "quarantine"
    http_timeout: float = 15.0
    http_max_response_chars: int = 8192
    http_response_headers: tuple[str, ...] = ("content-type", "content-length", "location", "retry-after")

    def __post_init__(self) -> None:
        if self.tools is not None and not isinstance(self.tools, frozenset):
            object.__setattr__(self, "tools", frozenset(self.tools))
        if not isinstance(self.require_approval, frozenset):
            object.__setattr__(self, "require_approval", frozenset(self.require_approval))
        paths = (self.paths,) if isinstance(self.paths, str) else tuple(self.paths)
        for pattern in paths:
            validate_pattern(pattern, "paths")
        object.__setattr__(self, "paths", paths)
        object.__setattr__(self, "host_bindings", _freeze_bindings(self.host_bindings))
        object.__setattr__(self, "tool_bindings", _freeze_bindings(self.tool_bindings))
        if self.handle_max_uses is not None and self.handle_max_uses < 1:
            raise ValueError("handle_max_uses must be at least 1 (or None for unlimited)")
        if self.handle_ttl <= timedelta(0):
            raise ValueError("handle_ttl must be positive")

    def path_allowed(self, path: str) -> bool:
        return any(glob_match(pattern, path) for pattern in self.paths)

    def hosts_for(self, path: str) -> tuple[str, ...]:
        return tuple(
            h for pattern, hosts in self.host_bindings.items() if glob_match(pattern, path) for h in hosts
        )

    def tools_for(self, path: str) -> tuple[str, ...]:
        return tuple(
            t for pattern, tools in self.tool_bindings.items() if glob_match(pattern, path) for t in tools
        )
