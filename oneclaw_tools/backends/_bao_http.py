"""The OpenBao / HashiCorp Vault HTTP client: addresses, authentication, retries, errors.

Built on httpx (a core dependency already) rather than hvac: the backend needs to know, for
every failed request, whether it was *sent* (a connect error never reached the server, so
any request may go to the next address) or may have been *applied* (a dropped connection
or a 5xx after the request went out). hvac wraps requests' exceptions and copies server
bodies into its messages; here a server body is never copied into an error text, and the
token exchange and renewal live in one :class:`httpx.Auth` flow, as in the remote client.

Rules:

* ``addresses``: one or more node addresses (``BAO_ADDR`` may list several, comma
  separated), https, or plain http only toward loopback unless the operator allows it. A
  request that was not sent goes to the next address; the last address that answered is
  tried first.
* Any request answered 307/308 (a standby with no active node), 412 (index not reached), 429,
  or 400/503 saying the node did not handle it (sealed, no active node, a KV mount still
  upgrading) is retried, on the next address for a redirect or a 5xx.
* Reads (GET, LIST) and idempotent writes (a PATCH or PUT that sets, a DELETE) are also
  retried on connection loss and 5xx. Every retry backs off with jitter, until ``deadline``
  seconds have passed (long enough for a Raft election).
* A write that may have been applied raises :class:`~oneclaw_tools.errors.OutcomeUnknown`.
  The KV layer (:mod:`._bao_kv`) makes its writes idempotent (check-and-set plus a write id)
  and resolves such outcomes by reading back; nothing else repeats a write blindly.
* Read-your-writes across a cluster: OpenBao's standbys answer reads from their own, possibly
  lagging, copy. Every answer carries ``X-Vault-Index``; the client sends back the highest
  index it has seen with ``X-Vault-Inconsistent: forward-active-node``, so a node that has
  not caught up forwards the request to the active node (a 412 is retried).
* Authentication: a token, or AppRole (``role_id``/``secret_id``). A renewable token is
  renewed once two thirds of its TTL have passed; an AppRole login is redone when the token
  can no longer be renewed or is refused (403), and the refused request is sent once more
  (a 403 means Vault did not apply it).
"""

from __future__ import annotations

import base64
import copy
import json as jsonlib
import logging
import random
import threading
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

import httpx

from ..errors import (
    InvalidArgument,
    NotAuthenticated,
    NotFound,
    OneClawError,
    OutcomeUnknown,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
)
from ..network import is_loopback_url

__all__ = ["BaoAuth", "BaoClient", "CasMismatch"]

log = logging.getLogger("oneclaw_tools.openbao")

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_READS = frozenset({"GET", "LIST"})
#: answers from a node that did not handle the request: a redirect (a standby without an active
#: node to forward to; redirects are never followed, a token must not travel to another host),
#: a consistency index not reached yet, a rate limit
_NOT_HANDLED = frozenset({307, 308, 412, 429})


class CasMismatch(OneClawError):
    """A check-and-set write lost to another writer (internal: the KV layer retries)."""

    status = 409
    code = "conflict"


