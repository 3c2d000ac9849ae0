"""The session: the dispatcher every adapter wraps.

A session joins a vault backend, the operator's policy and the redaction guard (its
:class:`~oneclaw_tools.services.Services`), and dispatches tool calls: look the tool up, refuse
arguments that carry a known value, validate, ask a human when the policy says so, run the
handler with the narrow :class:`~oneclaw_tools.tools.context.ToolContext`, scrub the result.
Adapters need only :attr:`Session.specs`, :meth:`Session.call` / :meth:`Session.acall` (or the
``*_text`` forms), :meth:`Session.run_wrapped` for third-party tools and :meth:`Session.scrub`.

The core is synchronous; :meth:`Session.acall` runs :meth:`Session.call` in a worker thread
(``asyncio.to_thread`` copies the context, so the tool scope of the audit follows).

Every failure of a tool reaches an adapter as one exception type, :class:`ToolError`, whose
``text`` is safe for the model: it has passed the guard, it never carries a server body, and an
unexpected crash reads only "tool X failed". The error is raised outside the ``except`` block
that caught the cause, so no traceback chain holds the original exception either.

Values leave a session toward a model never, and toward a tool only through a handle whose
limits allow it (:mod:`oneclaw_tools.placeholders`). Application code may read a value with the
loudly named :meth:`Session.reveal_unsafe`. Log scrubbing is :mod:`oneclaw_tools.logscrub`,
approvals :mod:`oneclaw_tools.approvals` (over the store of :mod:`oneclaw_tools.hitl`), capture :mod:`oneclaw_tools.capture`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn, Self

import httpx
from pydantic import ValidationError

from . import logscrub, placeholders
from .approvals import ApprovalGate
from .audit import tool_scope
from .backends.base import VaultBackend
from .errors import InvalidArgument, NotFound, OneClawError, ToolCrashed
from .guard import Guard
from .handles import HandleStore
from .hitl.store import HitlStore, store_path
from .models import SecretValue
from .network import Resolver
from .policy import OperatorPolicy
from .run import own_credentials
from .services import Services
from .tools import ALL_TOOLS, ToolSpec
from .validation import utcnow

__all__ = ["Session", "ToolError"]

logger = logging.getLogger("oneclaw_tools.session")

_Failure = tuple[str, int | None, str]


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


def _store_factory(
    backend: VaultBackend, approvals: HitlStore | str | Path | None, clock: Callable[[], datetime]
) -> Callable[[], HitlStore]:
    """Where this session's approvals and secret requests live (opened on first use): the given
    store (the caller closes it) or file, else ``ONECLAW_APPROVALS``, else beside the embedded
    vault file."""
    if isinstance(approvals, HitlStore):
        store = approvals
        return lambda: store
    if approvals is not None:
        path = Path(approvals)
    else:
        vault_file = getattr(backend, "path", None)
        path = store_path(vault_path=vault_file if isinstance(vault_file, Path) else None)
    return lambda: HitlStore(path, clock=clock)


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
        resolver: Resolver | None = None,
        scrub_logs: bool = True,
        approvals: HitlStore | str | Path | None = None,
    ) -> None:
        policy = policy or OperatorPolicy()
        self.services = Services(
            backend,
            policy,
            guard if guard is not None else Guard(),
            vault_id=vault_id,
            clock=clock,
            http_transport=http_transport,
            resolver=resolver,
            hitl_store=_store_factory(backend, approvals, clock),
            owns_hitl_store=not isinstance(approvals, HitlStore),
        )
        # the session's parts, shared with the services (never reassigned)
        self.backend: VaultBackend = backend
        self.policy: OperatorPolicy = self.services.policy
        self.guard: Guard = self.services.guard
        self.handles: HandleStore = self.services.handles
        self.specs: tuple[ToolSpec, ...] = tuple(
            spec
            for spec in ALL_TOOLS
            if (policy.tools is None or spec.name in policy.tools)
            and (spec.read_only or not policy.read_only)
        )
        self._by_name = {spec.name: spec for spec in self.specs}
        for value in own_credentials(os.environ):  # the agent key, the vault key, a PIN, a token
            self.guard.register(value)
        self.approvals = ApprovalGate(self.services, self.guard, policy, self._by_name)
        if scrub_logs:
            logscrub.attach(self)

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> Self:
        """The backend the environment selects (:func:`oneclaw_tools.config.open_backend`)."""
        from .config import open_backend

        backend = open_backend(env)
        if "approvals" not in kwargs:  # ONECLAW_APPROVALS of this environment, not the process's
            vault_file = getattr(backend, "path", None)
            kwargs["approvals"] = store_path(
                env, vault_path=vault_file if isinstance(vault_file, Path) else None
            )
        session = cls(backend, **kwargs)
        for value in own_credentials(os.environ if env is None else env):
            session.guard.register(value)
        return session

    @classmethod
    def remote(
        cls,
        api_key: str | SecretValue | None = None,
        *,
        token: str | SecretValue | None = None,
        base_url: str | None = None,
        vault_id: str | None = None,
        agent_id: str | None = None,
        **kwargs: Any,
    ) -> Self:
        """A session on 1Claw's API, configured in code: an agent key (``ocv_...``) or a ready
        ``token``, the API's ``base_url`` (default 1Claw's), the ``vault_id`` to work in."""
        from .backends.remote import DEFAULT_BASE_URL, OneClawVault

        backend = OneClawVault(
            api_key, token=token, base_url=base_url or DEFAULT_BASE_URL, agent_id=agent_id, vault_id=vault_id
        )
        session = cls(backend, vault_id=vault_id, **kwargs)
        for value in (api_key, token):
            if value is not None:
                session.guard.register(value if isinstance(value, str) else value.reveal_unsafe())
        return session

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
        logscrub.detach(self)  # a closed session's guard no longer scrubs the process's logs
        self.services.close()
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
        failure: _Failure | None = None
        try:
            return self._call(name, {} if args is None else args)
        except OneClawError as exc:
            failure = (exc.for_model(), exc.status, exc.code)
        except Exception as exc:
            logger.warning("tool %s crashed with %s", name, type(exc).__name__)
            crash = ToolCrashed(name)
            failure = (crash.for_model(), crash.status, crash.code)
        self._fail(str(name), failure)

    async def acall(self, name: str, args: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await asyncio.to_thread(self.call, name, args)

    def call_text(self, name: str, args: Mapping[str, Any] | None = None) -> str:
        """What the model receives from a tool: the guarded result as JSON text."""
        return json.dumps(self.call(name, args), ensure_ascii=False, default=str)

    async def acall_text(self, name: str, args: Mapping[str, Any] | None = None) -> str:
        return json.dumps(await self.acall(name, args), ensure_ascii=False, default=str)

    def _call(self, name: str, args: Mapping[str, Any]) -> dict[str, Any]:
        self.handles.sweep()  # an expired handle's plaintext goes at the first moment we run
        spec = self.spec(name)
        if not isinstance(args, Mapping):
            raise InvalidArgument("arguments", "must be a JSON object")
        if not spec.takes_values:
            placeholders.refuse_known_values(self.services, self.guard, args, tool=name)
        try:
            parsed = spec.args_model.model_validate(dict(args))
        except ValidationError as exc:
            first = exc.errors(include_input=False, include_url=False)[0]
            argument = ".".join(str(part) for part in first["loc"]) or "arguments"
            rule = str(first["msg"]).rstrip(".")
            rule = rule[:1].lower() + rule[1:]
            raise InvalidArgument(argument, rule) from None
        vault_id = getattr(parsed, "vault_id", None)
        if isinstance(vault_id, str):
            self.services.vault_for(vault_id)  # out of scope: refused before a human is asked
        if self.policy.needs_approval(name, args):
            self.approvals.check(name, parsed)
        with tool_scope(name):
            result = spec.handler(self.services, parsed)
        scrubbed: dict[str, Any] = self.services.scrub_output(result)
        return scrubbed

    def _fail(self, tool: str, failure: _Failure) -> NoReturn:
        text, status, code = failure
        raise ToolError(self.guard.scrub(text), tool=tool, status=status, code=code)

    # -- third-party tools ---------------------------------------------------------------
    def resolve_placeholders(self, obj: Any, *, tool: str) -> Any:
        """Replace ``{{secret:HANDLE}}`` in strings (recursively) if each handle allows ``tool``."""
        return placeholders.for_tool(self.services, obj, tool=tool)

    def resolve_env(self, variables: Mapping[str, str], *, tool: str) -> dict[str, str]:
        """Environment variables for a process run by ``tool``: each value may be a handle or
        contain placeholders; every handle must allow ``tool``. Application code only."""
        return placeholders.env_for(self.services, variables, tool=tool)

    def _before_wrapped(self, tool: str, args: Mapping[str, Any]) -> dict[str, Any]:
        placeholders.refuse_known_values(self.services, self.guard, args, tool=tool)
        resolved: dict[str, Any] = self.resolve_placeholders(dict(args), tool=tool)
        return resolved

    def run_wrapped(self, tool: str, func: Callable[..., Any], args: Mapping[str, Any]) -> Any:
        """Run a third-party tool with placeholders resolved just in time; scrub its output.

        Refuses arguments that already contain a known value (exfiltration guard). Any failure
        becomes a :class:`ToolError`; a foreign exception shows only its type.
        """
        failure: _Failure | None = None
        try:
            with tool_scope(tool):
                return self.services.scrub_output(func(**self._before_wrapped(tool, args)))
        except OneClawError as exc:
            failure = (exc.for_model(), exc.status, exc.code)
        except Exception as exc:
            failure = self._foreign_failure(tool, exc)
        self._fail(tool, failure)

    async def arun_wrapped(self, tool: str, func: Callable[..., Any], args: Mapping[str, Any]) -> Any:
        failure: _Failure | None = None
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
                return self.services.scrub_output(out)
        except OneClawError as exc:
            failure = (exc.for_model(), exc.status, exc.code)
        except Exception as exc:
            failure = self._foreign_failure(tool, exc)
        self._fail(tool, failure)

    def _foreign_failure(self, tool: str, exc: BaseException) -> _Failure:
        logger.info("wrapped tool %s raised %s", tool, type(exc).__name__)
        return (f"Error (tool_failed): tool {tool} failed ({type(exc).__name__}).", None, "tool_failed")

    # -- the guard -----------------------------------------------------------------------
    def scrub(self, obj: Any) -> Any:
        """Pass anything bound for the model through the guard."""
        return self.guard.scrub_obj(obj)

    def scrub_output(self, obj: Any) -> Any:
        """Scrub a tool's output; with ``policy.capture``, first quarantine detected credentials."""
        return self.services.scrub_output(obj)

    # -- application code ----------------------------------------------------------------
    def vault_for(self, vault_id: str | None) -> str:
        """The vault a call acts on: ``vault_id`` (validated) or the session's default."""
        return self.services.vault_for(vault_id)

    def register_value(self, value: str) -> str:
        """Teach the guard a value the session saw (stored, rotated, a share link)."""
        return self.services.register_value(value)

    def reveal_unsafe(self, handle_id: str) -> str:
        """The plaintext behind a handle, for application code. Never give it to a model."""
        handle = self.handles.get(handle_id)
        self.services.audit("reveal", detail=f"{handle.id} for {handle.path}", path=handle.path)
        return handle.value.reveal_unsafe()
