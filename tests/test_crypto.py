"""Encryption at rest: no plaintext on disk, tampering detected, wrong keys refused, key rotation.

A failure here is a security bug in oneclaw_tools/crypto.py or backends/_local_store.py:
never loosen an assertion to make it pass.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from oneclaw_tools import crypto
from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.errors import IntegrityError, InvalidArgument


def _encodings(value: str) -> list[bytes]:
    raw = value.encode()
    return [
        raw,
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        raw.hex().encode(),
        raw.hex().upper().encode(),
        value.encode("utf-16-le"),
    ]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "vault.db"


def _fill(db: Path, **values: str) -> str:
    with LocalVault(db, env={}) as v:
        vid = v.default_vault_id()
        for path, value in values.items():
            v.put_secret(vid, path, value)
        return vid


def _read(db: Path, path: str, env: dict[str, str] | None = None) -> str:
    with LocalVault(db, env=env or {}) as v:
        return v.get_secret(v.default_vault_id(), path).value.reveal_unsafe()


# -- primitives ---------------------------------------------------------------------------


def test_seal_open_and_rewrap() -> None:
    ring = crypto.KeyRing([crypto.generate_key()], "test")
    sealed = crypto.seal(ring, b"plain", b"aad")
    assert crypto.open_sealed(ring, sealed, b"aad") == b"plain"
    with pytest.raises(IntegrityError):
        crypto.open_sealed(ring, sealed, b"other aad")
    ring2 = crypto.KeyRing([*ring.keys(), crypto.generate_key()], "test")
    moved = crypto.rewrap(ring2, sealed, b"aad", ring2.newest_id)
    assert moved.ciphertext == sealed.ciphertext and moved.kek_id != sealed.kek_id
    assert crypto.open_sealed(crypto.KeyRing(ring2.keys()[1:], "t"), moved, b"aad") == b"plain"
    with pytest.raises(IntegrityError):
        crypto.open_sealed(ring, moved, b"aad")  # old ring does not know the new key
    assert crypto.encode_key(ring.keys()[0]) not in repr(ring) and "kek_id" in repr(sealed)


def test_every_failure_is_the_same_integrity_error() -> None:
    ring = crypto.KeyRing([crypto.generate_key()], "test")
    sealed = crypto.seal(ring, b"plain", b"aad")
    broken = [
        crypto.Sealed(
            sealed.kek_id, sealed.wrapped_dek, sealed.ciphertext[:-1] + bytes([sealed.ciphertext[-1] ^ 1])
        ),
        crypto.Sealed(sealed.kek_id, sealed.wrapped_dek[:-1] + b"\x00", sealed.ciphertext),
        crypto.Sealed(sealed.kek_id, b"", b""),
        crypto.Sealed("k-unknown", sealed.wrapped_dek, sealed.ciphertext),
    ]
    messages = set()
    for item in broken:
        with pytest.raises(IntegrityError) as info:
            crypto.open_sealed(ring, item, b"aad")
        messages.add(info.value.message)
    assert messages == {crypto.INTEGRITY_MESSAGE}


@pytest.mark.parametrize("charset", ["hex", "base64", "alphanumeric", "ascii"])
def test_generated_values(charset: str) -> None:
    values = {crypto.generate_value(64, charset) for _ in range(20)}
    assert len(values) == 20 and all(len(v) == 64 for v in values)
    assert all(" " not in v for v in values)


def test_passphrases_and_tokens_are_hashed() -> None:
    stored = crypto.hash_passphrase("correct horse")
    assert b"correct horse" not in stored
    assert crypto.verify_passphrase("correct horse", stored)
    assert not crypto.verify_passphrase("wrong", stored)
    assert crypto.verify_token("tok", crypto.hash_token("tok")) and not crypto.verify_token(
        "x", crypto.hash_token("tok")
    )


def test_bad_env_key_is_named_not_echoed() -> None:
    for text in ("not base64 !!", base64.urlsafe_b64encode(b"short").decode()):
        with pytest.raises(InvalidArgument) as info:
            crypto.decode_key(text)
        assert info.value.argument == crypto.KEY_ENV and text not in str(info.value)


# -- at rest ------------------------------------------------------------------------------


def test_no_plaintext_in_database_or_wal(db: Path) -> None:
    canaries = {f"c/{i}": f"canary-{i}-" + os.urandom(8).hex() for i in range(5)}
    canaries["c/unicode"] = "pässwörd-" + os.urandom(8).hex()
    canaries["c/long"] = "L" + os.urandom(16).hex() * 200
    v = LocalVault(db, env={})
    vid = v.default_vault_id()
    for path, value in canaries.items():
        v.put_secret(vid, path, value, metadata={"note": "metadata is not secret"})
        v.get_secret(vid, path)
    v.rotate_secret(vid, "c/0")
    generated = v.get_secret(vid, "c/0").value.reveal_unsafe()
    wal = db.with_name("vault.db-wal")
    assert wal.stat().st_size > 0  # still open: the rows are in the WAL
    blobs = db.read_bytes() + wal.read_bytes()
    for value in [*canaries.values(), generated]:
        for needle in _encodings(value):
            assert needle not in blobs
    assert b"metadata is not secret" in blobs  # sanity: the search does see stored text
    v.close()
    blobs = db.read_bytes()
    for value in canaries.values():
        assert value.encode() not in blobs


# -- tampering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE versions SET ciphertext = (SELECT ciphertext FROM versions WHERE path = 'b') WHERE path = 'a'",
        "UPDATE versions SET wrapped_dek = (SELECT wrapped_dek FROM versions WHERE path = 'b') WHERE path = 'a'",
        "UPDATE versions SET ciphertext = substr(ciphertext, 1, 20) || x'00' || substr(ciphertext, 22) WHERE path = 'a'",
        "UPDATE versions SET expires_at = '2099-01-01T00:00:00.000000+00:00' WHERE path = 'a'",
        "UPDATE versions SET metadata = '{\"allowed_hosts\":[\"evil.example\"]}' WHERE path = 'a'",
        "UPDATE versions SET max_access_count = 7 WHERE path = 'a'",
        "UPDATE versions SET type = 'password' WHERE path = 'a'",
        "UPDATE versions SET kek_id = 'k-0000000000000000' WHERE path = 'a'",
    ],
)
def test_swapped_or_edited_rows_are_detected(db: Path, tamper: str) -> None:
    _fill(db, a="value-a", b="value-b")
    with sqlite3.connect(db) as conn:
        conn.execute(tamper)
    with LocalVault(db, env={}) as v, pytest.raises(IntegrityError) as info:
        v.get_secret(v.default_vault_id(), "a")
    assert "value-" not in str(info.value)
    assert _read(db, "b") == "value-b"


def test_moved_rows_are_detected(db: Path) -> None:
    """Swap the paths of two secrets (rows moved wholesale): both reads fail."""
    _fill(db, a="value-a", b="value-b")
    with sqlite3.connect(db) as conn:
        for table in ("versions", "secrets"):
            conn.execute(f"UPDATE {table} SET path = 'tmp' WHERE path = 'a'")
            conn.execute(f"UPDATE {table} SET path = 'a' WHERE path = 'b'")
            conn.execute(f"UPDATE {table} SET path = 'b' WHERE path = 'tmp'")
    for path in ("a", "b"):
        with pytest.raises(IntegrityError):
            _read(db, path)


def test_a_row_copied_into_another_vault_file_is_detected(tmp_path: Path) -> None:
    """Same key, another vault file: the row is bound to its vault instance."""
    key = crypto.generate_key()
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    for path, value in ((one, "from-one"), (two, "from-two")):
        with LocalVault(path, key=key) as v:
            v.put_secret(v.default_vault_id(), "k", value)
    with sqlite3.connect(one) as src:
        row = src.execute("SELECT ciphertext, wrapped_dek FROM versions").fetchone()
    with sqlite3.connect(two) as dst:
        dst.execute("UPDATE versions SET ciphertext = ?, wrapped_dek = ?", row)
    with LocalVault(two, key=key) as v, pytest.raises(IntegrityError):
        v.get_secret(v.default_vault_id(), "k")


# -- keys ---------------------------------------------------------------------------------


def test_wrong_key_file_is_refused(db: Path) -> None:
    _fill(db, a="v")
    key_file = db.with_name("vault.db.key")
    crypto.write_key_file(key_file, [crypto.generate_key()])
    with pytest.raises(IntegrityError) as info:
        _read(db, "a")
    assert "does not match" in str(info.value)


def test_missing_or_damaged_key_file(db: Path) -> None:
    _fill(db, a="v")
    key_file = db.with_name("vault.db.key")
    saved = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(IntegrityError):
        _read(db, "a")
    assert not key_file.exists()  # not silently replaced by a new key
    key_file.write_text("{not json")
    key_file.chmod(0o600)  # a file open to others is refused before it is read (tested elsewhere)
    with pytest.raises(IntegrityError):
        _read(db, "a")
    key_file.write_bytes(saved)
    assert _read(db, "a") == "v"


def test_wrong_env_key_is_refused(db: Path) -> None:
    env = {crypto.KEY_ENV: crypto.encode_key(crypto.generate_key())}
    with LocalVault(db, env=env) as v:
        v.put_secret(v.default_vault_id(), "a", "v")
    with pytest.raises(IntegrityError):
        _read(db, "a", {crypto.KEY_ENV: crypto.encode_key(crypto.generate_key())})
    assert _read(db, "a", env) == "v"


def test_a_second_key_cannot_join_a_vault_silently(db: Path) -> None:
    """Two processes open an empty vault with different env keys: the second writer is refused."""
    right = {crypto.KEY_ENV: crypto.encode_key(crypto.generate_key())}
    wrong = {crypto.KEY_ENV: crypto.encode_key(crypto.generate_key())}
    a, b = LocalVault(db, env=right), LocalVault(db, env=wrong)
    vid = a.default_vault_id()
    b.initialize()
    a.put_secret(vid, "k", "v")
    with pytest.raises(IntegrityError):
        b.put_secret(vid, "k2", "v")
    a.close()
    b.close()
    assert _read(db, "k", right) == "v"


def test_rotate_key_with_key_file(db: Path) -> None:
    _fill(db, a="va", b="vb")
    key_file = db.with_name("vault.db.key")
    old = key_file.read_bytes()
    with LocalVault(db, env={}) as v:
        result = v.rotate_key()
    assert result["rewrapped"] == 2 and result["key_source"] == "file"
    keys = json.loads(key_file.read_text())["keys"]
    assert [k["id"] for k in keys] == [result["key_id"]]
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert (_read(db, "a"), _read(db, "b")) == ("va", "vb")
    key_file.write_bytes(old)
    with pytest.raises(IntegrityError):
        _read(db, "a")


def test_rotate_key_with_env_keys(db: Path) -> None:
    k1, k2 = crypto.encode_key(crypto.generate_key()), crypto.encode_key(crypto.generate_key())
    with LocalVault(db, env={crypto.KEY_ENV: k1}) as v:
        v.put_secret(v.default_vault_id(), "a", "va")
    with LocalVault(db, env={crypto.KEY_ENV: f"{k1},{k2}"}) as v:
        assert v.rotate_key()["rewrapped"] == 1
    assert _read(db, "a", {crypto.KEY_ENV: k2}) == "va"
    with pytest.raises(IntegrityError):
        _read(db, "a", {crypto.KEY_ENV: k1})


def test_another_process_rotated_under_an_open_vault(db: Path) -> None:
    """An open vault notices a rotated key file, for reads and for writes."""
    _fill(db, a="va")
    stale = LocalVault(db, env={})
    vid = stale.default_vault_id()
    with LocalVault(db, env={}) as rotator:
        rotator.rotate_key()
    assert stale.get_secret(vid, "a").value.reveal_unsafe() == "va"
    stale.put_secret(vid, "b", "vb")
    stale.close()
    assert _read(db, "b") == "vb"


_INTERRUPT = textwrap.dedent(
    """
    import os, signal, sys
    from oneclaw_tools import crypto
    from oneclaw_tools.backends._local_admin import Admin
    from oneclaw_tools.backends.local import LocalVault

    stage = sys.argv[2]
    real_write = crypto.write_key_file
    calls = []

    def write(path, keys, **kw):
        calls.append(1)
        if stage == "after-rewrap" and len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_write(path, keys, **kw)

    def rewrap(self, conn, note):
        os.kill(os.getpid(), signal.SIGKILL)

    crypto.write_key_file = write
    if stage == "before-rewrap":
        Admin._rewrap_all = rewrap
    LocalVault(sys.argv[1], env={}).rotate_key()
    """
)


@pytest.mark.parametrize("stage", ["before-rewrap", "after-rewrap"])
def test_interrupted_rotation_leaves_a_readable_vault(db: Path, stage: str) -> None:
    _fill(db, a="va", b="vb")
    proc = subprocess.run([sys.executable, "-c", _INTERRUPT, str(db), stage], capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    key_file = db.with_name("vault.db.key")
    assert len(json.loads(key_file.read_text())["keys"]) == 2  # old and new both kept
    assert (_read(db, "a"), _read(db, "b")) == ("va", "vb")
    with LocalVault(db, env={}) as v:
        v.put_secret(v.default_vault_id(), "c", "vc")
        v.rotate_key()  # finishing the job
    assert len(json.loads(key_file.read_text())["keys"]) == 1
    assert [_read(db, p) for p in "abc"] == ["va", "vb", "vc"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