class BaoAuth(httpx.Auth):
    """``X-Vault-Token`` on every request; AppRole login and token renewal when needed."""

    requires_response_body = True

    def __init__(
        self,
        *,
        token: str | None = None,
        role_id: str | None = None,
        secret_id: str | None = None,
        approle_mount: str = "approle",
        lookup: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if token is None and not (role_id and secret_id):
            raise InvalidArgument("token", "give a token, or an AppRole role_id and secret_id")
        self._token = token
        self._role = (role_id, secret_id) if role_id and secret_id else None
        self._approle_mount = approle_mount
        self._clock = clock
        self._lock = threading.Lock()
        self._renew_at: float | None = None  # None: never renew (root or non-renewable token)
        self._checked = token is None or not lookup  # a given token's TTL is looked up once
        self.logins = 0
        self.renewals = 0

    def __repr__(self) -> str:
        return f"BaoAuth(approle={self._role is not None})"

    def _base(self, request: httpx.Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc.decode()}"

    def _login_request(self, base: str) -> httpx.Request:
        assert self._role is not None
        role_id, secret_id = self._role
        return httpx.Request(
            "POST",
            f"{base}/v1/auth/{self._approle_mount}/login",
            json={"role_id": role_id, "secret_id": secret_id},
        )

    def _take(self, auth: dict[str, Any]) -> None:
        self._token = str(auth["client_token"])
        ttl = float(auth.get("lease_duration") or 0)
        self._renew_at = self._clock() + ttl * 2 / 3 if ttl and auth.get("renewable") else None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        base = self._base(request)
        with self._lock:
            need_login = self._token is None
            check = not self._checked
            renew = self._renew_at is not None and self._clock() >= self._renew_at
        if need_login:
            yield from self._login(base)
        elif check:
            look = httpx.Request("GET", f"{base}/v1/auth/token/lookup-self", headers=self._headers())
            response = yield look
            with self._lock:
                self._checked = True
                if response.status_code == 200:
                    data = response.json().get("data") or {}
                    ttl = float(data.get("ttl") or 0)
                    self._renew_at = self._clock() + ttl * 2 / 3 if ttl and data.get("renewable") else None
        elif renew:
            renewal = httpx.Request(
                "POST", f"{base}/v1/auth/token/renew-self", headers=self._headers(), json={}
            )
            response = yield renewal
            if response.status_code == 200:
                with self._lock:
                    self._take(response.json()["auth"])
                    self.renewals += 1
            elif self._role is not None:
                yield from self._login(base)
        request.headers["X-Vault-Token"] = self._token or ""
        response = yield request
        if response.status_code == 403 and self._role is not None:
            yield from self._login(base)
            request.headers["X-Vault-Token"] = self._token or ""
            yield request

    def _login(self, base: str) -> Generator[httpx.Request, httpx.Response, None]:
        if self._role is None:
            raise NotAuthenticated("the vault token can no longer be renewed.")
        response = yield self._login_request(base)
        if response.status_code != 200:
            raise NotAuthenticated("the AppRole login was refused (check the role id and secret id).")
        with self._lock:
            self._take(response.json()["auth"])
            self._checked = True
            self.logins += 1

    def _headers(self) -> dict[str, str]:
        return {"X-Vault-Token": self._token or ""}


def _error(status: int, errors: list[str], what: str) -> OneClawError:
    """The typed error for a Vault answer; the server's words are matched, never copied."""
    if status == 400 and any("check-and-set" in e for e in errors):
        return CasMismatch(f"{what}: another writer changed it first.")
    if status == 400:
        return InvalidArgument("request", f"the vault server refused {what}")
    if status in (401, 403):
        if status == 401 or any("invalid token" in e or ("token" in e and "expired" in e) for e in errors):
            return NotAuthenticated(f"the vault server refused the token for {what}.")
        return PermissionDenied(
            f"the vault server's policy denies {what}.",
            action="Ask the operator to grant this path in the Vault/OpenBao policy of the token.",
        )
    if status == 404:
        return NotFound(f"{what}: not found.")
    if status == 413:
        return PayloadTooLarge(f"{what}: the value is too large for the vault server.")
    if status == 429:
        return RateLimited(f"the vault server rate-limited {what}.")
    if status >= 500:
        return ServerError(f"the vault server failed {what} (HTTP {status}).", status=status)
    return ServerError(f"unexpected answer to {what} (HTTP {status}).", status=status)


class BaoClient:
    """Sends Vault API requests to the first address that answers, with safe retries."""

    def __init__(
        self,
        addresses: Sequence[str],
        auth: BaoAuth,
        *,
        timeout: float = 10.0,
        deadline: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        namespace: str | None = None,
        allow_http: bool = False,
    ) -> None:
        if not addresses:
            raise InvalidArgument("BAO_ADDR", "give at least one vault server address")
        for addr in addresses:
            if not addr.startswith(("http://", "https://")):
                raise InvalidArgument("BAO_ADDR", "each address must start with http:// or https://")
            if addr.startswith("http://") and not allow_http and not is_loopback_url(addr):
                raise InvalidArgument(
                    "BAO_ADDR",
                    "must use https:// (plain http:// would send the token and every secret in clear text; "
                    "it is accepted toward 127.0.0.1, ::1 or localhost, or with ONECLAW_BAO_ALLOW_HTTP=1)",
                )
        self.addresses = [a.rstrip("/") for a in addresses]
        self._auth = auth
        self._deadline = deadline
        self._active = 0
        self._index: tuple[int, str] | None = None
        self._index_lock = threading.Lock()
        headers = {"X-Vault-Request": "true"}
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        self._owns_http = True
        self._http = httpx.Client(
            timeout=timeout, transport=transport, headers=headers, follow_redirects=False, trust_env=False
        )

    def __repr__(self) -> str:
        return f"BaoClient(addresses={self.addresses!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def with_auth(self, auth: BaoAuth) -> BaoClient:
        """The same addresses, TLS settings and connections under another token (a share link's)."""
        sibling = copy.copy(self)
        sibling._auth = auth
        sibling._owns_http = False
        return sibling

    def _see_index(self, header: str | None) -> None:
        """Keep the highest ``X-Vault-Index`` seen (opaque to Vault; OpenBao's is base64 JSON)."""
        if not header:
            return
        try:
            rank = int(jsonlib.loads(base64.b64decode(header))["value"])
        except (ValueError, KeyError, TypeError):
            rank = 0
        with self._index_lock:
            if self._index is None or rank >= self._index[0]:
                self._index = (rank, header)

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {"Content-Type": content_type} if content_type else {}
        if self._index is not None:
            headers["X-Vault-Index"] = self._index[1]
            headers["X-Vault-Inconsistent"] = "forward-active-node"
        return headers

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json: Any = None,
        params: dict[str, str] | None = None,
        content_type: str | None = None,
        missing_ok: bool = False,
        idempotent: bool = False,
    ) -> dict[str, Any] | None:
        """The JSON body of a 2xx answer (``{}`` for 204).

        With ``missing_ok`` a 404 returns ``None``, or its body under ``"missing"`` when it has
        one (KV v2 answers a deleted version with 404 and that version's metadata).
        ``idempotent``: a write that may be repeated safely (setting a value, deleting), retried
        like a read.
        """
        read = method in _READS or idempotent
        started = time.monotonic()
        attempt = 0
        while True:
            index = self._active
            url = f"{self.addresses[index]}/v1/{path}"
            headers = self._headers(content_type)
            retry_error: OneClawError
            try:
                response = self._http.request(
                    method, url, json=json, params=params, headers=headers, auth=self._auth
                )
            except _NOT_SENT:
                self._active = (index + 1) % len(self.addresses)
                retry_error = TransportError(f"the vault server could not be reached for {what}.")
            except httpx.TransportError:
                if not read:
                    raise OutcomeUnknown(f"the connection was lost while sending {what}.") from None
                self._active = (index + 1) % len(self.addresses)
                retry_error = TransportError(f"the connection was lost during {what}.")
            else:
                status = response.status_code
                self._see_index(response.headers.get("X-Vault-Index"))
                if status < 300:
                    return response.json() if response.content else {}
                try:
                    body = response.json()
                except ValueError:
                    body = None
                if status == 404 and missing_ok:
                    return {"missing": body} if isinstance(body, dict) and body.get("data") else None
                errors = [str(e) for e in body.get("errors") or []] if isinstance(body, dict) else []
                error = _error(status, errors, what)
                if (
                    status in _NOT_HANDLED
                    or (status >= 500 and read)
                    or (status in (400, 503) and _unapplied(errors))
                ):
                    moved = status in (307, 308) or status >= 500
                    self._active = (index + 1) % len(self.addresses) if moved else index
                    retry_error = error
                elif status >= 500 and not read:
                    raise OutcomeUnknown(f"the vault server failed during {what} (HTTP {status}).")
                else:
                    raise error
            attempt += 1
            pause = min(1.0, 0.05 * 2**attempt) * (0.5 + random.random() / 2)
            if time.monotonic() - started + pause > self._deadline:
                raise retry_error
            log.debug("retrying %s after %s", what, type(retry_error).__name__)
            time.sleep(pause)


def _unapplied(errors: list[str]) -> bool:
    """An answer that says the node never handled the request: sealed, no active node, or a KV
    mount still upgrading itself (a 400 that KV v2 gives for a moment after it is mounted)."""
    return any("sealed" in e or "not active" in e or "standby" in e or "Upgrading from non-versioned" in e
               for e in errors)  # fmt: skip
