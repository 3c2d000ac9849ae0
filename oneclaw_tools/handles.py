"""Handles: what the model holds instead of a secret value.

A handle is an opaque, unguessable id (``h_`` + 16 random bytes, URL-safe) that points at a
value kept in this session's memory. It is scoped to one :class:`HandleStore` (one session),
expires after a time-to-live, may be limited to a number of uses, and names where it may be
used: the destination hosts for ``http_request`` and the third-party tools it may be passed to.

:meth:`HandleStore.consume` is the only way a value leaves the store toward a tool; it checks
every one of those limits and counts the use. The clock is injectable for tests.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .errors import Gone, NotFound, PermissionDenied
from .models import SecretValue
from .validation import utcnow

__all__ = ["HANDLE_PATTERN", "Handle", "HandleStore", "host_allowed", "normalize_host"]

#: How a handle looks inside a tool argument: ``{{secret:h_...}}``.
HANDLE_PATTERN = r"\{\{\s*secret:(h_[A-Za-z0-9_\-]{8,64})\s*\}\}"


def normalize_host(host: str) -> str:
    """Lower-case ASCII (IDNA/punycode) form of a host name; raises ValueError if invalid."""
    host = host.strip().rstrip(".").lower()
    if not host:
        raise ValueError("empty host")
    if host.isascii():
        return host
    return host.encode("idna").decode("ascii")


def _split_rule(rule: str) -> tuple[str, int | None]:
    rule = rule.strip().lower()
    if rule.startswith("[") and "]" in rule:  # [::1]:8080
        host, _, rest = rule[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") else None
        return host, port
    if rule.count(":") == 1:
        host, _, port_text = rule.partition(":")
        return host, int(port_text)
    return rule, None


def host_allowed(rules: Iterable[str], host: str, port: int, default_port: int) -> bool:
    """Does ``host:port`` match one of ``rules``?

    A rule is an exact host (``api.example.com``) or a suffix rule (``*.example.com``, which
    matches sub-domains only, not the apex), optionally with ``:port``. Without a port a rule
    allows only the scheme's default port. Hosts compare in their IDNA (punycode) form, so a
    lookalike Unicode host never matches an ASCII rule.
    """
    try:
        host = normalize_host(host)
    except (UnicodeError, ValueError):
        return False
    for rule in rules:
        try:
            rule_host, rule_port = _split_rule(rule)
        except ValueError:
            continue
        if port != (rule_port if rule_port is not None else default_port):
            continue
        if rule_host.startswith("*."):
            try:
                suffix = normalize_host(rule_host[2:])
            except (UnicodeError, ValueError):
                continue
            if host.endswith("." + suffix) and len(host) > len(suffix) + 1:
                return True
        else:
            try:
                if host == normalize_host(rule_host):
                    return True
            except (UnicodeError, ValueError):
                continue
    return False


@dataclass(eq=False)
class Handle:
    """One issued handle. ``value`` is masked when printed."""

    id: str
    value: SecretValue
    vault_id: str | None
    path: str
    version: int | None
    type: str
    expires_at: datetime
    max_uses: int | None
    allowed_hosts: tuple[str, ...] = ()
    allowed_tools: tuple[str, ...] = ()
    key: str | None = None  # the variable name, for env-bundle entries
    uses: int = 0
    created_at: datetime = field(default_factory=utcnow)

    @property
    def uses_left(self) -> int | None:
        return None if self.max_uses is None else max(0, self.max_uses - self.uses)

    def describe(self) -> dict[str, object]:
        """Value-free description for the model."""
        return {
            "handle": self.id,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
            "uses_left": self.uses_left,
            "allowed_hosts": list(self.allowed_hosts),
            "allowed_tools": list(self.allowed_tools),
        }

    def __repr__(self) -> str:
        return f"Handle(id={self.id!r}, path={self.path!r}, version={self.version!r})"


class HandleStore:
    """The session's handles. Thread-safe."""

    def __init__(
        self,
        *,
        ttl: timedelta = timedelta(minutes=15),
        max_uses: int | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.ttl = ttl
        self.max_uses = max_uses
        self._clock = clock
        self._handles: dict[str, Handle] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._handles)

    def __repr__(self) -> str:
        return f"HandleStore(handles={len(self._handles)})"

    def issue(
        self,
        value: SecretValue,
        *,
        vault_id: str | None,
        path: str,
        version: int | None,
        type: str,
        allowed_hosts: Iterable[str] = (),
        allowed_tools: Iterable[str] = (),
        key: str | None = None,
        not_after: datetime | None = None,
    ) -> Handle:
        now = self._clock()
        expires = now + self.ttl
        if not_after is not None and not_after < expires:
            expires = not_after
        handle = Handle(
            id="h_" + secrets.token_urlsafe(16),
            value=value,
            vault_id=vault_id,
            path=path,
            version=version,
            type=type,
            expires_at=expires,
            max_uses=self.max_uses,
            allowed_hosts=tuple(dict.fromkeys(allowed_hosts)),
            allowed_tools=tuple(dict.fromkeys(allowed_tools)),
            key=key,
            created_at=now,
        )
        with self._lock:
            self._handles[handle.id] = handle
        return handle

    def get(self, handle_id: str) -> Handle:
        """The live handle (no use counted); NotFound if unknown, Gone if expired or used up."""
        handle = self._handles.get(handle_id)
        if handle is None:
            raise NotFound(
                "no such handle in this session.",
                action="Call get_secret again to get a fresh handle.",
            )
        if self._clock() >= handle.expires_at:
            raise Gone("the handle has expired.", action="Call get_secret again to get a fresh handle.")
        if handle.uses_left == 0:
            raise Gone("the handle is used up.", action="Call get_secret again to get a fresh handle.")
        return handle

    def consume(self, handle_id: str, *, tool: str, host: tuple[str, int, int] | None = None) -> Handle:
        """Check that ``tool`` (and, for HTTP, ``host``) may use the handle, and count one use.

        ``host`` is ``(host, port, default_port)`` of the destination. Returns the handle;
        the caller reads ``handle.value`` just in time and never keeps it.
        """
        with self._lock:
            handle = self.get(handle_id)
            if host is not None:
                if not handle.allowed_hosts:
                    raise PermissionDenied(
                        f"handle {handle.id} is not bound to any destination host.",
                        action="Ask the operator to set allowed_hosts on the secret or a host binding.",
                    )
                if not host_allowed(handle.allowed_hosts, *host):
                    raise PermissionDenied(
                        f"handle {handle.id} may not be sent to this destination; allowed: "
                        + ", ".join(handle.allowed_hosts)
                        + ".",
                        action="Send it only to an allowed host over https.",
                    )
            elif tool not in handle.allowed_tools:
                raise PermissionDenied(
                    f"handle {handle.id} may not be used with tool {tool}.",
                    action="Ask the operator to allow this tool for the secret (allowed_tools).",
                )
            handle.uses += 1
            return handle

    def forget(self, handle_id: str) -> None:
        with self._lock:
            self._handles.pop(handle_id, None)

    def clear(self) -> None:
        with self._lock:
            self._handles.clear()
