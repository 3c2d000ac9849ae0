"""The human-in-the-loop scenario every surface runs: a share that needs approval, a secret
supplied out of band.

A :class:`HitlWorld` is a real embedded vault in a folder, holding :data:`SHARED` at
:data:`SHARE_PATH` (and :data:`OTHER_PATH`), with the approval store beside it. :meth:`HitlWorld.cli`
runs ``oneclaw-tools`` in a separate process on the same files, as an operator would.
:data:`SHARE`, :data:`REPLAY_RECIPIENT` and :data:`REPLAY_PATH` are the model's calls; the
default :class:`~oneclaw_tools.OperatorPolicy` gates ``share_secret``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..policy import OperatorPolicy
from ..session import Session

__all__ = [
    "APPROVED_FLAG",
    "OTHER_PATH",
    "REPLAY_PATH",
    "REPLAY_RECIPIENT",
    "SHARE",
    "SHARED",
    "SHARE_PATH",
    "SUPPLIED",
    "WANTED_PATH",
    "HitlWorld",
]

SHARED = "sk_live_HITLshared_5f2c9e0d7a1b3c4d5e6f"
SUPPLIED = "ghp_HITLsupplied_9a8b7c6d5e4f3a2b1c0d"
SHARE_PATH = "team/deploy_token"
OTHER_PATH = "team/other_token"
WANTED_PATH = "ci/github_token"
SHARE: dict[str, Any] = {"path": SHARE_PATH, "email": "bob@example.com", "expires_at": "2031-01-01T00:00:00Z"}
REPLAY_RECIPIENT: dict[str, Any] = {**SHARE, "email": "mallory@evil.example"}
REPLAY_PATH: dict[str, Any] = {**SHARE, "path": OTHER_PATH}
APPROVED_FLAG: dict[str, Any] = {**SHARE, "approved": True}


@dataclass
class HitlWorld:
    """A vault folder shared by the agent's sessions and the operator's CLI."""

    root: Path
    sessions: list[Session] = field(default_factory=list)

    @property
    def vault(self) -> Path:
        return self.root / "vault.db"

    @classmethod
    def create(cls, root: Path) -> HitlWorld:
        world = cls(root)
        with Session.local(world.vault) as seeding:
            vault = seeding.vault_for(None)
            seeding.backend.put_secret(vault, SHARE_PATH, SHARED, type="api_key")
            seeding.backend.put_secret(vault, OTHER_PATH, SHARED + "-other", type="api_key")
        return world

    def session(self, policy: OperatorPolicy | None = None) -> Session:
        made = Session.local(self.vault, policy=policy or OperatorPolicy())
        self.sessions.append(made)
        return made

    def close(self) -> None:
        for made in self.sessions:
            made.close()

    def shares(self) -> list[tuple[str, str | None]]:
        """(path, recipient e-mail) of every share created so far."""
        from ..backends.local import LocalVault

        with LocalVault(self.vault) as vault:
            return [(s.path, s.email) for s in vault.list_outbound_shares()]

    def env(self) -> dict[str, str]:
        out = {k: v for k, v in os.environ.items() if not k.startswith("ONECLAW_")}
        out["ONECLAW_LOCAL_VAULT"] = str(self.vault)
        return out

    def cli(
        self, *args: str, stdin: str = "", env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``oneclaw-tools ARGS`` in a separate process on this world's vault and store."""
        return subprocess.run(
            [sys.executable, "-m", "oneclaw_tools", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=dict(env or self.env()),
            timeout=120,
            check=False,
        )

    def pending_ids(self) -> list[str]:
        import json

        out = self.cli("approvals", "--json")
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return [r["id"] for r in json.loads(out.stdout)]

    def request_ids(self) -> list[str]:
        import json

        out = self.cli("requests", "--json")
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return [r["id"] for r in json.loads(out.stdout)]
