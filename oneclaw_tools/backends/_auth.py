"""Token exchange and refresh for the 1Claw API, as one :class:`httpx.Auth`.

An ``ocv_`` agent key is traded at ``POST /v1/auth/agent-token`` and a ``1ck_`` user key at
``POST /v1/auth/api-key-token`` for a short-lived JWT. The token is refreshed before it
expires (60 s early, or a fifth of its lifetime when that is shorter) and re-exchanged once
when the server answers 401 (or a 403 whose detail says the token's scopes are stale, as
1Claw's MCP server does). A token the server refused is dropped at once, so an expired token
is never sent twice.

A static token (``ONECLAW_AGENT_TOKEN``, as 1Claw's MCP server takes it) is sent as it is:
there is nothing to exchange it with, so a 401 reaches the caller as ``NotAuthenticated``.
The agent id and vault ids are read from its (unverified) claims, only to pick defaults.

The flow is written once, in :meth:`VaultTokenAuth._flow`. It yields requests to send and
two markers that take and release a lock around the exchange, so that concurrent requests
share one exchange (the client is synchronous: concurrent requests come from threads).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import NotAuthenticated, ServerError
from ..models import SecretValue
from ._http import NotSent, error_from_response

__all__ = ["VaultTokenAuth"]

_LOCK = object()
_UNLOCK = object()
_DEFAULT_LIFETIME = 300.0  # when the server gives neither expires_in nor a readable exp
_STALE_SCOPE_HINTS = ("no scopes", "scopes do not cover", "token has been revoked")

_Step = Any  # httpx.Request | _LOCK | _UNLOCK


@dataclass(frozen=True, slots=True)
class _Token:
    value: SecretValue
    refresh_at: float


def _jwt_claims(token: str) -> dict[str, Any]:
    """The unverified payload of a JWT (the server verifies; we only schedule and pick defaults)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, TypeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _jwt_lifetime(token: str) -> float | None:
    """``exp - iat`` from an unverified JWT payload."""
    claims = _jwt_claims(token)
    try:
        lifetime = float(claims["exp"]) - float(claims["iat"])
    except (ValueError, KeyError, TypeError):
        return None
    return lifetime if lifetime > 0 else None


