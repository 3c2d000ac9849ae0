"""The session: the one object every adapter wraps.

A session joins a vault backend, a handle store, the redaction guard, the operator's policy and
the audit. Adapters need only :attr:`Session.specs`, :meth:`Session.call` /
:meth:`Session.acall` (or the ``*_text`` forms), :meth:`Session.run_wrapped` for third-party
tools and :meth:`Session.scrub`.

Every failure of a tool reaches an adapter as one exception type, :class:`ToolError`, whose
``text`` is safe for the model: it has passed the guard, it never carries a server body, and an
unexpected crash reads only "tool X failed". The error is raised outside the ``except`` block
that caught the cause, so no traceback chain holds the original exception either.

Values leave a session toward a model never, and toward a tool only through a handle whose
limits allow it (:mod:`oneclaw_tools.handles`). Application code may read a value with the
loudly named :meth:`Session.reveal_unsafe`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import secrets
import threading
import traceback
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import httpx
from pydantic import ValidationError

from .audit import AUDIT_LOGGER, current_tool, tool_scope
from .backends.base import VaultBackend
from .errors import (
    ApprovalRequired,
    InvalidArgument,
    NotFound,
    OneClawError,
    PermissionDenied,
    ToolCrashed,
)
from .guard import Guard
from .handles import HANDLE_PATTERN, Handle, HandleStore
from .models import AuditEvent, Secret, SecretValue
from .policy import ApprovalRequest, OperatorPolicy
from .tools import ALL_TOOLS, ToolSpec
from .validation import utcnow, validate_path

__all__ = ["Session", "ToolError"]

logger = logging.getLogger("oneclaw_tools.session")

_PLACEHOLDER = re.compile(HANDLE_PATTERN)
# arguments an approver never sees (they may carry a value)
_VALUE_ARGS = frozenset({"value", "body", "json_body", "headers", "query"})


class ToolError(Exception):
    """A tool failed. ``text`` is what the model may see (already guarded)."""

    def __init__(self, text: str, *, tool: str, status: int | None = None, code: str = "error") -> None:
        super().__init__(text)
        self.text = text
        self.tool = tool
        self.status = status
        self.code = code

    def __repr__(self) -> str:
        return f"ToolError({self.text!r})"


# -- log scrubbing -------------------------------------------------------------------------
# One record factory for the whole process scrubs every log record, whoever logs it, with the
# guards of all live sessions; formatted tracebacks are scrubbed too (pre-set exc_text).
_LIVE: weakref.WeakSet[Session] = weakref.WeakSet()
_FACTORY_LOCK = threading.Lock()
_BASE_FACTORY: Callable[..., logging.LogRecord] | None = None


def _scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _BASE_FACTORY is not None
    record = _BASE_FACTORY(*args, **kwargs)
    sessions = list(_LIVE)
    if not sessions:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the bare template
        message = str(record.msg)
    exc_text = None
    if record.exc_info and record.exc_info[1] is not None:
        exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    for session in sessions:
        message = session.guard.scrub(message)
        if exc_text is not None:
            exc_text = session.guard.scrub(exc_text)
        if record.stack_info:
            record.stack_info = session.guard.scrub(record.stack_info)
    record.msg, record.args = message, None
    if exc_text is not None:
        record.exc_text = exc_text
    return record


def _install_log_scrubbing(session: Session) -> None:
    global _BASE_FACTORY
    with _FACTORY_LOCK:
        _LIVE.add(session)
        if _BASE_FACTORY is None:
            _BASE_FACTORY = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_scrubbing_factory)


class Session:
    """Tools over one backend, for one agent run (handles live as long as the session)."""

    def __init__(
        self,
        backend: VaultBackend,
        *,
        policy: OperatorPolicy | None = None,
        guard: Guard | None = None,
        vault_id: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        http_transport: httpx.BaseTransport | None = None,
        scrub_logs: bool = True,
    ) -> None:
        self.backend = backend
        self.policy = policy or OperatorPolicy()
        self.guard = guard if guard is not None else Guard()
        self.handles = HandleStore(
            ttl=self.policy.handle_ttl, max_uses=self.policy.handle_max_uses, clock=clock
        )
        self._clock = clock
        self._vault_id = vault_id
        self._http_transport = http_transport
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()
        specs = [
            spec
            for spec in ALL_TOOLS
            if (self.policy.tools is None or spec.name in self.policy.tools)
            and (spec.read_only or not self.policy.read_only)
        ]
        self.specs: tuple[ToolSpec, ...] = tuple(specs)
        self._by_name = {spec.name: spec for spec in specs}
        if scrub_logs:
            _install_log_scrubbing(self)

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> Self:
        """Remote 1Claw when ``ONECLAW_AGENT_API_KEY`` is set, else the embedded vault."""
        from .config import open_backend

        return cls(open_backend(env), **kwargs)

    @classmethod
    def local(cls, path: str | Path, **kwargs: Any) -> Self:
        """A session on the embedded vault at ``path`` (created on first use)."""
        from .backends.local import LocalVault

        return cls(LocalVault(Path(path)), **kwargs)

    def __repr__(self) -> str:
        return f"Session(backend={self.backend.kind!r}, tools={len(self.specs)}, handles={len(self.handles)})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        _LIVE.discard(self)  # a closed session's guard no longer scrubs the process's logs
        if self._http is not None:
            self._http.close()
            self._http = None
        self.handles.clear()
        self.backend.close()

    # -- the tool surface ----------------------------------------------------------------
    def spec(self, name: str) -> ToolSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise NotFound(
                "no such tool in this session.", action="Use one of: " + ", ".join(self._by_name) + "."
            ) from None

    def call(self, name: str, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run a tool; the result is JSON-able and guarded. Every failure is a :class:`ToolError`."""
        failure: tuple[str, int | None, str] | None = None
        try:
            return self._call(name, {} if args is None else args)
        except OneClawError as exc:
            failure = (exc.for_model(), exc.status, exc.code)
        except Exception as exc:
            logger.warning("tool %s crashed with %s", name, type(exc).__name__)
            crash = ToolCrashed(name)
            failure = (crash.for_model(), crash.status, crash.code)
        text, status, code = failure
        raise ToolError(self.guard.scrub(text), tool=str(name), status=status, code=code)

    async def acall(self, name: str, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await asyncio.to_thread(self.call, name, args)

    def call_text(self, name: str, args: Mapping[str, Any] | None = None) -> str:
        """What the model receives from a tool: the guarded result as JSON text."""
        return json.dumps(self.call(name, args), ensure_ascii=False, default=str)

    async def acall_text(self, name: str, args: Mapping[str, Any] | None = None) -> str:
        return json.dumps(await self.acall(name, args), ensure_ascii=False, default=str)

    def _call(self, name: str, args: Mapping[str, Any]) -> dict[str, Any]:
        spec = self.spec(name)
        if not isinstance(args, Mapping):
            raise InvalidArgument("arguments", "must be a JSON object")
        if not spec.takes_values and self.guard.contains_secret(dict(args)):
            self.audit("exfiltration_blocked", outcome="denied", detail=f"arguments of {name}", tool=name)
            raise PermissionDenied(
                "the arguments contain a secret value; refusing to send it anywhere.",
                action="Use the handle placeholder {{secret:HANDLE}} instead of the value.",
            )
        try:
            parsed = spec.args_model.model_validate(dict(args))
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            argument = ".".join(str(part) for part in first["loc"]) or "arguments"
            rule = str(first["msg"]).rstrip(".")
            rule = rule[:1].lower() + rule[1:]
            raise InvalidArgument(argument, rule) from None
        if name in self.policy.require_approval:
            self._approve(name, args)
        with tool_scope(name):
            result = spec.handler(self, parsed)
        scrubbed: dict[str, Any] = self.scrub_output(result)
        return scrubbed

    def _approve(self, name: str, args: Mapping[str, Any]) -> None:
        shown = {k: v for k, v in args.items() if k not in _VALUE_ARGS}
        summary = f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"
        request = ApprovalRequest(
            tool=name, summary=self.guard.scrub(summary), arguments=self.guard.scrub_obj(shown)
        )
        if self.policy.approver is None:
            self.audit("approval_missing", outcome="denied", detail=request.summary, tool=name)
            raise ApprovalRequired(f"{name} needs a human's approval and no approver is configured.")
        try:
            approved = bool(self.policy.approver(request))
        except Exception as exc:
            logger.warning("approver failed with %s; treating as a denial", type(exc).__name__)
            approved = False
        self.audit("approval", outcome="ok" if approved else "denied", detail=request.summary, tool=name)
        if not approved:
            raise PermissionDenied(
                f"a human denied {name}.", action="Do not retry; ask the user what to do instead."
            )

    # -- third-party tools ---------------------------------------------------------------
    def resolve_placeholders(self, obj: Any, *, tool: str) -> Any:
        """Replace ``{{secret:HANDLE}}`` in strings (recursively) if each handle allows ``tool``."""
        if isinstance(obj, str):
            if "{{" not in obj:
                return obj

            def sub(match: re.Match[str]) -> str:
                try:
                    handle = self.handles.consume(match.group(1), tool=tool)
                except PermissionDenied as exc:
                    self.audit("handle_refused", outcome="denied", detail=exc.message, tool=tool)
                    raise
                self.audit("handle_used", detail=f"{handle.id} for {handle.path}", tool=tool)
                return handle.value.reveal_unsafe()

            return _PLACEHOLDER.sub(sub, obj)
        if isinstance(obj, Mapping):
            return {k: self.resolve_placeholders(v, tool=tool) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.resolve_placeholders(v, tool=tool) for v in obj)
        return obj

    def _before_wrapped(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if self.guard.contains_secret(dict(args)):
            self.audit("exfiltration_blocked", outcome="denied", detail=f"arguments of {tool}", tool=tool)
            raise PermissionDenied(
                "the arguments contain a secret value; refusing to send it anywhere.",
                action="Use the handle placeholder {{secret:HANDLE}} instead of the value.",
            )
        resolved: dict[str, Any] = self.resolve_placeholders(dict(args), tool=tool)
        return resolved

    def run_wrapped(self, tool: str, func: Callable[..., Any], args: Mapping[str, Any]) -> Any:
        """Run a third-party tool with placeholders resolved just in time; scrub its output.

        Refuses arguments that already contain a known value (exfiltration guard). Any failure
        becomes a :class:`ToolError`; a foreign exception shows only its type.
        """
        failure: tuple[str, int | None, str] | None = None
        try:
            with tool_scope(tool):
                return self.scrub_output(func(**self._before_wrapped(tool, args)))
        except OneClawError as exc:
            failure = (exc.for_model(), exc.status, exc.code)
        except Exception as exc:
            failure = self._foreign_failure(tool, exc)
        raise ToolError(self.guard.scrub(failure[0]), tool=tool, status=failure[1], code=failure[2])

    async def arun_wrapped(self, tool: str, func: Callable[..., Any], args: Mapping[str, Any]) -> Any:
        failure: tuple[str, int | None, str] | None = None
        try:
            with tool_scope(tool):
                resolved = self._before_wrapped(tool, args)
                if inspect.iscoroutinefunction(func):
                    out = await func(**resolved)
                else:
                    out = await asyncio.to_thread(func, **resolved)
                    if inspect.isawaitable(out):
                        out = await out
                del resolved
                return self.scrub_output(out)
        except OneClawError as exc:
            failure = (exc.for_model(), exc.status, exc.code)
        except Exception as exc:
            failure = self._foreign_failure(tool, exc)
        raise ToolError(self.guard.scrub(failure[0]), tool=tool, status=failure[1], code=failure[2])

    def _foreign_failure(self, tool: str, exc: BaseException) -> tuple[str, int | None, str]:
        logger.info("wrapped tool %s raised %s", tool, type(exc).__name__)
        return (f"Error (tool_failed): tool {tool} failed ({type(exc).__name__}).", None, "tool_failed")

    def resolve_env(self, variables: Mapping[str, str], *, tool: str) -> dict[str, str]:
        """Environment variables for a process run by ``tool``: each value may be a handle or
        contain placeholders; every handle must allow ``tool``. Application code only."""
        out: dict[str, str] = {}
        for key, ref in variables.items():
            text = "{{secret:" + ref + "}}" if ref.startswith("h_") and "{{" not in ref else ref
            out[key] = self.resolve_placeholders(text, tool=tool)
        return out

    # -- the guard -----------------------------------------------------------------------
    def scrub(self, obj: Any) -> Any:
        """Pass anything bound for the model through the guard."""
        return self.guard.scrub_obj(obj)

    def scrub_output(self, obj: Any) -> Any:
        """Scrub a tool's output; with ``policy.capture``, first quarantine detected credentials."""
        if self.policy.capture:
            obj = self._capture(obj)
        return self.guard.scrub_obj(obj)

    def _capture(self, obj: Any) -> Any:
        if isinstance(obj, str):
            detect = getattr(self.guard, "detect", None)
            if detect is None:
                return obj
            for finding in sorted(detect(obj), key=lambda f: f.start, reverse=True):
                value = obj[finding.start : finding.end]
                if self.guard.contains_secret(value):
                    continue  # already known: the guard masks it
                rule = re.sub(r"[^A-Za-z0-9_-]", "-", str(finding.rule))[:40] or "credential"
                path = f"{self.policy.capture_prefix}/{rule}-{secrets.token_hex(4)}"
                with tool_scope(current_tool() or "capture"):
                    meta = self.backend.put_secret(
                        self.vault_for(None), path, value, type="api_key", metadata={"captured": True}
                    )
                handle = self.issue_handle(Secret(meta, SecretValue(value)))
                self.audit("captured", detail=f"{finding.rule} stored at {path}", path=path)
                obj = obj[: finding.start] + self.guard.register(value, handle.id) + obj[finding.end :]
            return obj
        if isinstance(obj, Mapping):
            return {k: self._capture(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._capture(v) for v in obj]
        return obj

    # -- helpers the tool handlers use ---------------------------------------------------
    def vault_for(self, vault_id: str | None) -> str:
        if vault_id is not None:
            if not isinstance(vault_id, str) or not vault_id or len(vault_id) > 128:
                raise InvalidArgument("vault_id", "must be a vault id from list_vaults")
            return vault_id
        if self._vault_id is None:
            with self._lock:
                if self._vault_id is None:
                    self._vault_id = self.backend.default_vault_id()
        return self._vault_id

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
        return list(dict.fromkeys([*own, *self.policy.hosts_for(path)]))

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
        self.guard.register(handle.value.reveal_unsafe(), handle.id)
        return handle

    def register_value(self, value: str) -> str:
        """Teach the guard a value the session saw (stored, rotated, a share link)."""
        return self.guard.register(value)

    @staticmethod
    def preview(value: SecretValue) -> str:
        """A masked preview: the length, and the first four characters only of long values."""
        n = len(value)
        if n >= 24:
            return value.reveal_unsafe()[:4] + "…" + f" ({n} chars)"
        return f"•••• ({n} chars)"

    def http_client(self) -> httpx.Client:
        with self._lock:
            if self._http is None:
                self._http = httpx.Client(
                    follow_redirects=False,
                    trust_env=False,
                    timeout=self.policy.http_timeout,
                    transport=self._http_transport,
                )
            return self._http

    def audit(
        self,
        action: str,
        *,
        outcome: str = "ok",
        detail: str | None = None,
        tool: str | None = None,
        path: str | None = None,
    ) -> None:
        """Record a session-level event (never a value: ``detail`` passes the guard)."""
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

    # -- application code only -----------------------------------------------------------
    def reveal_unsafe(self, handle_id: str) -> str:
        """The plaintext behind a handle, for application code. Never give it to a model."""
        handle = self.handles.get(handle_id)
        self.audit("reveal", detail=f"{handle.id} for {handle.path}", path=handle.path)
        return handle.value.reveal_unsafe()
