"""`oneclaw-tools agent create` and `serve`: one JSON object, a key that works, files kept 0600."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.cli import build_parser, main
from oneclaw_tools.config import open_backend
from oneclaw_tools.server import ServerThread, open_server


def test_serve_binds_loopback_by_default() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.token_ttl) == ("127.0.0.1", 8787, 900.0)


def test_agent_create_prints_one_json_object_whose_key_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "vault.db"
    assert main(["agent", "create", "bot", "--vault", "prod", "--vault-file", str(db)]) == 0
    out = capsys.readouterr()
    created = json.loads(out.out)
    assert set(created) == {"agent_id", "api_key", "vault_ids"} and created["api_key"].startswith("ocv_")
    assert "only this once" in out.err and created["api_key"] not in out.err
    assert (
        main(["agent", "create", "bot2", "--vault", "prod", "--vault-file", str(db), "--permissions", "read"])
        == 0
    )
    second = json.loads(capsys.readouterr().out)
    assert second["vault_ids"] == created["vault_ids"]  # the existing vault is reused
    server = open_server(db, env={})
    try:
        for suffix in (".agents", ".jwt-key"):
            assert stat.S_IMODE((tmp_path / f"vault.db{suffix}").stat().st_mode) == 0o600
        assert created["api_key"] not in (tmp_path / "vault.db.agents").read_bytes().decode("latin-1")
        with ServerThread(server.app) as url:
            env = {"ONECLAW_AGENT_API_KEY": created["api_key"], "ONECLAW_BASE_URL": url}
            backend = open_backend(env)
            assert isinstance(backend, OneClawVault)
            with backend:
                vault_id = backend.default_vault_id()
                assert vault_id == created["vault_ids"][0]
                backend.put_secret(vault_id, "k", "v")
                assert backend.get_secret(vault_id, "k").value.reveal_unsafe() == "v"
            with OneClawVault(second["api_key"], base_url=url) as reader:
                assert reader.get_secret(vault_id, "k").value.reveal_unsafe() == "v"
                from oneclaw_tools.errors import PermissionDenied

                with pytest.raises(PermissionDenied):
                    reader.put_secret(vault_id, "k", "w")
    finally:
        server.close()


def test_agent_create_rejects_unknown_permissions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "agent",
                "create",
                "bot",
                "--vault",
                "v",
                "--vault-file",
                str(tmp_path / "v.db"),
                "--permissions",
                "admin",
            ]
        )
        == 1
    )
    captured = capsys.readouterr()
    assert "--permissions" in captured.err and captured.out == ""
