"""The 1Claw REST API as a vault backend: :class:`OneClawVault` (sync) and :class:`AsyncOneClawVault`.

Both are thin shells over the same sans-I/O parts: :class:`~._calls.Calls` builds each
operation, :func:`~._http.exchange` decides on retries and maps errors, and
:class:`~._auth.VaultTokenAuth` keeps the token fresh. Only the sending and the sleeping
differ, as in httpx's own ``Client`` and ``AsyncClient``.

They talk to the hosted 1Claw service or to ``oneclaw-tools serve``. The transport, the
clock and the sleep function can be injected for tests.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal, Self, TypeVar

import httpx

from .._version import __version__
from ..audit import current_tool
from ..errors import InvalidArgument
from ..models import PolicyInfo, Principal, Secret, SecretMeta, SecretValue, ShareInfo, VaultInfo
from ._auth import VaultTokenAuth
from ._calls import Calls
from ._http import Call, NotSent, RetryPolicy, Sleep, exchange
from .base import AsyncVaultBackend, VaultBackend

__all__ = ["DEFAULT_BASE_URL", "AsyncOneClawVault", "OneClawVault", "RetryPolicy"]

#: The hosted API (the Python SDK's and the newer docs' default; ``api.1claw.xyz`` also works).
DEFAULT_BASE_URL = "https://api.1claw.co"
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)

T = TypeVar("T")
_TOOL_HEADER = "X-OneClaw-Tool"


class _RemoteBase:
    """Configuration and request building shared by the sync and async backends."""

    kind = "oneclaw"

    def __init__(
        self,
        api_key: str | SecretValue,
        *,
        base_url: str = DEFAULT_BASE_URL,
        agent_id: str | None = None,
        vault_id: str | None = None,
        runtime_id: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        key = (
            api_key
            if isinstance(api_key, SecretValue)
            else SecretValue(api_key)
            if isinstance(api_key, str)
            else None
        )
        if key is None or not key.reveal_unsafe().startswith(("ocv_", "1ck_")) or len(key) < 8:
            raise InvalidArgument("api_key", "must be a 1Claw agent key ('ocv_…') or user key ('1ck_…')")
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidArgument("base_url", "must be an http:// or https:// URL")
        self._base_url = base_url.rstrip("/")
        self._vault_id = vault_id or None
        self._clock = clock
        self._retry = retry or RetryPolicy()
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self._auth = VaultTokenAuth(key, base_url=self._base_url, agent_id=agent_id or None, clock=clock)
        self._calls = Calls()
        self._headers = {"Accept": "application/json", "User-Agent": f"oneclaw-tools/{__version__}"}
        if runtime_id:
            self._headers["X-1Claw-Runtime-Id"] = runtime_id

    @classmethod
    def _env_kwargs(cls, env: Mapping[str, str] | None) -> dict[str, Any]:
        env = os.environ if env is None else env
        key = env.get("ONECLAW_AGENT_API_KEY")
        if not key:
            raise InvalidArgument("ONECLAW_AGENT_API_KEY", "must be set to use the 1Claw API")
        return {
            "api_key": SecretValue(key),
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

    def _build(self, client: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        headers = dict(call.headers or {})
        tool = current_tool()
        if tool:
            headers[_TOOL_HEADER] = tool
        return client.build_request(
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


class OneClawVault(_RemoteBase, VaultBackend):
    """Synchronous 1Claw backend over :class:`httpx.Client`."""

    def __init__(
        self,
        api_key: str | SecretValue,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_key, **kwargs)
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
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> OneClawVault:
        """From ``ONECLAW_AGENT_API_KEY``, ``ONECLAW_AGENT_ID``, ``ONECLAW_VAULT_ID``,
        ``ONECLAW_BASE_URL`` and ``ONECLAW_RUNTIME_ID``."""
        return cls(**{**cls._env_kwargs(env), **kwargs})

    def _run(self, call: Call[T]) -> T:
        flow = exchange(call, lambda c: self._build(self._client, c), self._retry, self._clock)
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

    def create_vault(self, name: str, description: str = "") -> VaultInfo:
        return self._run(self._calls.create_vault(name, description))

    def list_vaults(self) -> list[VaultInfo]:
        return self._run(self._calls.list_vaults())

    def get_vault(self, vault_id: str) -> VaultInfo:
        return self._run(self._calls.get_vault(vault_id))

    def delete_vault(self, vault_id: str) -> None:
        self._run(self._calls.delete_vault(vault_id))

    def put_secret(
        self,
        vault_id: str,
        path: str,
        value: str,
        *,
        type: str = "generic",
        metadata: dict[str, Any] | None = None,
        expires_at: datetime | str | None = None,
        max_access_count: int = 0,
    ) -> SecretMeta:
        call = self._calls.put_secret(
            vault_id, path, value, type=type, metadata=metadata, expires_at=expires_at,
            max_access_count=max_access_count,
        )  # fmt: skip
        return self._run(call)

    def get_secret(self, vault_id: str, path: str, version: int | None = None) -> Secret:
        return self._run(self._calls.get_secret(vault_id, path, version))

    def describe_secret(self, vault_id: str, path: str) -> SecretMeta:
        return self._run(self._calls.describe_secret(vault_id, path, self._now()))

    def list_secrets(self, vault_id: str, prefix: str = "") -> list[SecretMeta]:
        return self._run(self._calls.list_secrets(vault_id, prefix))

    def list_versions(self, vault_id: str, path: str) -> list[SecretMeta]:
        return self._run(self._calls.list_versions(vault_id, path))

    def disable_version(self, vault_id: str, path: str, version: int) -> None:
        self._run(self._calls.disable_version(vault_id, path, version))

    def delete_secret(self, vault_id: str, path: str) -> None:
        self._run(self._calls.delete_secret(vault_id, path))

    def rotate_secret(
        self, vault_id: str, path: str, *, length: int = 32, charset: str = "hex", type: str | None = None
    ) -> SecretMeta:
        return self._run(self._calls.rotate_secret(vault_id, path, length=length, charset=charset, type=type))

    def create_policy(
        self,
        vault_id: str,
        *,
        principal_type: str,
        principal_id: str,
        secret_path_pattern: str = "**",  # noqa: S107 - a glob, not a password
        permissions: list[str] | tuple[str, ...] = ("read",),
        expires_at: datetime | str | None = None,
    ) -> PolicyInfo:
        call = self._calls.create_policy(
            vault_id, principal_type=principal_type, principal_id=principal_id,
            secret_path_pattern=secret_path_pattern, permissions=permissions, expires_at=expires_at,
        )  # fmt: skip
        return self._run(call)

    def list_policies(self, vault_id: str) -> list[PolicyInfo]:
        return self._run(self._calls.list_policies(vault_id))

    def delete_policy(self, vault_id: str, policy_id: str) -> None:
        self._run(self._calls.delete_policy(vault_id, policy_id))

    def create_share(
        self,
        vault_id: str,
        path: str,
        *,
        recipient_type: str,
        expires_at: datetime | str,
        email: str | None = None,
        recipient_id: str | None = None,
        max_access_count: int = 0,
        passphrase: str | None = None,
    ) -> ShareInfo:
        meta = self.describe_secret(vault_id, path)
        call = self._calls.create_share(
            meta, recipient_type=recipient_type, expires_at=expires_at, email=email,
            recipient_id=recipient_id, max_access_count=max_access_count, passphrase=passphrase,
        )  # fmt: skip
        return self._run(call)

    def access_share(self, share_id: str, passphrase: str | None = None) -> Secret:
        return self._run(self._calls.access_share(share_id, passphrase))

    def accept_share(self, share_id: str) -> None:
        self._run(self._calls.accept_share(share_id))

    def decline_share(self, share_id: str) -> None:
        self._run(self._calls.decline_share(share_id))

    def revoke_share(self, share_id: str) -> None:
        self._run(self._calls.revoke_share(share_id))

    def list_inbound_shares(self) -> list[ShareInfo]:
        return self._run(self._calls.list_inbound_shares())

    def list_outbound_shares(self) -> list[ShareInfo]:
        return self._run(self._calls.list_outbound_shares())


class AsyncOneClawVault(_RemoteBase, AsyncVaultBackend):
    """Asynchronous 1Claw backend over :class:`httpx.AsyncClient` (same arguments)."""

    def __init__(
        self,
        api_key: str | SecretValue,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(api_key, **kwargs)
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            base_url=self._base_url,
            auth=self._auth,
            headers=self._headers,
            timeout=self._timeout,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> AsyncOneClawVault:
        """Like :meth:`OneClawVault.from_env`."""
        return cls(**{**cls._env_kwargs(env), **kwargs})

    async def _run(self, call: Call[T]) -> T:
        flow = exchange(call, lambda c: self._build(self._client, c), self._retry, self._clock)
        step = next(flow)
        while True:
            try:
                if isinstance(step, Sleep):
                    await self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    response = await self._client.send(step)
                except (httpx.TransportError, NotSent) as exc:
                    step = flow.send(exc)
                else:
                    step = flow.send(response)
            except StopIteration as stop:
                result: T = stop.value
                return result

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def default_vault_id(self) -> str:
        if self._vault_id is None:
            vaults = await self.list_vaults()
            self._vault_id = self._pick_default(vaults) or (await self.create_vault("default")).id
        return self._vault_id

    async def create_vault(self, name: str, description: str = "") -> VaultInfo:
        return await self._run(self._calls.create_vault(name, description))

    async def list_vaults(self) -> list[VaultInfo]:
        return await self._run(self._calls.list_vaults())

    async def get_vault(self, vault_id: str) -> VaultInfo:
        return await self._run(self._calls.get_vault(vault_id))

    async def delete_vault(self, vault_id: str) -> None:
        await self._run(self._calls.delete_vault(vault_id))

    async def put_secret(
        self,
        vault_id: str,
        path: str,
        value: str,
        *,
        type: str = "generic",
        metadata: dict[str, Any] | None = None,
        expires_at: datetime | str | None = None,
        max_access_count: int = 0,
    ) -> SecretMeta:
        call = self._calls.put_secret(
            vault_id, path, value, type=type, metadata=metadata, expires_at=expires_at,
            max_access_count=max_access_count,
        )  # fmt: skip
        return await self._run(call)

    async def get_secret(self, vault_id: str, path: str, version: int | None = None) -> Secret:
        return await self._run(self._calls.get_secret(vault_id, path, version))

    async def describe_secret(self, vault_id: str, path: str) -> SecretMeta:
        return await self._run(self._calls.describe_secret(vault_id, path, self._now()))

    async def list_secrets(self, vault_id: str, prefix: str = "") -> list[SecretMeta]:
        return await self._run(self._calls.list_secrets(vault_id, prefix))

    async def list_versions(self, vault_id: str, path: str) -> list[SecretMeta]:
        return await self._run(self._calls.list_versions(vault_id, path))

    async def disable_version(self, vault_id: str, path: str, version: int) -> None:
        await self._run(self._calls.disable_version(vault_id, path, version))

    async def delete_secret(self, vault_id: str, path: str) -> None:
        await self._run(self._calls.delete_secret(vault_id, path))

    async def rotate_secret(
        self, vault_id: str, path: str, *, length: int = 32, charset: str = "hex", type: str | None = None
    ) -> SecretMeta:
        return await self._run(
            self._calls.rotate_secret(vault_id, path, length=length, charset=charset, type=type)
        )

    async def create_policy(
        self,
        vault_id: str,
        *,
        principal_type: str,
        principal_id: str,
        secret_path_pattern: str = "**",  # noqa: S107 - a glob, not a password
        permissions: list[str] | tuple[str, ...] = ("read",),
        expires_at: datetime | str | None = None,
    ) -> PolicyInfo:
        call = self._calls.create_policy(
            vault_id, principal_type=principal_type, principal_id=principal_id,
            secret_path_pattern=secret_path_pattern, permissions=permissions, expires_at=expires_at,
        )  # fmt: skip
        return await self._run(call)

    async def list_policies(self, vault_id: str) -> list[PolicyInfo]:
        return await self._run(self._calls.list_policies(vault_id))

    async def delete_policy(self, vault_id: str, policy_id: str) -> None:
        await self._run(self._calls.delete_policy(vault_id, policy_id))

    async def create_share(
        self,
        vault_id: str,
        path: str,
        *,
        recipient_type: str,
        expires_at: datetime | str,
        email: str | None = None,
        recipient_id: str | None = None,
        max_access_count: int = 0,
        passphrase: str | None = None,
    ) -> ShareInfo:
        meta = await self.describe_secret(vault_id, path)
        call = self._calls.create_share(
            meta, recipient_type=recipient_type, expires_at=expires_at, email=email,
            recipient_id=recipient_id, max_access_count=max_access_count, passphrase=passphrase,
        )  # fmt: skip
        return await self._run(call)

    async def access_share(self, share_id: str, passphrase: str | None = None) -> Secret:
        return await self._run(self._calls.access_share(share_id, passphrase))

    async def accept_share(self, share_id: str) -> None:
        await self._run(self._calls.accept_share(share_id))

    async def decline_share(self, share_id: str) -> None:
        await self._run(self._calls.decline_share(share_id))

    async def revoke_share(self, share_id: str) -> None:
        await self._run(self._calls.revoke_share(share_id))

    async def list_inbound_shares(self) -> list[ShareInfo]:
        return await self._run(self._calls.list_inbound_shares())

    async def list_outbound_shares(self) -> list[ShareInfo]:
        return await self._run(self._calls.list_outbound_shares())
