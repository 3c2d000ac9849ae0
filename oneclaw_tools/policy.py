"""The operator's policy: fixed when a session is created, out of the model's reach.

Nothing a tool receives can widen it: tool arguments are checked against it, never merged
into it. It decides which tools exist, which vaults and paths they may touch, whether writes
are allowed, which actions need a human's approval, how long handles live, which networks
``http_request`` may reach, and where each secret may be sent (bindings) or passed
(third-party tools) in addition to what the secret's own metadata (``allowed_hosts`` /
``allowed_tools``) says.

Secure by default: the actions that move a secret or a permission *out* (``share_secret``,
``grant_access``) need a human's approval; without an approver they are refused, unless the
operator named the recipient (``share_recipients``) or principal (``grant_principals``).
A configuration that contradicts itself (capture on a read-only session, or into a path the
session may not touch) is refused when the policy is built.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any

from .bindings import BindingError, parse_bindings
from .validation import glob_match, validate_path, validate_pattern

__all__ = [
    "DEFAULT_REQUIRE_APPROVAL",
    "ApprovalRequest",
    "Approver",
    "OperatorPolicy",
    "recipient_of",
]

#: the outward actions a human approves by default
DEFAULT_REQUIRE_APPROVAL: frozenset[str] = frozenset({"share_secret", "grant_access"})


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """What a human approver sees: the exact action, without any secret value.

    ``id`` is the request in the approval store and ``digest`` pins the exact action
    (:mod:`oneclaw_tools.hitl.action`); a decision applies to that action only.
    """

    tool: str
    summary: str
    arguments: Mapping[str, Any]
    id: str = ""
    digest: str = ""


Approver = Callable[[ApprovalRequest], bool]


def _freeze_bindings(
    bindings: Mapping[str, Iterable[Any]] | None, *, hosts: bool = False
) -> Mapping[str, tuple[Any, ...]]:
    out: dict[str, tuple[Any, ...]] = {}
    for pattern, values in (bindings or {}).items():
        validate_pattern(pattern, "binding pattern")
        if isinstance(values, str):
            raise TypeError("binding values must be a list of strings, not a string")
        if hosts:
            try:
                parse_bindings(values)
            except BindingError as exc:
                raise ValueError(f"host_bindings[{pattern!r}]: {exc}") from None
        out[pattern] = tuple(values)
    return MappingProxyType(out)


def _recipient_entry(entry: str, *, principals_only: bool) -> str:
    text = entry.strip()
    kind, sep, ident = text.partition(":")
    if sep and kind in ("agent", "user") and ident:
        return f"{kind}:{ident}"
    if principals_only:
        raise ValueError(f"grant_principals entry {entry!r}: write 'agent:ID' or 'user:ID'")
    if text == "creator":
        return text
    local, at, domain = text.rpartition("@")
    if at and domain and "@" not in local and "." in domain:
        return text.lower()
    raise ValueError(
        f"share_recipients entry {entry!r}: write an e-mail address, '@domain' for any address "
        "at that domain, 'agent:ID', 'user:ID' or 'creator'"
    )


def recipient_of(tool: str, args: Mapping[str, Any]) -> str | None:
    """Who an outward action reaches, in the allowlists' notation (``None``: unknown/anyone)."""
    if tool == "grant_access":
        kind, ident = args.get("principal_type"), args.get("principal_id")
        return f"{kind}:{ident}" if kind in ("agent", "user") and isinstance(ident, str) and ident else None
    if tool == "share_secret":
        kind = args.get("recipient_type", "external_email")
        if kind == "external_email":
            email = args.get("email")
            return email.strip().lower() if isinstance(email, str) and email.count("@") == 1 else None
        if kind in ("agent", "user"):
            ident = args.get("recipient_id")
            return f"{kind}:{ident}" if isinstance(ident, str) and ident else None
        if kind == "creator":
            return "creator"
    return None  # anyone_with_link, or anything unexpected, is never on an allowlist


