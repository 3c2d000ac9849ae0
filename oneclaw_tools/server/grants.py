"""Policies and shares: the routes through which someone else gets access to a secret.

``/v1/vaults/{id}/policies`` (list, create, ``PUT`` update, delete) and the sharing routes
(create, open, revoke, accept/decline, inbound/outbound lists). A link share's id in the
create answer is ``<id>.<token>``: it opens the share (``GET /v1/share/{id}``, as 1Claw's id
does) and is shown once, like the link; lists show the bare id, which revokes but does not
open. Every handler runs as the request's principal through the server's host object.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..backends._calls import SHARE_TOKEN_HEADER
from ..backends.local import LocalBackend
from ..errors import InvalidArgument, NotFound
from ..models import SecretMeta, ShareInfo
from ._io import want_int, want_str
from ._render import policy_json, share_json

__all__ = ["GrantsApi"]

T = TypeVar("T")
_SHARE_REF = re.compile(r"([0-9a-f-]{36})(?:\.([A-Za-z0-9_-]{20,128}))?")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,128}")
_LINK_URL = re.compile(r"oneclaw://share/([0-9a-f-]{36})#([A-Za-z0-9_-]{20,128})")


class _Host(Protocol):
    """What these routes need from the server's API object (``app._Api``)."""

    _secret_index: dict[str, tuple[str, str]]

    async def _run(
        self, request: Request, work: Callable[[LocalBackend], T], *, optional_auth: bool = False
    ) -> T: ...

    async def _body(self, request: Request, allowed: tuple[str, ...], required: tuple[str, ...] = (),
                    optional: bool = False, authenticate: bool = False) -> dict[str, Any]: ...  # fmt: skip

    def _remember(self, meta: SecretMeta) -> None: ...


class GrantsApi:
    """The policy and share route handlers."""

    def __init__(self, host: _Host) -> None:
        self.host = host
        self._run = host._run
        self._body = host._body
        self._remember = host._remember
        self._secret_index = host._secret_index

    def routes(self, prefix: str) -> list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]]:
        """``(path, handler, methods)`` rows for ``create_app``."""
        return [
            (prefix + "/policies", self.policies, ["GET", "POST"]),
            (prefix + "/policies/{policy_id}", self.policy, ["PUT", "DELETE"]),
            ("/v1/secrets/{secret_id}/share", self.create_share, ["POST"]),
            ("/v1/share/{share_ref}", self.share, ["GET", "DELETE"]),
            ("/v1/shares/{share_id}/{answer}", self.answer_share, ["POST"]),
            ("/v1/shares/{direction}", self.share_list, ["GET"]),
        ]

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
        data = await self._body(request, ("passphrase",), optional=True, authenticate=token is None)
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
