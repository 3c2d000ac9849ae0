"""Shared helpers of the MCP adapter tests (a uniquely named module: every test folder has a conftest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import Canaries, LocalApi, scenario_policy

__all__ = ["TrackedSession", "World"]


class TrackedSession(Session):
    """A session that remembers whether it was closed."""

    closed = False

    def close(self) -> None:
        super().close()
        self.closed = True


@dataclass
class World:
    vault: Path
    canaries: Canaries
    api: LocalApi
    sessions: list[TrackedSession] = field(default_factory=list)

    def make_session(self) -> Session:
        session = TrackedSession.local(self.vault, policy=scenario_policy())
        assert isinstance(session, TrackedSession)
        self.sessions.append(session)
        return session