@dataclass(frozen=True)
class OperatorPolicy:
    """Everything the operator fixes up front. Frozen; copy with :func:`dataclasses.replace`.

    * ``tools``: the tool names a session exposes (``None``: all of them).
    * ``vaults``: the vault ids the session may touch (``None``: only the session's own vault,
      its ``vault_id`` or the backend's default). Every other vault is refused, whatever a
      tool argument names; ``list_vaults`` shows only these.
    * ``paths``: globs (``*`` one segment, ``**`` any depth) a tool may touch.
    * ``read_only``: drop every tool that changes the vault.
    * ``require_approval``: tools whose each exact action needs a human's approval: a
      single-use, expiring grant in the approval store (``oneclaw-tools approve ID``, the
      approval page, the framework's own prompt: MCP elicitation, a LangGraph interrupt, a
      LlamaIndex workflow event, a CrewAI tool hook), or ``approver(request) -> bool`` saying yes.
      Default: ``share_secret`` and ``grant_access``; until a human approves they are refused,
      the refusal naming the pending request.
    * ``share_recipients``: recipients ``share_secret`` may reach without approval (e-mail
      addresses, ``@domain``, ``agent:ID``, ``user:ID``, ``creator``; never a link share).
    * ``grant_principals``: principals ``grant_access`` may name without approval
      (``agent:ID``, ``user:ID``).
    * ``handle_ttl`` / ``handle_max_uses``: the life of a handle.
    * ``host_bindings`` / ``tool_bindings``: path glob → bindings (:mod:`oneclaw_tools.bindings`)
      / tool names, added to the secret's own ``allowed_hosts`` / ``allowed_tools`` metadata.
    * ``allow_http_loopback``: let ``http_request`` reach loopback addresses, and handles travel
      over plain http to 127.0.0.1 / ::1 / localhost (tests, the demo).
    * ``http_allow_networks``: CIDR networks ``http_request`` may reach although they are not
      public (``10.1.2.0/24``); everything else non-public is refused.
    * ``capture``: store credentials the guard detects by pattern in tool output under
      ``capture_prefix`` and give the model a handle instead (at most ``capture_max_per_call``
      per call). Refused at construction with ``read_only`` or a prefix outside ``paths``.
    * ``http_*``: limits of the ``http_request`` tool.
    """

    tools: frozenset[str] | None = None
    vaults: tuple[str, ...] | None = None
    paths: tuple[str, ...] = ("**",)
    read_only: bool = False
    require_approval: frozenset[str] = DEFAULT_REQUIRE_APPROVAL
    approver: Approver | None = None
    share_recipients: tuple[str, ...] = ()
    grant_principals: tuple[str, ...] = ()
    handle_ttl: timedelta = timedelta(minutes=15)
    handle_max_uses: int | None = None
    host_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    tool_bindings: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    allow_http_loopback: bool = False
    http_allow_networks: tuple[str, ...] = ()
    capture: bool = False
    capture_prefix: str = "quarantine"
    capture_max_per_call: int = 8
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
        object.__setattr__(self, "host_bindings", _freeze_bindings(self.host_bindings, hosts=True))
        object.__setattr__(self, "tool_bindings", _freeze_bindings(self.tool_bindings))
        if self.handle_max_uses is not None and self.handle_max_uses < 1:
            raise ValueError("handle_max_uses must be at least 1 (or None for unlimited)")
        if self.handle_ttl <= timedelta(0):
            raise ValueError("handle_ttl must be positive")
        if self.vaults is not None:
            vaults = (self.vaults,) if isinstance(self.vaults, str) else tuple(self.vaults)
            if not vaults or not all(isinstance(v, str) and v for v in vaults):
                raise ValueError("vaults must be a non-empty list of vault ids (or None)")
            object.__setattr__(self, "vaults", vaults)
        for name, principals_only in (("share_recipients", False), ("grant_principals", True)):
            entries = getattr(self, name)
            entries = (entries,) if isinstance(entries, str) else tuple(entries)
            object.__setattr__(
                self, name, tuple(_recipient_entry(e, principals_only=principals_only) for e in entries)
            )
        networks = (
            (self.http_allow_networks,)
            if isinstance(self.http_allow_networks, str)
            else tuple(self.http_allow_networks)
        )
        for net in networks:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"http_allow_networks entry {net!r} is not a CIDR network") from None
        object.__setattr__(self, "http_allow_networks", networks)
        if self.capture_max_per_call < 0:
            raise ValueError("capture_max_per_call must not be negative")
        if self.capture:
            validate_path(self.capture_prefix, "capture_prefix")
            if self.read_only:
                raise ValueError(
                    "capture stores detected credentials, which a read_only session may not do: "
                    "set capture=False or read_only=False"
                )
            if not self.path_allowed(self.capture_prefix + "/x"):
                raise ValueError(
                    f"capture_prefix {self.capture_prefix!r} is outside the allowed paths "
                    f"{list(self.paths)}: add '{self.capture_prefix}/**' to paths or change the prefix"
                )

    def needs_approval(self, tool: str, args: Mapping[str, Any]) -> bool:
        """Does this call need a human? Not when its recipient or principal is on the allowlist."""
        if tool not in self.require_approval:
            return False
        allowlist = {"share_secret": self.share_recipients, "grant_access": self.grant_principals}.get(tool)
        who = recipient_of(tool, args)
        if not allowlist or who is None:
            return True
        if who in allowlist:
            return False
        return not (tool == "share_secret" and "@" in who and "@" + who.rpartition("@")[2] in allowlist)

    def vault_allowed(self, vault_id: str, session_vault: str | None) -> bool:
        """Is ``vault_id`` in scope: in ``vaults``, or (without ``vaults``) the session's own?"""
        if self.vaults is not None:
            return vault_id in self.vaults
        return session_vault is not None and vault_id == session_vault

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
