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
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..audit import tool_scope
from ..backends._calls import SHARE_TOKEN_HEADER
from ..backends.local import LocalBackend, LocalVault
from ..errors import InvalidArgument, NotAuthenticated, NotFound, OneClawError
from ..models import PolicyInfo, Principal, Secret, SecretMeta, ShareInfo, VaultInfo
from ._io import MAX_BODY_BYTES, json_body, problem, problem_for_error, want_int, want_str
from .agents import AgentRecord, AgentStore
from .env_vars import EnvVarsApi, is_reserved
from .tokens import TokenIssuer

__all__ = ["create_app"]

log = logging.getLogger("oneclaw_tools.server")
T = TypeVar("T")

_TOOL_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_SHARE_REF = re.compile(r"([0-9a-f-]{36})(?:\.([A-Za-z0-9_-]{20,128}))?")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,128}")
_LINK_URL = re.compile(r"oneclaw://share/([0-9a-f-]{36})#([A-Za-z0-9_-]{20,128})")
_ANONYMOUS = Principal(type="user", id="anonymous", vault_ids=())
_ENTITLEMENTS = dict.fromkeys(
    ("intents_api", "execution_intents", "execution_require_tee", "intents_require_tee", "cards", "memory",
     "shroud", "discoverable", "treasury_signer", "has_delegations"),
    False,
)  # fmt: skip


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def vault_json(v: VaultInfo) -> dict[str, Any]:
    creator_type = v.created_by.partition(":")[0] if ":" in v.created_by else "user"
    return {
        "id": v.id, "name": v.name, "description": v.description, "created_by": v.created_by,
        "created_by_type": creator_type, "created_at": _iso(v.created_at), "cmek_enabled": False,
    }  # fmt: skip


def meta_json(m: SecretMeta) -> dict[str, Any]:
    return {
        "id": m.id, "vault_id": m.vault_id, "path": m.path, "type": m.type, "version": m.version,
        "metadata": m.metadata, "created_by": m.created_by, "created_at": _iso(m.created_at),
        "expires_at": _iso(m.expires_at), "max_access_count": m.max_access_count,
        "access_count": m.access_count, "is_disabled": m.is_disabled,
    }  # fmt: skip


def secret_json(s: Secret) -> dict[str, Any]:
    body = meta_json(s.meta)
    body["value"] = s.value.reveal_unsafe()  # the one place a value leaves the server: the response
    body["cmek_encrypted"] = False
    return body


def policy_json(p: PolicyInfo) -> dict[str, Any]:
    return {
        "id": p.id, "vault_id": p.vault_id, "principal_type": p.principal_type, "principal_id": p.principal_id,
        "secret_path_pattern": p.secret_path_pattern, "permissions": list(p.permissions), "effect": p.effect,
        "priority": 0, "conditions": None, "created_by": p.created_by, "created_by_type": "user",
        "created_at": _iso(p.created_at), "expires_at": _iso(p.expires_at),
    }  # fmt: skip


