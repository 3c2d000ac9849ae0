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

from .bindings import BindingError, Destination, format_binding, normalize_host, parse_binding
from .errors import Gone, NotFound, PermissionDenied
from .models import SecretValue
from .validation import utcnow

__all__ = ["HANDLE_PATTERN", "Handle", "HandleStore", "canonical_bindings", "host_allowed", "normalize_host"]

#: How a handle looks inside a tool argument: ``{{secret:h_...}}``.
HANDLE_PATTERN = r"\{\{\s*secret:(h_[A-Za-z0-9_\-]{8,64})\s*\}\}"


def host_allowed(rules: Iterable[object], host: str, port: int, default_port: int) -> bool:
    """Does ``host:port`` match one of ``rules`` (any method, path and place)?

    A convenience over :mod:`oneclaw_tools.bindings`, which defines the rule format; an invalid
    rule matches nothing.
    """
    try:
        dest = Destination("GET", "https" if default_port == 443 else "http", normalize_host(host), port, "/")
    except BindingError:
        return False
    for rule in rules:
        try:
            binding = parse_binding(rule)
        except BindingError:
            continue
        if binding.path == "/" and binding.methods is None and binding.allows(dest):
            return True
    return False


def canonical_bindings(rules: Iterable[object]) -> tuple[str, ...]:
    """Valid rules in their canonical text form; rules stored before validation are dropped."""
    out: list[str] = []
    for rule in rules:
        try:
            out.append(format_binding(parse_binding(rule)))
        except BindingError:
            continue
    return tuple(dict.fromkeys(out))


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
    expired: bool = False
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
        self._timer: threading.Timer | None = None
        self._timer_at: datetime | None = None

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
        allowed_hosts: Iterable[object] = (),
        allowed_tools: Iterable[str] = (),
        key: str | None = None,
        not_after: datetime | None = None,
    ) -> Handle:
        self.sweep()
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
            allowed_hosts=canonical_bindings(allowed_hosts),
            allowed_tools=tuple(dict.fromkeys(allowed_tools)),
            key=key,
            created_at=now,
        )
        with self._lock:
            self._handles[handle.id] = handle
            self._wake_at(expires)
        return handle

    def _wake_at(self, when: datetime) -> None:
        """Sweep when the earliest live handle expires, so its plaintext goes at once (a daemon
        timer; with an injected clock the sweep still asks that clock). Caller holds the lock."""
        if self._timer is not None and self._timer_at is not None and self._timer_at <= when:
            return
        if self._timer is not None:
            self._timer.cancel()
        delay = max(0.0, (when - self._clock()).total_seconds()) + 0.01
        self._timer = threading.Timer(delay, self._on_timer)
        self._timer.daemon = True
        self._timer_at = when
        self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = self._timer_at = None
        self.sweep()
        with self._lock:
            live = [h.expires_at for h in self._handles.values() if not h.expired]
            if live and self._timer is None:
                self._wake_at(min(live))

    def get(self, handle_id: str) -> Handle:
        """The live handle (no use counted); NotFound if unknown, Gone if expired or used up."""
        with self._lock:
            return self._live(handle_id)

    def _live(self, handle_id: str) -> Handle:
        handle = self._handles.get(handle_id)
        if handle is None:
            raise NotFound(
                "no such handle in this session.",
                action="Call get_secret again to get a fresh handle.",
            )
        if self._clock() >= handle.expires_at:
            self._drop(handle)
            raise Gone("the handle has expired.", action="Call get_secret again to get a fresh handle.")
        if handle.uses_left == 0:
            raise Gone("the handle is used up.", action="Call get_secret again to get a fresh handle.")
        return handle

    def _drop(self, handle: Handle) -> None:
        """Forget an expired handle's plaintext at once; its id stays known so it reads as 410."""
        handle.value = SecretValue("")
        handle.expired = True

    def sweep(self) -> int:
        """Drop the plaintext of every handle that has expired; returns how many were dropped."""
        now = self._clock()
        with self._lock:
            stale = [h for h in self._handles.values() if not h.expired and now >= h.expires_at]
            for handle in stale:
                self._drop(handle)
        return len(stale)

    def consume(
        self,
        handle_id: str,
        *,
        tool: str,
        destination: Destination | None = None,
        place: str | None = None,
    ) -> Handle:
        """Check that ``tool`` (for HTTP: ``destination`` and ``place``) may use it; count one use.

        ``place`` is where in the request the value goes (``header``, ``query``, ``body``).
        Returns the handle; the caller reads ``handle.value`` just in time and never keeps it.
        A use whose request was then never sent is given back with :meth:`release`.
        """
        self.sweep()
        with self._lock:
            handle = self._live(handle_id)
            if destination is not None:
                if not handle.allowed_hosts:
                    raise PermissionDenied(
                        f"handle {handle.id} is not bound to any destination host.",
                        action="Ask the operator to set allowed_hosts on the secret or a host binding.",
                    )
                if not any(parse_binding(r).allows(destination, place) for r in handle.allowed_hosts):
                    where = f" in the {place}" if place else ""
                    raise PermissionDenied(
                        f"handle {handle.id} may not be sent to {destination}{where}; allowed: "
                        + ", ".join(handle.allowed_hosts)
                        + ".",
                        action="Send it only to an allowed destination, over https, where the binding allows.",
                    )
            elif tool not in handle.allowed_tools:
                raise PermissionDenied(
                    f"handle {handle.id} may not be used with tool {tool}.",
                    action="Ask the operator to allow this tool for the secret (allowed_tools).",
                )
            handle.uses += 1
            return handle

    def release(self, handle_id: str) -> None:
        """Give back one use counted by :meth:`consume` for a request that was never sent."""
        with self._lock:
            handle = self._handles.get(handle_id)
            if handle is not None and handle.uses > 0:
                handle.uses -= 1

    def forget(self, handle_id: str) -> None:
        with self._lock:
            self._handles.pop(handle_id, None)

    def clear(self) -> None:
        with self._lock:
            for handle in self._handles.values():
                self._drop(handle)
            self._handles.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = self._timer_at = None
