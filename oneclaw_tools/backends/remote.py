"""The 1Claw REST API as a vault backend: :class:`OneClawVault`.

A thin shell over sans-I/O parts: :class:`~._calls.Calls` builds each operation (and validates
its arguments), :func:`~._http.exchange` decides on retries and maps errors, and
:class:`~._auth.VaultTokenAuth` keeps the token fresh. This module only sends and sleeps.
Like every backend it is synchronous (see :mod:`.base`): an async surface reaches it through
``Session.acall``, which runs the tool in a worker thread.

It talks to the hosted 1Claw service or to ``oneclaw-tools serve``. The transport, the clock
and the sleep function can be injected for tests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, Unpack

import httpx

from .._version import __version__
from ..audit import current_tool
from ..errors import InvalidArgument, PermissionDenied
from ..models import Principal, SecretMeta, SecretValue, ShareInfo, VaultInfo
from ..network import is_loopback_url
from ._auth import VaultTokenAuth
from ._calls import Calls
from ._http import Call, NotSent, RetryPolicy, Sleep, exchange
from .base import ShareOptions, VaultBackend, complete_options

__all__ = ["DEFAULT_BASE_URL", "OneClawVault", "RetryPolicy"]

#: The hosted API (the Python SDK's and the newer docs' default; ``api.1claw.xyz`` also works).
DEFAULT_BASE_URL = "https://api.1claw.co"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

T = TypeVar("T")
P = ParamSpec("P")
_TOOL_HEADER = "X-OneClaw-Tool"


def _sent(build: Callable[Concatenate[Calls, P], Call[T]]) -> Callable[Concatenate[OneClawVault, P], T]:
    """A backend method that builds its call with ``build`` and sends it: the signature is the builder's."""

    def method(self: OneClawVault, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(build(self._calls, *args, **kwargs))

    method.__name__ = method.__qualname__ = build.__name__
    method.__doc__ = build.__doc__
    return method


def _secret(value: str | SecretValue | None) -> SecretValue | None:
    if value is None or isinstance(value, SecretValue):
        return value
    return SecretValue(value) if isinstance(value, str) else SecretValue("")


class OneClawVault(VaultBackend):
    """The 1Claw backend over :class:`httpx.Client`."""

    kind = "oneclaw"

    def __init__(
        self,
        api_key: str | SecretValue | None = None,
        *,
        token: str | SecretValue | None = None,
        base_url: str = DEFAULT_BASE_URL,
        agent_id: str | None = None,
        vault_id: str | None = None,
        runtime_id: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        key = _secret(api_key)
        static = _secret(token)
        if static is not None:
            if key is not None:
                raise InvalidArgument("token", "give an API key or a token, not both")
            if len(static) < 8 or any(c.isspace() for c in static.reveal_unsafe()):
                raise InvalidArgument("token", "must be a 1Claw access token (a JWT)")
        elif key is None or not key.reveal_unsafe().startswith(("ocv_", "1ck_")) or len(key) < 8:
            raise InvalidArgument("api_key", "must be a 1Claw agent key ('ocv_…') or user key ('1ck_…')")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidArgument("base_url", "must be an http:// or https:// URL")
        if base_url.startswith("http://") and not is_loopback_url(base_url):
            raise InvalidArgument(
                "base_url",
                "must use https:// (plain http:// would send the agent key and every secret in "
                "clear text; it is accepted only toward 127.0.0.1, ::1 or localhost)",
            )
        self._base_url = base_url.rstrip("/")
        self._vault_id = vault_id or None
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._auth = VaultTokenAuth(
            key, base_url=self._base_url, agent_id=agent_id or None, clock=clock, static_token=static
        )
        self._calls = Calls()
        self._headers = {"Accept": "application/json", "User-Agent": f"oneclaw-tools/{__version__}"}
        if runtime_id:
            self._headers["X-1Claw-Runtime-Id"] = runtime_id
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=self._base_url,
            auth=self._auth,
            headers=self._headers,
            timeout=self._timeout,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def _env_kwargs(cls, env: Mapping[str, str] | None) -> dict[str, Any]:
        env = os.environ if env is None else env
        key = env.get("ONECLAW_AGENT_API_KEY")
        token = env.get("ONECLAW_AGENT_TOKEN")
        if not key and not token:
            raise InvalidArgument(
                "ONECLAW_AGENT_API_KEY", "(or ONECLAW_AGENT_TOKEN) must be set to use the 1Claw API"
            )
        return {
            # an API key wins: it can be exchanged again when a token expires
            **({"api_key": SecretValue(key)} if key else {"token": SecretValue(token or "")}),
            "base_url": env.get("ONECLAW_BASE_URL") or DEFAULT_BASE_URL,
            "agent_id": env.get("ONECLAW_AGENT_ID") or None,
            "vault_id": env.get("ONECLAW_VAULT_ID") or None,
            "runtime_id": env.get("ONECLAW_RUNTIME_ID") or None,
        }

    @property
    def principal(self) -> Principal:
        kind: Literal["user", "agent"] = "user" if self._auth.is_user_key else "agent"
        return Principal(type=kind, id=self._auth.agent_id or "", vault_ids=self._auth.vault_ids)

    @property
    def token_exchanges(self) -> int:
        """How many tokens this client has obtained so far."""
        return self._auth.exchanges

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, agent_id={self._auth.agent_id!r}, "
            f"vault_id={self._vault_id!r})"
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _build(self, call: Call[Any]) -> httpx.Request:
        headers = dict(call.headers or {})
        tool = current_tool()
        if tool:
            headers[_TOOL_HEADER] = tool
        return self._client.build_request(
            call.method, call.url, json=call.json, params=call.params, headers=headers
        )

    def _pick_default(self, vaults: list[VaultInfo]) -> str | None:
        """1Claw's MCP rule: the token's first vault, else one named ``default``, else the first."""
        if self._auth.vault_ids:
            return self._auth.vault_ids[0]
        for vault in vaults:
            if vault.name == "default":
                return vault.id
        return vaults[0].id if vaults else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> OneClawVault:
        """From ``ONECLAW_AGENT_API_KEY`` (or a static ``ONECLAW_AGENT_TOKEN``),
        ``ONECLAW_AGENT_ID``, ``ONECLAW_VAULT_ID``, ``ONECLAW_BASE_URL`` and ``ONECLAW_RUNTIME_ID``."""
        return cls(**{**cls._env_kwargs(env), **kwargs})

    def _run(self, call: Call[T]) -> T:
        flow = exchange(call, self._build, self._retry, self._clock)
        step = next(flow)
        while True:
            try:
                if isinstance(step, Sleep):
                    self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    response = self._client.send(step)
                except (httpx.TransportError, NotSent) as exc:
                    step = flow.send(exc)
                else:
                    step = flow.send(response)
            except StopIteration as stop:
                result: T = stop.value
                return result

    def close(self) -> None:
        self._client.close()

    def default_vault_id(self) -> str:
        if self._vault_id is None:
            vaults = self.list_vaults()
            self._vault_id = self._pick_default(vaults) or self.create_vault("default").id
        return self._vault_id

    # Each operation is its builder in Calls, sent: the signatures are declared in ``base``
    # and checked against it by mypy, not written out again here.
    create_vault = _sent(Calls.create_vault)
    list_vaults = _sent(Calls.list_vaults)
    get_vault = _sent(Calls.get_vault)
    delete_vault = _sent(Calls.delete_vault)
    put_secret = _sent(Calls.put_secret)
    get_secret = _sent(Calls.get_secret)
    list_secrets = _sent(Calls.list_secrets)
    list_versions = _sent(Calls.list_versions)
    disable_version = _sent(Calls.disable_version)
    delete_secret = _sent(Calls.delete_secret)
    rotate_secret = _sent(Calls.rotate_secret)
    create_policy = _sent(Calls.create_policy)
    list_policies = _sent(Calls.list_policies)
    delete_policy = _sent(Calls.delete_policy)
    access_share = _sent(Calls.access_share)
    accept_share = _sent(Calls.accept_share)
    decline_share = _sent(Calls.decline_share)
    revoke_share = _sent(Calls.revoke_share)
    list_inbound_shares = _sent(Calls.list_inbound_shares)
    list_outbound_shares = _sent(Calls.list_outbound_shares)

    def describe_secret(self, vault_id: str, path: str) -> SecretMeta:
        return self._run(self._calls.describe_secret(vault_id, path, self._now()))

    def create_share(self, vault_id: str, path: str, **options: Unpack[ShareOptions]) -> ShareInfo:
        complete_options(ShareOptions, "create_share", options)  # a bad keyword fails before any request
        if options.get("recipient_type") == "external_email" and self.principal.type == "agent":
            raise PermissionDenied(  # 1Claw refuses it (its docs: "agents are blocked"); say why, send nothing
                "agents cannot share with an external email address.",
                action="Share with a user or agent of this vault, or ask a human to send it.",
            )
        return self._run(self._calls.create_share(self.describe_secret(vault_id, path), **options))
