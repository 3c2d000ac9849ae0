"""Fixtures for the core tests: a session on a real embedded vault in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
