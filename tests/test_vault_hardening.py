"""The smaller holes of issue 11, kept closed: key file permissions, a crashed writer's
temporary key file, scrypt cost, a plain-http remote base URL, an expired handle's plaintext.

If one fails, read the assertion's message: each names the operator-facing behaviour that
regressed. No test here opens a network connection.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import httpx
import pytest

from oneclaw_tools import crypto
from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.errors import InvalidArgument, PermissionDenied


def make_vault(tmp_path: Path) -> Path:
    db = tmp_path / "vault.db"
    with LocalVault(db, env={}) as vault:
        vault.put_secret(vault.default_vault_id(), "svc/key", "v" * 24)
    return db


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_a_key_file_open_to_group_or_others_is_refused_with_the_chmod_to_run(
    tmp_path: Path, mode: int
) -> None:
    db = make_vault(tmp_path)
    key_file = db.with_name(db.name + ".key")
    os.chmod(key_file, mode)
    vault = LocalVault(db, env={})
    with pytest.raises(PermissionDenied) as err:
        vault.list_secrets(vault.default_vault_id())
    vault.close()
    assert f"chmod 600 '{key_file}'" in err.value.action
    assert "group or others" in err.value.message
    os.chmod(key_file, 0o600)
    with LocalVault(db, env={}) as vault:
        assert vault.get_secret(vault.default_vault_id(), "svc/key").value.reveal_unsafe() == "v" * 24


def test_a_crashed_writers_temporary_key_file_is_removed_on_the_next_open(tmp_path: Path) -> None:
    db = make_vault(tmp_path)
    key_file = db.with_name(db.name + ".key")
    orphan = key_file.with_name(key_file.name + ".x1y2z3.tmp")
    orphan.write_bytes(b'{"format": "oneclaw-tools-local-kek", "keys": [{"key": "half')
    live = key_file.with_name(key_file.name + ".live99.tmp")
    live.write_bytes(b"being written")
    holder = os.open(live, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a writer still at work holds its lock
    try:
        with LocalVault(db, env={}) as vault:
            vault.list_secrets(vault.default_vault_id())
        assert not orphan.exists(), "a half-written key file from a crash must not linger"
        assert live.exists(), "a temporary file a live writer holds must not be removed"
    finally:
        os.close(holder)
    assert crypto.remove_stale_temporaries(key_file) == 1 and not live.exists()


def test_scrypt_follows_owasp_and_old_hashes_still_verify() -> None:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    stored = crypto.hash_passphrase("correct horse")
    assert stored[:3] == b"$s1" and tuple(stored[3:6]) == (17, 8, 1)
    assert crypto.verify_passphrase("correct horse", stored)
    assert not crypto.verify_passphrase("wrong horse", stored)
    salt = b"s" * 16
    legacy = salt + Scrypt(salt=salt, length=32, n=2**14, r=8, p=1).derive(b"old share")
    assert crypto.verify_passphrase("old share", legacy)


@pytest.mark.parametrize(
    "url", ["http://api.1claw.example", "http://10.0.0.5:8080", "http://[::ffff:7f00:1]x"]
)
def test_the_remote_client_refuses_plain_http_except_to_loopback(url: str) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(500))
    with pytest.raises(InvalidArgument) as err:
        OneClawVault("ocv_" + "k" * 30, base_url=url, transport=transport)
    assert "https://" in err.value.rule and sent == []


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1234", "http://[::1]:9", "https://api.1claw.example"]
)
def test_loopback_http_and_https_are_accepted(url: str) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    OneClawVault("ocv_" + "k" * 30, base_url=url, transport=transport).close()
