"""The session's services: the one implementation of :class:`~oneclaw_tools.tools.context.ToolContext`.

A :class:`Services` object joins what the tool handlers need (backend, policy, handles, guard,
audit, one HTTP client) and nothing of the dispatcher. The session builds one and hands it to
every handler; application code reaches it through the session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from .audit import AUDIT_LOGGER, current_tool
from .backends.base import VaultBackend
from .capture import capture
from .errors import InvalidArgument, OneClawError, PermissionDenied
from .guard import Guard
from .guard.ignorable import normalize
from .guard.variants import MIN_LEN
from .handles import Handle, HandleStore, canonical_bindings
from .hitl.store import HitlStore
from .models import AuditEvent, Secret, SecretValue
from .network import NetworkRules, Resolver, build_http_client
from .policy import OperatorPolicy
from .validation import validate_path

__all__ = ["Services"]

logger = logging.getLogger("oneclaw_tools.session")


def warn_if_short(value: str, what: str, path: str | None) -> None:
    """Warn the operator (never with the value) that a value too short to guard well was
    stored or fetched: the guard masks it only raw and as a whole word."""
    if value.strip() and len(normalize(value)) < MIN_LEN:
        where = f" at {path}" if path else ""
        logger.warning(
            "a secret value %s%s is shorter than %d characters: the redaction guard masks it only "
            "as it is and as a whole word, never encoded or in pieces; store a longer secret",
            what,
            where,
            MIN_LEN,
        )


class Services:
    """Backend, policy, handles, guard and audit of one session (see ``ToolContext``)."""

    def __init__(
        self,
        backend: VaultBackend,
        policy: OperatorPolicy,
        guard: Guard,
        *,
        vault_id: str | None,
        clock: Callable[[], datetime],
        http_transport: httpx.BaseTransport | None,
        resolver: Resolver | None = None,
        hitl_store: Callable[[], HitlStore] | None = None,
        owns_hitl_store: bool = True,
    ) -> None:
        self.backend = backend
        self.policy = policy
        self.guard = guard
        self.handles = HandleStore(ttl=policy.handle_ttl, max_uses=policy.handle_max_uses, clock=clock)
        self._clock = clock
        if vault_id is not None and policy.vaults is not None and vault_id not in policy.vaults:
            raise ValueError(f"the session's vault_id {vault_id!r} is not in the policy's vaults")
        self._vault_id = vault_id
        self._http_transport = http_transport
        self._resolver = resolver
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()
        self._hitl_factory = hitl_store
        self._hitl: HitlStore | None = None
        self._owns_hitl = owns_hitl_store

    def __repr__(self) -> str:
        return f"Services(backend={self.backend.kind!r}, handles={len(self.handles)})"

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        self.handles.clear()
        with self._lock:
            if self._hitl is not None and self._owns_hitl:
                self._hitl.close()
            self._hitl = None

    @property
    def agent(self) -> str:
        return str(self.backend.principal)

    @property
    def hitl_store(self) -> HitlStore:
        with self._lock:
            if self._hitl is None:
                if self._hitl_factory is None:
                    raise OneClawError("this session has no approval store.")
                self._hitl = self._hitl_factory()
            return self._hitl

    def own_vault(self) -> str:
        """The session's vault: its ``vault_id``, else the policy's first vault, else the default."""
        if self._vault_id is None:
            with self._lock:
                if self._vault_id is None:
                    vaults = self.policy.vaults
                    self._vault_id = vaults[0] if vaults else self.backend.default_vault_id()
        return self._vault_id

    def vault_allowed(self, vault_id: str) -> bool:
        """Is ``vault_id`` in the session's scope (the policy's ``vaults``, else its own vault)?"""
        return self.policy.vault_allowed(vault_id, self.own_vault())

    def vault_for(self, vault_id: str | None) -> str:
        if vault_id is None:
            return self.own_vault()
        if not isinstance(vault_id, str) or not vault_id or len(vault_id) > 128:
            raise InvalidArgument("vault_id", "must be a vault id from list_vaults")
        if not self.vault_allowed(vault_id):
            self.audit("vault_refused", outcome="denied", detail=f"vault {vault_id}")
            raise PermissionDenied(
                f"this session is limited to its own vault; vault '{vault_id}' is outside it.",
                action="Omit vault_id to use the session's vault, or use one that list_vaults shows.",
            )
        return vault_id

    def check_path(self, path: str, argument: str = "path") -> str:
        path = validate_path(path, argument)
        if not self.policy.path_allowed(path):
            self.audit("policy_refused", outcome="denied", detail=f"path {path}", path=path)
            raise PermissionDenied(
                f"the operator's policy does not allow the path '{path}'.",
                action="Use a path the operator allows; list_secrets shows them.",
            )
        return path

    def allowed_hosts(self, path: str, metadata: Mapping[str, Any] | None) -> list[str]:
        own = (metadata or {}).get("allowed_hosts") or []
        if not isinstance(own, list):
            own = []
        return list(canonical_bindings([*own, *self.policy.hosts_for(path)]))

    def allowed_tools(self, path: str, metadata: Mapping[str, Any] | None) -> list[str]:
        own = (metadata or {}).get("allowed_tools") or []
        return list(dict.fromkeys([*own, *self.policy.tools_for(path)]))

    def issue_handle(
        self, secret: Secret, *, key: str | None = None, value: SecretValue | None = None
    ) -> Handle:
        meta = secret.meta
        handle = self.handles.issue(
            value if value is not None else secret.value,
            vault_id=meta.vault_id,
            path=meta.path,
            version=meta.version,
            type=meta.type,
            allowed_hosts=self.allowed_hosts(meta.path, meta.metadata),
            allowed_tools=self.allowed_tools(meta.path, meta.metadata),
            key=key,
            not_after=meta.expires_at,
        )
        try:
            self.guard.register(handle.value.reveal_unsafe(), handle.id)
        except ValueError:  # a handle to a value the guard does not know must not exist
            self.handles.forget(handle.id)
            raise InvalidArgument(
                "path", "the redaction guard could not learn the value stored there, so no handle was given"
            ) from None
        warn_if_short(handle.value.reveal_unsafe(), "fetched from", meta.path)
        return handle

    def register_value(self, value: str) -> str:
        try:
            mask = self.guard.register(value)
        except ValueError:  # the guard refused it: say so before anything is stored
            raise InvalidArgument(
                "value", "the redaction guard could not learn this value, so it was not stored"
            ) from None
        warn_if_short(value, "stored or sent", None)
        return mask

    @staticmethod
    def preview(value: SecretValue) -> str:
        n = len(value)
        if n >= 24:
            return value.reveal_unsafe()[:4] + "…" + f" ({n} chars)"
        return f"•••• ({n} chars)"

    def http_client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = build_http_client(
                    rules=NetworkRules.of(self.policy.allow_http_loopback, self.policy.http_allow_networks),
                    resolver=self._resolver,
                    transport=self._http_transport,
                    timeout=self.policy.http_timeout,
                )
            return self._http

    def scrub_output(self, obj: Any) -> Any:
        if self.policy.capture:
            obj = capture(self, self.guard, obj)
        return self.guard.scrub_obj(obj)

    def audit(
        self,
        action: str,
        *,
        outcome: str = "ok",
        detail: str | None = None,
        tool: str | None = None,
        path: str | None = None,
    ) -> None:
        event = AuditEvent(
            ts=self._clock(),
            principal=str(self.backend.principal),
            action=action,
            outcome=outcome,
            path=path,
            tool=tool or current_tool(),
            detail=None if detail is None else self.guard.scrub(detail),
        )
        AUDIT_LOGGER.info("%s %s %s", event.action, event.outcome, event.tool or "-")
        try:
            self.backend.record_audit(event)
        except OneClawError:
            logger.warning("could not record an audit event (%s)", action)
