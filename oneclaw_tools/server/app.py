"""The local 1Claw-compatible REST server (§9 of the 1Claw REST reference) over a LocalVault.

Every request is authenticated (a JWT from ``/v1/auth/*-token``, or a raw ``1ck_`` user
key), mapped to a :class:`~oneclaw_tools.models.Principal` from the server's own principal
store (so a deactivated agent stops at once and the agent's current ``vault_ids`` apply),
and served by ``vault.acting_as(principal)``, which enforces vault bindings and policies.
The vault's owner is never reachable over HTTP.

Secret paths come from a wildcard route: literal ``/``, per-segment escapes and ``%2F`` all
reach the same secret; the version routes take the last segment as the version. Any error
is a ProblemDetails body; an unexpected crash is a generic 500 whose log line names only
the route and the exception type.

The env-vars API (``env_vars.py``) stores variables as secrets under ``__env/``; plain
secret lists leave that prefix out unless the ``prefix`` asks for it, so clients that list a
vault see only their secrets. The secret routes still reach those paths, under the same policies.
Policies and shares are in ``grants.py``, the JSON shapes in ``_render.py``. A body is read
only after the caller is authenticated (401 before 400); a 405 carries ``Allow``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..audit import tool_scope
from ..backends.local import LocalBackend, LocalVault
from ..errors import InvalidArgument, NotAuthenticated, OneClawError
from ..models import Principal, SecretMeta
from ._io import MAX_BODY_BYTES, json_body, problem, problem_for_error, want_int, want_str
from ._render import meta_json, secret_json, vault_json
from .agents import AgentRecord, AgentStore
from .env_vars import EnvVarsApi, is_reserved
from .grants import GrantsApi
from .tokens import TokenIssuer

__all__ = ["create_app"]

log = logging.getLogger("oneclaw_tools.server")
T = TypeVar("T")

_TOOL_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
#: Routes that answer without a token: the token exchanges, the public key, and a share link
#: (which authenticates by its own token, or as its recipient further in).
_PUBLIC = frozenset(
    {"/v1/auth/agent-token", "/v1/auth/api-key-token", "/v1/auth/jwt-public-key", "/v1/share/{share_ref}"}
)
_ANONYMOUS = Principal(type="user", id="anonymous", vault_ids=())
_ENTITLEMENTS = dict.fromkeys(
    ("intents_api", "execution_intents", "execution_require_tee", "intents_require_tee", "cards", "memory",
     "shroud", "discoverable", "treasury_signer", "has_delegations"),
    False,
)  # fmt: skip


def _version_tail(tail: str) -> tuple[str, int]:
    path, _, version = tail.rpartition("/")
    if not path or not version.isdigit() or len(version) > 10:
        raise InvalidArgument("version", "must be the last path segment, a whole number of at least 1")
    return path, int(version)


class _Api:
    def __init__(self, vault: LocalVault, agents: AgentStore, issuer: TokenIssuer, max_body: int) -> None:
        self.root = vault
        self.agents = agents
        self.issuer = issuer
        self.max_body = max_body
        self._secret_index: dict[str, tuple[str, str]] = {}  # secret id -> (vault id, path)

    # -- plumbing ---------------------------------------------------------------------------
    def _principal(self, request: Request, *, optional: bool = False) -> Principal:
        known = getattr(request.state, "principal", None)
        if isinstance(known, Principal):  # authenticated once already, before the handler ran
            return known
        header = request.headers.get("authorization")
        if header is None and optional:
            return _ANONYMOUS
        scheme, _, token = (header or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("a Bearer token is required.", action="Exchange the API key for a token.")
        record: AgentRecord | None
        if token.startswith("1ck_"):
            record = self.agents.authenticate(token, kind="user")
        else:
            claims = self.issuer.verify(token)
            record = self.agents.get(claims.principal_id)
            if record is not None and (record.kind != claims.principal_type or not record.is_active):
                record = None
        if record is None:
            raise NotAuthenticated("the credentials are not valid.")
        return record.principal

    async def _run(
        self, request: Request, work: Callable[[LocalBackend], T], *, optional_auth: bool = False
    ) -> T:
        tool = request.headers.get("x-oneclaw-tool")
        tool = tool if tool and _TOOL_RE.fullmatch(tool) else None

        def job() -> T:
            backend = self.root.acting_as(self._principal(request, optional=optional_auth))
            with tool_scope(tool):
                return work(backend)

        return await run_in_threadpool(job)

    async def _body(self, request: Request, allowed: tuple[str, ...], required: tuple[str, ...] = (),
                    optional: bool = False, authenticate: bool = False) -> dict[str, Any]:  # fmt: skip
        """The JSON body. Routes are authenticated before their handler runs (``create_app``);
        ``authenticate`` does it here for a public route whose caller turns out to need it."""
        if authenticate:
            await run_in_threadpool(self._principal, request)
        return await json_body(request, allowed=allowed, required=required, optional_body=optional,
                               max_bytes=self.max_body)  # fmt: skip

    def _remember(self, meta: SecretMeta) -> None:
        if len(self._secret_index) > 100_000:
            self._secret_index.clear()
        self._secret_index[meta.id] = (meta.vault_id, meta.path)

    # -- auth ---------------------------------------------------------------------------------
    async def agent_token(self, request: Request) -> Response:
        data = await self._body(request, ("api_key", "agent_id", "dpop_jwk"), ("api_key",))
        api_key, agent_id = want_str(data, "api_key"), want_str(data, "agent_id")
        return await self._exchange(str(api_key), agent_id, "agent")

    async def api_key_token(self, request: Request) -> Response:
        data = await self._body(request, ("api_key",), ("api_key",))
        return await self._exchange(str(want_str(data, "api_key")), None, "user")

    async def _exchange(self, api_key: str, agent_id: str | None, kind: str) -> Response:
        def job() -> AgentRecord | None:
            return self.agents.authenticate(api_key, kind="agent" if kind == "agent" else "user")

        record = await run_in_threadpool(job)
        if record is None or (agent_id is not None and agent_id != record.id):
            raise NotAuthenticated("the API key (or agent id) is not valid.")
        token, expires_in = self.issuer.issue(record.principal)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
        if record.kind == "agent":
            body.update(
                agent_id=record.id, vault_ids=list(record.vault_ids or ()), entitlements=_ENTITLEMENTS
            )
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def public_key(self, request: Request) -> Response:
        return JSONResponse({"alg": "EdDSA", "public_key_base64": self.issuer.public_key_base64()})

    async def me(self, request: Request) -> Response:
        principal = await self._run(request, lambda b: b.principal)
        record = await run_in_threadpool(self.agents.get, principal.id)
        if record is None:
            raise NotAuthenticated("the credentials are not valid.")
        return JSONResponse(
            {"id": record.id, "name": record.name, "org_id": "local", "scopes": [], "is_active": record.is_active,
             "created_at": record.created_at, "vault_ids": list(record.vault_ids or ())}
        )  # fmt: skip

    # -- vaults -------------------------------------------------------------------------------
    async def vaults(self, request: Request) -> Response:
        if request.method == "GET":
            vaults = await self._run(request, lambda b: b.list_vaults())
            return JSONResponse({"vaults": [vault_json(v) for v in vaults]})
        data = await self._body(request, ("name", "description", "mpc_custody"), ("name",))
        if data.get("mpc_custody") is not None:
            raise InvalidArgument("mpc_custody", "is not supported by the local server")
        name, desc = want_str(data, "name"), want_str(data, "description", default="")
        vault = await self._run(request, lambda b: b.create_vault(str(name), desc or ""))
        return JSONResponse(vault_json(vault), status_code=201)

    async def vault(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        if request.method == "DELETE":
            await self._run(request, lambda b: b.delete_vault(vault_id))
            return Response(status_code=204)
        return JSONResponse(vault_json(await self._run(request, lambda b: b.get_vault(vault_id))))

    # -- secrets ------------------------------------------------------------------------------
    async def list_secrets(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        prefix = request.query_params.get("prefix", "")
        metas = await self._run(request, lambda b: b.list_secrets(vault_id, prefix))
        if not prefix.startswith("__env"):  # the env-vars store shows only when asked for by prefix
            metas = [m for m in metas if not is_reserved(m.path)]
        for m in metas:
            self._remember(m)
        return JSONResponse({"secrets": [meta_json(m) for m in metas]})

    async def secret(self, request: Request) -> Response:
        vault_id, path = request.path_params["vault_id"], request.path_params["path"]
        if request.method == "GET":
            secret = await self._run(request, lambda b: b.get_secret(vault_id, path))
            self._remember(secret.meta)
            return JSONResponse(secret_json(secret), headers={"Cache-Control": "no-store"})
        if request.method == "DELETE":
            await self._run(request, lambda b: b.delete_secret(vault_id, path))
            return Response(status_code=204)
        data = await self._body(
            request,
            ("value", "type", "metadata", "expires_at", "max_access_count", "rotation_policy", "description"),
            ("value",),
        )
        value = want_str(data, "value")
        type_ = want_str(data, "type", default="generic")
        metadata = data.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidArgument("metadata", "must be a JSON object")
        expires_at = want_str(data, "expires_at")
        max_access = want_int(data, "max_access_count", default=0)
        want_str(data, "description")  # lc/crew send it; accepted and ignored
        meta = await self._run(
            request,
            lambda b: b.put_secret(vault_id, path, str(value), type=str(type_), metadata=metadata,
                                   expires_at=expires_at, max_access_count=max_access or 0),
        )  # fmt: skip
        self._remember(meta)
        return JSONResponse(meta_json(meta), status_code=201)

    async def versions(self, request: Request) -> Response:
        vault_id, path = request.path_params["vault_id"], request.path_params["path"]
        metas = await self._run(request, lambda b: b.list_versions(vault_id, path))
        return JSONResponse({"versions": [meta_json(m) for m in metas]})

    async def version(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        path, version = _version_tail(request.path_params["path"])
        secret = await self._run(request, lambda b: b.get_secret(vault_id, path, version))
        return JSONResponse(secret_json(secret), headers={"Cache-Control": "no-store"})

    async def disable(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        path, version = _version_tail(request.path_params["path"])
        await self._run(request, lambda b: b.disable_version(vault_id, path, version))
        return Response(status_code=204)

    async def rotate(self, request: Request) -> Response:
        vault_id, path = request.path_params["vault_id"], request.path_params["path"]
        data = await self._body(request, ("length", "charset", "type"), optional=True)
        length = want_int(data, "length", default=32)
        charset = want_str(data, "charset", default="hex")
        type_ = want_str(data, "type")
        meta = await self._run(
            request,
            lambda b: b.rotate_secret(vault_id, path, length=length or 0, charset=str(charset), type=type_),
        )
        self._remember(meta)
        return JSONResponse(meta_json(meta), status_code=201)


def _guarded(
    name: str, fn: Callable[[Request], Awaitable[Response]], authenticate: Callable[[Request], Any] | None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            if authenticate is not None:  # 401 before any check of the path, query or body
                request.state.principal = await run_in_threadpool(authenticate, request)
            return await fn(request)
        except OneClawError as exc:
            return problem_for_error(exc)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening any more
        except Exception as exc:
            log.error("unhandled %s in route %s", type(exc).__name__, name)
            return problem(500, "An unexpected error occurred")

    endpoint.__name__ = name
    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = {404: "no such route.", 405: "method not allowed on this route."}.get(status, "request failed.")
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    return problem(status, detail, headers={k: v for k, v in headers.items() if k.lower() == "allow"} or None)


def create_app(
    vault: LocalVault, agents: AgentStore, issuer: TokenIssuer, *, max_body: int = MAX_BODY_BYTES
) -> Starlette:
    """The ASGI app. ``vault`` is the owner's LocalVault; requests act through ``acting_as``."""
    api = _Api(vault, agents, issuer, max_body)
    v = "/v1/vaults/{vault_id}"
    table: list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]] = [
        ("/v1/auth/agent-token", api.agent_token, ["POST"]),
        ("/v1/auth/api-key-token", api.api_key_token, ["POST"]),
        ("/v1/auth/jwt-public-key", api.public_key, ["GET"]),
        ("/v1/agents/me", api.me, ["GET"]),
        ("/v1/vaults", api.vaults, ["GET", "POST"]),
        (v, api.vault, ["GET", "DELETE"]),
        (v + "/secrets", api.list_secrets, ["GET"]),
        (v + "/secrets/{path:path}", api.secret, ["GET", "PUT", "DELETE"]),
        (v + "/secret-versions/{path:path}", api.versions, ["GET"]),
        (v + "/secret-version/{path:path}", api.version, ["GET"]),
        (v + "/secret-version-disable/{path:path}", api.disable, ["POST"]),
        (v + "/secret-rotate/{path:path}", api.rotate, ["POST"]),
        *GrantsApi(api).routes(v),
        *EnvVarsApi(api).routes(v),
    ]
    routes = [
        Route(path, _guarded(fn.__name__, fn, None if path in _PUBLIC else api._principal), methods=methods)
        for path, fn, methods in table
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