class VaultTokenAuth(httpx.Auth):
    """Bearer auth that exchanges an API key for a JWT and keeps it fresh.

    ``clock`` is injectable (seconds, monotonic or wall: only differences are used).
    """

    def __init__(
        self,
        api_key: SecretValue | None,
        *,
        base_url: str,
        agent_id: str | None = None,
        clock: Callable[[], float],
        refresh_margin: float = 60.0,
        static_token: SecretValue | None = None,
    ) -> None:
        if (api_key is None) == (static_token is None):
            raise ValueError("give an API key or a static token, not both")
        self._api_key = api_key or SecretValue("")
        self._user_key = api_key is not None and api_key.reveal_unsafe().startswith("1ck_")
        self._token_url = httpx.URL(base_url.rstrip("/") + "/").join(
            "v1/auth/api-key-token" if self._user_key else "v1/auth/agent-token"
        )
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._token: _Token | None = None
        self._sync_lock = threading.Lock()
        self.agent_id: str | None = agent_id
        self.vault_ids: tuple[str, ...] | None = None
        self.exchanges = 0  # how many tokens were obtained (for tests and diagnostics)
        self._static = static_token is not None
        if static_token is not None:
            self._token = _Token(static_token, float("inf"))
            claims = _jwt_claims(static_token.reveal_unsafe())
            sub = claims.get("sub")
            if agent_id is None and isinstance(sub, str) and sub.startswith("agent:"):
                self.agent_id = sub.removeprefix("agent:")
            ids = claims.get("vault_ids")
            if isinstance(ids, list) and all(isinstance(v, str) for v in ids):
                self.vault_ids = tuple(ids)

    @property
    def is_user_key(self) -> bool:
        return self._user_key

    def __repr__(self) -> str:
        return f"VaultTokenAuth(agent_id={self.agent_id!r}, user_key={self._user_key})"

    # -- the flow, written once -----------------------------------------------------------
    def _fresh(self) -> _Token | None:
        token = self._token
        if token is not None and self._clock() < token.refresh_at:
            return token
        return None

    def _token_request(self, original: httpx.Request) -> httpx.Request:
        body: dict[str, str] = {"api_key": self._api_key.reveal_unsafe()}
        if self.agent_id and not self._user_key:
            body["agent_id"] = self.agent_id
        headers = {k: v for k, v in original.headers.items() if k.lower() in ("user-agent", "accept")}
        # carry the caller's timeouts: a bare Request would have none
        return httpx.Request(
            "POST", self._token_url, json=body, headers=headers, extensions=dict(original.extensions)
        )

    def _accept(self, response: httpx.Response, started: float) -> _Token:
        if response.status_code != 200:
            if response.status_code in (400, 401, 403, 404):
                raise NotAuthenticated("The vault rejected the API key (token exchange failed).")
            raise NotSent(error_from_response(response, "token exchange"))
        try:
            data = response.json()
            access = data["access_token"]
            if not isinstance(access, str) or not access:
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise NotSent(
                ServerError("token exchange: the vault's answer could not be read.", status=502)
            ) from None
        lifetime: float | None = None
        expires_in = data.get("expires_in")
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
            lifetime = float(expires_in)
        jwt_life = _jwt_lifetime(access)
        if jwt_life is not None:
            lifetime = jwt_life if lifetime is None else min(lifetime, jwt_life)
        if lifetime is None:
            lifetime = _DEFAULT_LIFETIME
        agent_id = data.get("agent_id")
        if isinstance(agent_id, str) and agent_id:
            self.agent_id = agent_id
        vault_ids = data.get("vault_ids")
        if isinstance(vault_ids, list) and all(isinstance(v, str) for v in vault_ids):
            self.vault_ids = tuple(vault_ids)
        self.exchanges += 1
        margin = min(self._refresh_margin, lifetime / 5)
        return _Token(SecretValue(access), started + lifetime - margin)

    def _needs_reexchange(self, response: httpx.Response) -> bool:
        if response.status_code == 401:
            return True
        if response.status_code != 403:
            return False
        try:
            detail = response.json().get("detail", "")
        except (ValueError, AttributeError):
            return False
        return isinstance(detail, str) and any(h in detail.lower() for h in _STALE_SCOPE_HINTS)

    def _obtain(self, request: httpx.Request, stale: _Token | None) -> Generator[_Step, Any, _Token]:
        """Under the lock: reuse a token another request just got, else exchange."""
        yield _LOCK
        if stale is not None and self._token is stale:
            self._token = None  # the server refused it: never send it again
        token = self._fresh()
        if token is None:
            started = self._clock()
            response = yield self._token_request(request)
            token = self._accept(response, started)
            self._token = token
        yield _UNLOCK
        return token

    def _flow(self, request: httpx.Request) -> Generator[_Step, Any, None]:
        token = self._fresh()
        if token is None:
            token = yield from self._obtain(request, None)
        request.headers["Authorization"] = "Bearer " + token.value.reveal_unsafe()
        response = yield request
        if not self._static and self._needs_reexchange(response):
            token = yield from self._obtain(request, token)
            request.headers["Authorization"] = "Bearer " + token.value.reveal_unsafe()
            yield request

    # -- drivers ----------------------------------------------------------------------------
    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        flow = self._flow(request)
        held = False
        try:
            step = next(flow)
            while True:
                if step is _LOCK:
                    self._sync_lock.acquire()
                    held = True
                    step = flow.send(None)
                elif step is _UNLOCK:
                    self._sync_lock.release()
                    held = False
                    step = flow.send(None)
                else:
                    response = yield step
                    response.read()
                    step = flow.send(response)
        except StopIteration:
            return
        finally:
            if held:
                self._sync_lock.release()
            flow.close()
