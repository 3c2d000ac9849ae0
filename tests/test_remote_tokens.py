"""Token lifetime: a long run keeps working, and an expired token is never sent twice.

The server issues tokens that live a few seconds. A recorder in front of it decodes every
Bearer token it receives (signature checked with the server's key) and notes whether it
had expired by the server's clock. The fast tests share one fake clock between client and
server (and skew them on purpose); the slow one uses real time. If "sent twice" fails, the
auth flow resent a token the server had refused: see VaultTokenAuth._obtain.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest

from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.server import LocalServer, ServerThread
from oneclaw_tools.server.testing import make_agent, running_server


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    """ASGI middleware noting (jti, expired by the server's clock) for each bearer token seen."""

    app: Any
    server: LocalServer
    clock: Any
    seen: list[tuple[str, bool]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            auth = headers.get(b"authorization", b"").decode()
            if auth.startswith("Bearer "):
                claims = jwt.decode(
                    auth[7:],
                    self.server.issuer._public,
                    algorithms=["EdDSA"],
                    options={"verify_exp": False, "verify_iat": False, "verify_iss": False},
                )
                self.seen.append((claims["jti"], self.clock() >= claims["exp"]))
        await self.app(scope, receive, send)

    def expired_sent(self) -> Counter[str]:
        return Counter(jti for jti, expired in self.seen if expired)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def served(tmp_path: Path, fake_time: FakeTime) -> Iterator[tuple[LocalServer, Recorder, str]]:
    with running_server(tmp_path, token_ttl=3.0, clock=fake_time) as (server, _url):
        recorder = Recorder(server.app, server, fake_time)
        with ServerThread(recorder) as url:
            yield server, recorder, url


def test_long_run_with_3_second_tokens_refreshes_before_expiry(
    served: tuple[LocalServer, Recorder, str], fake_time: FakeTime
) -> None:
    server, recorder, url = served
    _, key, vault_id = make_agent(server, "long-run")
    server.vault.put_secret(vault_id, "k", "v")
    with OneClawVault(key.reveal_unsafe(), base_url=url, clock=fake_time) as client:
        for _ in range(120):  # one minute of simulated time, twenty token lifetimes
            assert client.get_secret(vault_id, "k").value.reveal_unsafe() == "v"
            fake_time.now += 0.5
        assert client.token_exchanges >= 20
    assert recorder.expired_sent() == Counter()


def test_client_clock_running_slow_reexchanges_once_per_refused_token(
    served: tuple[LocalServer, Recorder, str], fake_time: FakeTime
) -> None:
    """The client believes its token is fresh; the server says 401; the token is dropped."""
    server, recorder, url = served
    _, key, vault_id = make_agent(server, "skewed")
    server.vault.put_secret(vault_id, "k", "v")
    start = fake_time.now
    lagging = lambda: start + (fake_time.now - start) / 2  # noqa: E731 - the client's clock runs at half speed
    with OneClawVault(key.reveal_unsafe(), base_url=url, clock=lagging) as client:
        for _ in range(60):
            assert client.get_secret(vault_id, "k").value.reveal_unsafe() == "v"
            fake_time.now += 0.7
    expired = recorder.expired_sent()
    assert expired, "the skew should have made the server refuse some tokens"
    assert max(expired.values()) == 1


def test_concurrent_requests_share_one_exchange(
    served: tuple[LocalServer, Recorder, str], fake_time: FakeTime
) -> None:
    """Threads are how concurrent tool calls reach a backend (``Session.acall``)."""
    server, recorder, url = served
    _, key, vault_id = make_agent(server, "concurrent")
    server.vault.put_secret(vault_id, "k", "v")
    with (
        OneClawVault(key.reveal_unsafe(), base_url=url, clock=fake_time) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        for _ in range(10):
            values = list(pool.map(lambda _: client.get_secret(vault_id, "k"), range(8)))
            assert {v.value.reveal_unsafe() for v in values} == {"v"}
            fake_time.now += 1.0
        assert client.token_exchanges <= 10 // 2 + 2  # one per lifetime, not one per request
    assert recorder.expired_sent() == Counter()


@pytest.mark.slow
def test_real_time_two_second_tokens_over_five_seconds(tmp_path: Path) -> None:
    with running_server(tmp_path, token_ttl=2.0) as (server, _url):
        recorder = Recorder(server.app, server, time.time)
        with ServerThread(recorder) as url:
            _, key, vault_id = make_agent(server, "realtime")
            server.vault.put_secret(vault_id, "k", "v")
            with OneClawVault(key.reveal_unsafe(), base_url=url) as client, ThreadPoolExecutor(4) as pool:
                deadline = time.monotonic() + 5.0
                count = 0
                while time.monotonic() < deadline:
                    values = list(pool.map(lambda _: client.get_secret(vault_id, "k"), range(4)))
                    assert all(v.value.reveal_unsafe() == "v" for v in values)
                    count += 4
                    time.sleep(0.05)
                assert client.token_exchanges >= 2 and count > 0
    assert max(recorder.expired_sent().values(), default=0) <= 1