def share_json(s: ShareInfo, now: datetime | None = None) -> dict[str, Any]:
    return {
        "id": s.id, "secret_id": s.secret_id, "vault_id": s.vault_id, "secret_path": s.path,
        "recipient_type": s.recipient_type, "recipient_id": s.recipient_id, "recipient_email": s.email,
        "expires_at": _iso(s.expires_at), "max_access_count": s.max_access_count,
        "access_count": s.access_count, "created_by": s.created_by, "created_at": _iso(s.created_at),
        "is_accepted": s.is_accepted,
        "is_expired": bool(now and s.expires_at and s.expires_at <= now),
    }  # fmt: skip


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
                    optional: bool = False, public: bool = False) -> dict[str, Any]:  # fmt: skip
        """The JSON body; the caller is authenticated first (401 before 400) unless ``public``."""
        if not public:
            await run_in_threadpool(self._principal, request)
        return await json_body(request, allowed=allowed, required=required, optional_body=optional,
                               max_bytes=self.max_body)  # fmt: skip

    def _remember(self, meta: SecretMeta) -> None:
        if len(self._secret_index) > 100_000:
            self._secret_index.clear()
        self._secret_index[meta.id] = (meta.vault_id, meta.path)

    # -- auth ---------------------------------------------------------------------------------
    async def agent_token(self, request: Request) -> Response:
        data = await self._body(request, ("api_key", "agent_id", "dpop_jwk"), ("api_key",), public=True)
        api_key, agent_id = want_str(data, "api_key"), want_str(data, "agent_id")
        return await self._exchange(str(api_key), agent_id, "agent")

    async def api_key_token(self, request: Request) -> Response:
        data = await self._body(request, ("api_key",), ("api_key",), public=True)
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

    # -- policies -----------------------------------------------------------------------------
    async def policies(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        if request.method == "GET":
            items = await self._run(request, lambda b: b.list_policies(vault_id))
            return JSONResponse({"policies": [policy_json(p) for p in items]})
        data = await self._body(
            request,
            ("principal_type", "principal_id", "secret_path_pattern", "permissions", "expires_at", "effect",
             "priority", "conditions", "policy_schema_version"),
            ("principal_type", "principal_id", "secret_path_pattern", "permissions"),
        )  # fmt: skip
        if want_str(data, "effect", default="allow") != "allow":
            raise InvalidArgument("effect", "only 'allow' is supported by the local server")
        if data.get("conditions"):
            raise InvalidArgument("conditions", "are not supported by the local server")
        want_int(data, "priority")
        want_int(data, "policy_schema_version")
        ptype, pid = want_str(data, "principal_type"), want_str(data, "principal_id")
        pattern, expires = want_str(data, "secret_path_pattern"), want_str(data, "expires_at")
        perms = data.get("permissions")
        if not isinstance(perms, list):
            raise InvalidArgument("permissions", "must be a list of permission names")
        policy = await self._run(
            request,
            lambda b: b.create_policy(vault_id, principal_type=str(ptype), principal_id=str(pid),
                                      secret_path_pattern=str(pattern), permissions=perms, expires_at=expires),
        )  # fmt: skip
        return JSONResponse(policy_json(policy), status_code=201)

    async def policy(self, request: Request) -> Response:
        vault_id, policy_id = request.path_params["vault_id"], request.path_params["policy_id"]
        if request.method == "DELETE":
            await self._run(request, lambda b: b.delete_policy(vault_id, policy_id))
            return Response(status_code=204)
        data = await self._body(
            request, ("permissions", "conditions", "expires_at", "secret_path_pattern", "effect", "priority")
        )
        if want_str(data, "effect", default="allow") != "allow":
            raise InvalidArgument("effect", "only 'allow' is supported by the local server")
        if data.get("conditions"):
            raise InvalidArgument("conditions", "are not supported by the local server")
        want_int(data, "priority")
        perms = data.get("permissions")
        if perms is not None and not isinstance(perms, list):
            raise InvalidArgument("permissions", "must be a list of permission names")
        pattern, expires = want_str(data, "secret_path_pattern"), want_str(data, "expires_at")
        policy = await self._run(
            request,
            lambda b: b.update_policy(vault_id, policy_id, permissions=perms, secret_path_pattern=pattern,
                                      expires_at=expires),
        )  # fmt: skip
        return JSONResponse(policy_json(policy))

    # -- shares -------------------------------------------------------------------------------
    def _locate(self, backend: LocalBackend, secret_id: str) -> tuple[str, str]:
        known = self._secret_index.get(secret_id)
        if known is not None:
            return known
        for vault in backend.list_vaults():
            for meta in backend.list_secrets(vault.id):
                self._remember(meta)
                if meta.id == secret_id:
                    return meta.vault_id, meta.path
        raise NotFound("secret not found.", action="Check the secret id with list_secrets.")

    async def create_share(self, request: Request) -> Response:
        secret_id = request.path_params["secret_id"]
        data = await self._body(
            request,
            ("recipient_type", "expires_at", "recipient_id", "email", "permissions", "max_access_count",
             "passphrase", "ip_allowlist"),
            ("recipient_type", "expires_at"),
        )  # fmt: skip
        if data.get("ip_allowlist"):
            raise InvalidArgument("ip_allowlist", "is not supported by the local server")
        perms = data.get("permissions")
        if perms is not None and perms != ["read"]:
            raise InvalidArgument("permissions", "a share grants read only")
        rtype, expires = want_str(data, "recipient_type"), want_str(data, "expires_at")
        rid, email, passphrase = (
            want_str(data, "recipient_id"),
            want_str(data, "email"),
            want_str(data, "passphrase"),
        )
        max_access = want_int(data, "max_access_count", default=0)

        def work(b: LocalBackend) -> ShareInfo:
            vault_id, path = self._locate(b, secret_id)
            share = b.create_share(
                vault_id, path, recipient_type=str(rtype), expires_at=str(expires), email=email,
                recipient_id=rid, max_access_count=max_access or 0, passphrase=passphrase,
            )  # fmt: skip
            if share.secret_id != secret_id:  # the path was deleted and stored again since
                b.revoke_share(share.id)
                self._secret_index.pop(secret_id, None)
                raise NotFound("secret not found.", action="Check the secret id with list_secrets.")
            return share

        share = await self._run(request, work)
        body = share_json(share)
        base = str(request.base_url).rstrip("/")
        link = _LINK_URL.fullmatch(share.share_url.reveal_unsafe()) if share.share_url else None
        ref = f"{link.group(1)}.{link.group(2)}" if link else share.id
        body["share_url"] = f"{base}/v1/share/{ref}"
        if share.recipient_type == "anyone_with_link":
            body["id"] = ref  # a link share's id opens it (GET /v1/share/{id}), as 1Claw's is: shown once
        return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})

    async def share(self, request: Request) -> Response:
        match = _SHARE_REF.fullmatch(request.path_params["share_ref"])
        if match is None:
            raise NotFound("share not found (unknown or revoked).")
        share_id, token = match.group(1), match.group(2)
        header_token = request.headers.get(SHARE_TOKEN_HEADER)
        if token is None and header_token and _TOKEN_RE.fullmatch(header_token):
            token = header_token  # the remote client sends it here, out of the URL
        if request.method == "DELETE":
            await self._run(request, lambda b: b.revoke_share(share_id))
            return Response(status_code=204)
        data = await self._body(request, ("passphrase",), optional=True, public=token is not None)
        passphrase = want_str(data, "passphrase")
        ref = f"oneclaw://share/{share_id}#{token}" if token else share_id
        secret = await self._run(
            request, lambda b: b.access_share(ref, passphrase), optional_auth=token is not None
        )
        m = secret.meta
        return JSONResponse(
            {"id": m.id, "path": m.path, "type": m.type, "value": secret.value.reveal_unsafe(),
             "version": m.version, "access_count": m.access_count, "max_access_count": m.max_access_count},
            headers={"Cache-Control": "no-store"},
        )  # fmt: skip

    async def answer_share(self, request: Request) -> Response:
        share_id, answer = request.path_params["share_id"], request.path_params["answer"]
        if answer == "accept":
            await self._run(request, lambda b: b.accept_share(share_id))
        elif answer == "decline":
            await self._run(request, lambda b: b.decline_share(share_id))
        else:
            raise NotFound("no such route.")
        return Response(status_code=204)

    async def share_list(self, request: Request) -> Response:
        direction = request.path_params["direction"]
        if direction == "inbound":
            items = await self._run(request, lambda b: b.list_inbound_shares())
        elif direction == "outbound":
            items = await self._run(request, lambda b: b.list_outbound_shares())
        else:
            raise NotFound("no such route.")
        now = datetime.now(UTC)
        return JSONResponse({"shares": [share_json(s, now) for s in items]})


def _guarded(
    name: str, fn: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
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
        (v + "/policies", api.policies, ["GET", "POST"]),
        (v + "/policies/{policy_id}", api.policy, ["PUT", "DELETE"]),
        ("/v1/secrets/{secret_id}/share", api.create_share, ["POST"]),
        ("/v1/share/{share_ref}", api.share, ["GET", "DELETE"]),
        ("/v1/shares/{share_id}/{answer}", api.answer_share, ["POST"]),
        ("/v1/shares/{direction}", api.share_list, ["GET"]),
        *EnvVarsApi(api).routes(v),
    ]
    routes = [Route(path, _guarded(fn.__name__, fn), methods=methods) for path, fn, methods in table]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
