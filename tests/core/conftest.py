"""Fixtures for the core tests: a session on a real embedded vault in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from oneclaw_tools import OperatorPolicy, Session


class Clock:
    """A settable clock for handle expiry."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "vault.db"


@pytest.fixture
def make_session(vault_path: Path) -> Iterator[object]:
    made: list[Session] = []

    def make(policy: OperatorPolicy | None = None, **kwargs: object) -> Session:
        session = Session.local(vault_path, policy=policy, **kwargs)
        made.append(session)
        return session

    yield make
    for s in made:
        s.close()


@pytest.fixture
def session(make_session) -> Session:  # type: ignore[no-untyped-def]
    return make_session()


class Recorder:
    """A recording ``httpx.MockTransport``: what would have been sent, and a canned 200."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return httpx.Response(200, json={"ok": True})


class FakeDNS:
    """An injectable resolver: names resolve only to what the test says (never real DNS).

    ``answers[name]`` is a list of addresses, or a list of lists served in turn (rebinding).
    """

    def __init__(self, answers: dict[str, Any] | None = None) -> None:
        self.answers: dict[str, Any] = dict(answers or {})
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        answer = self.answers.get(host)
        if answer is None:
            raise OSError(f"no such host in the test's DNS: {host}")
        if answer and isinstance(answer[0], list):
            return list(answer.pop(0) if len(answer) > 1 else answer[0])
        return list(answer)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def dns() -> FakeDNS:
    return FakeDNS()
