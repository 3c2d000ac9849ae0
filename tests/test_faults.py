"""Faults from a real faulty server on 127.0.0.1: what the remote backend retries and what it refuses to.

The server is the real local server behind an ASGI fault injector (run by uvicorn on a
free port). A scripted fault answers 429/500/503 itself, stalls past the client's timeout
before handling the request, or handles it and then drops the connection halfway through
the response. The rules under test (see oneclaw_tools/backends/_http.py): GETs are retried
within bounds; a write is repeated only when it surely did not reach the vault (connect
failure, 429); otherwise the caller gets OutcomeUnknown and there is never a duplicate
version. If a test here fails, print `faults.reached` to see which requests reached the vault.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from oneclaw_tools.backends.remote import OneClawVault, RetryPolicy
from oneclaw_tools.errors import OutcomeUnknown, RateLimited, ServerError, TransportError
from oneclaw_tools.server import LocalServer, ServerThread
from oneclaw_tools.server.testing import make_agent, running_server

VALUE = "fault-canary-7f3a9c"


class Dropped(Exception):
    """Raised by the injector after a partial response: uvicorn then closes the connection."""


@dataclass
class Fault:
    method: str
    route: str  # a fragment of the URL path
    kind: str  # "status" | "stall" (before handling) | "late" (handle, then answer late) | "drop"
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class FaultInjector:
    """ASGI middleware: applies the first matching scripted fault once, else passes through."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.plan: list[Fault] = []
        self.reached: list[tuple[str, str]] = []  # requests the vault actually handled

    def add(self, *faults: Fault) -> None:
        self.plan.extend(faults)

    def _take(self, method: str, path: str) -> Fault | None:
        for i, fault in enumerate(self.plan):
            if fault.method == method and fault.route in path:
                return self.plan.pop(i)
        return None

    async def _forward(self, scope: Any, receive: Any, send: Any) -> None:
        self.reached.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        fault = self._take(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if fault is None:
            await self._forward(scope, receive, send)
        elif fault.kind == "status":
            body = b'{"type":"about:blank","title":"injected","status":%d,"detail":"injected"}' % fault.status
            headers = [(b"content-type", b"application/problem+json")]
            headers += [(k.lower().encode(), v.encode()) for k, v in fault.headers.items()]
            await send({"type": "http.response.start", "status": fault.status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif fault.kind == "stall":
            await asyncio.sleep(fault.seconds)
            await self._forward(scope, receive, send)
        else:  # handle it for real, then answer late or cut the answer in half
            messages: list[Any] = []

            async def capture(message: Any) -> None:
                messages.append(message)

            await self._forward(scope, receive, capture)
            if fault.kind == "late":
                await asyncio.sleep(fault.seconds)
                for message in messages:
                    await send(message)
                return
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
            await send(messages[0])
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
            raise Dropped


@dataclass
class Rig:
    server: LocalServer
    faults: FaultInjector
    url: str
    key: str
    vault_id: str
    slept: list[float]
    clients: list[OneClawVault] = field(default_factory=list)

    def client(self, **kwargs: Any) -> OneClawVault:
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("timeout", 0.5)
        kwargs.setdefault("retry", RetryPolicy(max_retries=3, jitter=lambda: 0.0))
        client = OneClawVault(self.key, sleep=self.slept.append, **kwargs)
        self.clients.append(client)
        return client

    def versions(self, path: str) -> list[int]:
        return [m.version for m in self.server.vault.list_versions(self.vault_id, path)]

    def reached(self, method: str, fragment: str) -> int:
        return sum(1 for m, p in self.faults.reached if m == method and fragment in p)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with running_server(tmp_path) as (server, _plain_url):
        faults = FaultInjector(server.app)
        thread = ServerThread(faults, log_level="critical")  # the drop fault makes uvicorn log an error
        url = thread.start()
        try:
            _, key, vault_id = make_agent(server, "faulty")
            server.vault.put_secret(vault_id, "app/db", VALUE)
            rig = Rig(server, faults, url, key.reveal_unsafe(), vault_id, [])
            yield rig
            for client in rig.clients:
                client.close()
        finally:
            thread.stop()


def test_429_with_retry_after_is_waited_out_then_retried(rig: Rig) -> None:
    rig.faults.add(Fault("GET", "/secrets/app/db", "status", 429, {"Retry-After": "2"}))
    assert rig.client().get_secret(rig.vault_id, "app/db").value.reveal_unsafe() == VALUE
    assert rig.slept == [2.0]


def test_429_on_a_write_is_retried_once_without_a_duplicate(rig: Rig) -> None:
    """The rate limit answers before any handler, so the PUT surely did not happen."""
    rig.faults.add(Fault("PUT", "/secrets/app/db", "status", 429, {"Retry-After": "1"}))
    assert rig.client().put_secret(rig.vault_id, "app/db", "v2").version == 2
    assert rig.versions("app/db") == [2, 1] and rig.reached("PUT", "app/db") == 1


def test_persistent_429_surfaces_rate_limited_with_retry_after(rig: Rig) -> None:
    rig.faults.add(*[Fault("GET", "/secrets/app/db", "status", 429, {"Retry-After": "1"}) for _ in range(4)])
    with pytest.raises(RateLimited) as info:
        rig.client().get_secret(rig.vault_id, "app/db")
    assert info.value.retry_after == 1 and rig.slept == [1.0, 1.0, 1.0]


def test_500_and_503_on_a_read_are_retried(rig: Rig) -> None:
    rig.faults.add(
        Fault("GET", "/secrets/app/db", "status", 500), Fault("GET", "/secrets/app/db", "status", 503)
    )
    assert rig.client().get_secret(rig.vault_id, "app/db").value.reveal_unsafe() == VALUE
    assert len(rig.slept) == 2


def test_5xx_beyond_the_bound_is_a_server_error(rig: Rig) -> None:
    rig.faults.add(*[Fault("GET", "/secret-versions/app/db", "status", 503) for _ in range(4)])
    with pytest.raises(ServerError) as info:
        rig.client().list_versions(rig.vault_id, "app/db")
    assert info.value.status == 503 and len(rig.slept) == 3


def test_500_on_a_write_is_outcome_unknown_and_not_repeated(rig: Rig) -> None:
    rig.faults.add(Fault("PUT", "/secrets/app/db", "status", 500))
    with pytest.raises(OutcomeUnknown) as info:
        rig.client().put_secret(rig.vault_id, "app/db", "v2-" + VALUE)
    assert VALUE not in str(info.value) and rig.slept == []
    assert rig.versions("app/db") == [1]


def test_503_on_a_write_is_a_server_error_and_not_repeated(rig: Rig) -> None:
    rig.faults.add(Fault("POST", "/secret-rotate/app/db", "status", 503))
    with pytest.raises(ServerError):
        rig.client().rotate_secret(rig.vault_id, "app/db")
    assert rig.versions("app/db") == [1] and rig.reached("POST", "secret-rotate") == 0


def test_a_stalled_read_times_out_and_is_retried(rig: Rig) -> None:
    rig.faults.add(Fault("GET", "/secrets/app/db", "stall", seconds=1.5))
    assert rig.client().get_secret(rig.vault_id, "app/db").value.reveal_unsafe() == VALUE
    assert len(rig.slept) == 1


def test_a_write_answered_too_late_is_outcome_unknown_and_lands_once(rig: Rig) -> None:
    """The vault applied the PUT but answered after the client's timeout: one new version, never two."""
    rig.faults.add(Fault("PUT", "/secrets/app/db", "late", seconds=1.0))
    with pytest.raises(OutcomeUnknown):
        rig.client().put_secret(rig.vault_id, "app/db", "v2")
    assert rig.versions("app/db") == [2, 1] and rig.reached("PUT", "app/db") == 1


def test_a_write_stalled_before_handling_is_outcome_unknown_and_never_repeated(rig: Rig) -> None:
    """The client cannot tell this from the case above, so it must not repeat the PUT either."""
    rig.faults.add(Fault("PUT", "/secrets/app/db", "stall", seconds=1.0))
    with pytest.raises(OutcomeUnknown):
        rig.client().put_secret(rig.vault_id, "app/db", "v2")
    deadline = time.monotonic() + 5
    while rig.reached("PUT", "app/db") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert rig.reached("PUT", "app/db") == 1
    assert rig.versions("app/db") in ([1], [2, 1])  # the vault may or may not apply a PUT whose client left


def test_a_read_dropped_mid_response_is_retried(rig: Rig) -> None:
    rig.faults.add(Fault("GET", "/secrets/app/db", "drop"))
    assert rig.client().get_secret(rig.vault_id, "app/db").value.reveal_unsafe() == VALUE
    assert rig.reached("GET", "/secrets/app/db") == 2


def test_a_write_dropped_mid_response_is_outcome_unknown_without_a_duplicate(rig: Rig) -> None:
    rig.faults.add(Fault("PUT", "/secrets/app/db", "drop"))
    client = rig.client()
    with pytest.raises(OutcomeUnknown) as info:
        client.put_secret(rig.vault_id, "app/db", "v2-" + VALUE)
    assert "describe_secret" in info.value.action and VALUE not in str(info.value)
    assert rig.versions("app/db") == [2, 1] and rig.reached("PUT", "app/db") == 1
    assert [m.version for m in client.list_versions(rig.vault_id, "app/db")] == [2, 1]


def test_a_dropped_token_exchange_is_retried_even_before_a_write(rig: Rig) -> None:
    """The exchange failed, so the PUT itself never left: repeating it is safe."""
    rig.faults.add(Fault("POST", "/v1/auth/agent-token", "drop"))
    assert rig.client().put_secret(rig.vault_id, "app/db", "v2").version == 2
    assert rig.versions("app/db") == [2, 1] and rig.reached("PUT", "app/db") == 1


def test_connection_refused_is_retried_within_bounds_then_transport_error(rig: Rig) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = rig.client(
        base_url=f"http://127.0.0.1:{port}", retry=RetryPolicy(max_retries=2, jitter=lambda: 0.0)
    )
    with pytest.raises(TransportError) as info:
        client.put_secret(rig.vault_id, "app/db", "v2")
    assert not isinstance(info.value, OutcomeUnknown) and len(rig.slept) == 2
