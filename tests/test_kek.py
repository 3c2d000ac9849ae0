"""Key-encryption keys outside the vault file: PKCS#11 (SoftHSM2) and transit (real ``bao``).

What is pinned: ``init --kek`` and ``rotate-key --to`` through the real CLI; no key file with a
token or transit KEK; the vault records the provider (labels, never a PIN or token); each
failure (wrong PIN, missing module/token/key, denied or unreachable transit) is one clear
error that names which and carries no secret; migrations between every pair keep every value;
an interrupted migration (SIGKILL) leaves a readable vault that the next run finishes; an open
vault follows a migration made by another process. If one fails, the provider modules are
oneclaw_tools/kek/*.py and the migration is Admin._migrate in backends/_local_admin.py.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.errors import IntegrityError, InvalidArgument
from oneclaw_tools.kek import KekUnavailable
from oneclaw_tools.testing.kek import TOKEN_LABELS, KekSetup, make_kek

KINDS = ("file", "pkcs11", "transit")


def _fill(db: Path, kek: KekSetup, **values: str) -> None:
    with LocalVault(db, env=kek.env, kek=kek.kind) as v:
        vid = v.default_vault_id()
        for path, value in values.items():
            v.put_secret(vid, path, value)


def _read_all(db: Path, env: dict[str, str]) -> dict[str, str]:
    with LocalVault(db, env=env) as v:
        vid = v.default_vault_id()
        return {m.path: v.get_secret(vid, m.path).value.reveal_unsafe() for m in v.list_secrets(vid)}


def _record(db: Path) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return dict(json.loads(conn.execute("SELECT value FROM vault_meta WHERE key = 'kek'").fetchone()[0]))


def _kek_ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT DISTINCT kek_id FROM versions")}


def _secrets_of(kek: KekSetup) -> list[str]:
    return [v for k, v in kek.env.items() if k in ("ONECLAW_PKCS11_PIN", "BAO_TOKEN")]


# -- init and the record ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_init_kek_through_the_cli(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    kek = make_kek(kind, request)
    db = tmp_path / "data" / "vault.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONECLAW_", "BAO_", "VAULT_"))}
    # with BAO_ADDR set (transit), ONECLAW_BACKEND=local keeps the embedded vault selected
    env.update(kek.env, ONECLAW_LOCAL_VAULT=str(db), HOME=str(tmp_path), ONECLAW_BACKEND="local")
    run = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "init", "--kek", kind],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["kek"]["kind"] == kind and out["kek"] == _record(db) and "note" not in out
    if kind == "file":
        assert out["key_file"] == str(db.with_name("vault.db.key"))
    else:
        assert out["key_file"] is None and not db.with_name("vault.db.key").exists()
    put = subprocess.run(
        [sys.executable, "-m", "oneclaw_tools", "put", "app/token"],
        input="v-" + kind, capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert put.returncode == 0, put.stderr
    assert _read_all(db, kek.env) == {"app/token": "v-" + kind}  # reopened from the record alone
    if kind == "transit":  # without ONECLAW_BACKEND, init says how later commands reach this vault
        again = subprocess.run(
            [sys.executable, "-m", "oneclaw_tools", "init"], capture_output=True, text=True, timeout=60,
            env={k: v for k, v in env.items() if k != "ONECLAW_BACKEND"},
        )  # fmt: skip
        assert again.returncode == 0 and "ONECLAW_BACKEND=local" in json.loads(again.stdout)["note"]
    blob = db.read_bytes() + b"".join(p.read_bytes() for p in db.parent.iterdir() if p.is_file())
    for secret in _secrets_of(kek):
        assert secret.encode() not in blob
        assert secret not in run.stdout + run.stderr + put.stdout + put.stderr


def test_rotate_key_to_through_the_cli_and_a_wrong_pin(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """``rotate-key --to pkcs11`` as an operator runs it; then a wrong PIN is one clear line on stderr."""
    kek = make_kek("pkcs11", request)
    db = tmp_path / "vault.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ONECLAW_", "BAO_", "VAULT_"))}
    env.update(ONECLAW_LOCAL_VAULT=str(db), HOME=str(tmp_path))

    def cli(
        *args: str, extra: dict[str, str] | None = None, stdin: str = ""
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "oneclaw_tools", *args], input=stdin, capture_output=True, text=True,
            env={**env, **(extra or {})}, timeout=60,
        )  # fmt: skip

    assert cli("init").returncode == 0
    assert cli("put", "db/password", stdin="hunter2-value").returncode == 0
    moved = cli("rotate-key", "--to", "pkcs11", extra=kek.env)
    assert moved.returncode == 0, moved.stderr
    out = json.loads(moved.stdout)
    assert out["kek"]["kind"] == "pkcs11" and out["rewrapped"] == 1 and out["removed_key_file"]
    assert not db.with_name("vault.db.key").exists()
    wrong = cli("audit", extra=dict(kek.env, ONECLAW_PKCS11_PIN="999999"))
    assert wrong.returncode == 1 and "ONECLAW_PKCS11_PIN is wrong" in wrong.stderr
    assert "999999" not in wrong.stderr + wrong.stdout and "Traceback" not in wrong.stderr
    assert kek.env["ONECLAW_PKCS11_PIN"] not in moved.stdout + moved.stderr
    assert _read_all(db, kek.env) == {"db/password": "hunter2-value"}


def test_a_failed_init_can_be_redone_with_another_provider(tmp_path: Path) -> None:
    """``init --kek pkcs11`` without its settings fails and wraps nothing; ``init --kek file`` then works."""
    db = tmp_path / "vault.db"
    with pytest.raises(KekUnavailable) as info, LocalVault(db, env={}, kek="pkcs11") as v:
        v.initialize()
    assert "ONECLAW_PKCS11_MODULE" in str(info.value)
    with LocalVault(db, env={}, kek="file") as v:
        v.put_secret(v.default_vault_id(), "a", "va")
    assert _record(db) == {"kind": "file"} and _read_all(db, {}) == {"a": "va"}


def test_init_refuses_another_provider_for_an_existing_vault(tmp_path: Path, kek: KekSetup) -> None:
    db = tmp_path / "vault.db"
    _fill(db, kek, a="1")
    other = "file" if kek.kind != "file" else "pkcs11"
    with pytest.raises(InvalidArgument) as info, LocalVault(db, env=kek.env, kek=other) as v:
        v.initialize()
    assert info.value.argument == "kek" and f"rotate-key --to {other}" in str(info.value)
    assert _read_all(db, kek.env) == {"a": "1"}


def test_pin_and_token_never_in_repr_or_record(
    tmp_path: Path, kek: KekSetup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx's request lines included
    db = tmp_path / "vault.db"
    with LocalVault(db, env=kek.env, kek=kek.kind) as v:
        v.put_secret(v.default_vault_id(), "a", "1")
        ring = v._store.ring
        texts = [repr(v), repr(ring), str(v.kek), json.dumps(_record(db))]
        with pytest.raises(TypeError):
            import pickle

            pickle.dumps(ring)
    if kek.kind != "file":  # a failing open logs nothing secret either
        broken = {"pkcs11": {"ONECLAW_PKCS11_MODULE": "/nonexistent"}, "transit": {"BAO_TOKEN": "s.wrong"}}
        with pytest.raises(KekUnavailable):
            LocalVault(db, env={**kek.env, **broken[kek.kind]}).initialize()
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in _secrets_of(kek):
        assert all(secret not in text for text in texts)
        assert secret not in logged


# -- failures: one clear error each, nothing lost --------------------------------------------------


def _pkcs11_vault(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, KekSetup]:
    kek = make_kek("pkcs11", request)
    db = tmp_path / "vault.db"
    _fill(db, kek, a="va")
    return db, kek


def _expect_unavailable(db: Path, env: dict[str, str], *needles: str) -> str:
    with pytest.raises(KekUnavailable) as info:
        _read_all(db, env)
    text = str(info.value) + repr(info.value)
    for needle in needles:
        assert needle in text, text
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    return text


def test_wrong_pin_is_named(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    db, kek = _pkcs11_vault(tmp_path, request)
    wrong = "000000-not-the-pin"
    text = _expect_unavailable(db, dict(kek.env, ONECLAW_PKCS11_PIN=wrong), "PIN", "ONECLAW_PKCS11_PIN")
    assert wrong not in text and kek.env["ONECLAW_PKCS11_PIN"] not in text
    assert _read_all(db, kek.env) == {"a": "va"}


def test_missing_module_token_key_or_setting_is_named(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    db, kek = _pkcs11_vault(tmp_path, request)
    _expect_unavailable(db, dict(kek.env, ONECLAW_PKCS11_MODULE=str(tmp_path / "no.so")), "module")
    env = {k: v for k, v in kek.env.items() if k != "ONECLAW_PKCS11_PIN"}
    _expect_unavailable(db, env, "ONECLAW_PKCS11_PIN", "not set")
    # the vault records its token and key label: a vault on another token is "not found"
    with sqlite3.connect(db) as conn:
        record = dict(_record(db), token_label="no-such-token")
        conn.execute("UPDATE vault_meta SET value = ? WHERE key = 'kek'", (json.dumps(record),))
    _expect_unavailable(db, kek.env, "token 'no-such-token'", "not found")
    with sqlite3.connect(db) as conn:
        record = dict(_record(db), token_label=TOKEN_LABELS[0], key_label="no-such-key")
        conn.execute("UPDATE vault_meta SET value = ? WHERE key = 'kek'", (json.dumps(record),))
    _expect_unavailable(db, kek.env, "no AES key labelled 'no-such-key'")
    assert not db.with_name("vault.db.key").exists()


def _transit_vault(tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, KekSetup]:
    kek = make_kek("transit", request)
    db = tmp_path / "vault.db"
    _fill(db, kek, a="va")
    return db, kek


def test_denied_or_unreachable_transit_is_named(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    db, kek = _transit_vault(tmp_path, request)
    addr, root = kek.env["BAO_ADDR"], kek.env["BAO_TOKEN"]
    with httpx.Client(base_url=addr, headers={"X-Vault-Token": root}, trust_env=False) as bao:
        name = kek.env["ONECLAW_TRANSIT_KEY"]
        rules = f'path "transit/keys/{name}" {{ capabilities = ["read"] }}'  # may look, not decrypt
        assert bao.put("/v1/sys/policies/acl/look-only", json={"policy": rules}).status_code == 204
        made = bao.post("/v1/auth/token/create", json={"policies": ["look-only"], "ttl": "10m"})
        weak = made.json()["auth"]["client_token"]
    text = _expect_unavailable(db, dict(kek.env, BAO_TOKEN=weak), "denied", "decrypt", "BAO_TOKEN")
    assert weak not in text and root not in text
    with httpx.Client(base_url=addr, headers={"X-Vault-Token": root}, trust_env=False) as bao:
        rules = "\n".join(
            f'path "transit/{op}/{name}" {{ capabilities = ["update"] }}' for op in ("encrypt", "decrypt")
        )
        assert bao.put("/v1/sys/policies/acl/use-only", json={"policy": rules}).status_code == 204
        made = bao.post("/v1/auth/token/create", json={"policies": ["use-only"], "ttl": "10m"})
        least = made.json()["auth"]["client_token"]
    assert _read_all(db, dict(kek.env, BAO_TOKEN=least)) == {"a": "va"}  # least privilege is enough
    _expect_unavailable(db, dict(kek.env, BAO_TOKEN="s.not-a-token"), "denied")
    import socket

    with socket.socket() as s:  # a closed port on 127.0.0.1: nothing listens there
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    _expect_unavailable(db, dict(kek.env, BAO_ADDR=closed), "could not be reached")
    _expect_unavailable(db, {k: v for k, v in kek.env.items() if k != "BAO_ADDR"}, "BAO_ADDR", "not set")
    with sqlite3.connect(db) as conn:
        record = dict(_record(db), key="no-such-key")
        conn.execute("UPDATE vault_meta SET value = ? WHERE key = 'kek'", (json.dumps(record),))
    _expect_unavailable(db, kek.env, "transit key 'no-such-key' does not exist")
    with sqlite3.connect(db) as conn:
        record = dict(_record(db), key=name)
        conn.execute("UPDATE vault_meta SET value = ? WHERE key = 'kek'", (json.dumps(record),))
    assert _read_all(db, kek.env) == {"a": "va"}


def test_a_row_moved_between_rows_fails_under_every_provider(tmp_path: Path, kek: KekSetup) -> None:
    """The provider binds each wrapped data key to its row (AES-GCM AAD / transit associated_data)."""
    db = tmp_path / "vault.db"
    _fill(db, kek, a="va", b="vb")
    with sqlite3.connect(db) as conn:
        wrapped = conn.execute("SELECT wrapped_dek FROM versions WHERE path = 'a'").fetchone()[0]
        conn.execute("UPDATE versions SET wrapped_dek = ? WHERE path = 'b'", (wrapped,))
    with LocalVault(db, env=kek.env) as v:
        vid = v.default_vault_id()
        assert v.get_secret(vid, "a").value.reveal_unsafe() == "va"
        with pytest.raises(IntegrityError):
            v.get_secret(vid, "b")


# -- rotation and migration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"), [(a, b) for a in KINDS for b in KINDS if a != b], ids=lambda k: str(k)
)
def test_migration_keeps_every_value(
    src: str, dst: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source, target = make_kek(src, request), make_kek(dst, request)
    db = tmp_path / "vault.db"
    _fill(db, source, a="va", b="vb")
    with LocalVault(db, env={**source.env, **target.env}) as v:
        v.put_secret(v.default_vault_id(), "a", "va2")
        result = v.rotate_key(to=dst)
    assert result["rewrapped"] == 3 and result["kek"]["kind"] == dst and result["from"]["kind"] == src
    assert _record(db) == result["kek"] and _kek_ids(db) == {result["key_id"]}
    assert db.with_name("vault.db.key").exists() == (dst == "file")
    assert _read_all(db, target.env) == {"a": "va2", "b": "vb"}
    with LocalVault(db, env=target.env) as v:
        assert v.get_secret(v.default_vault_id(), "a", 1).value.reveal_unsafe() == "va"
        assert sorted(m.version for m in v.list_versions(v.default_vault_id(), "a")) == [1, 2]
        events = [e for e in v.audit_events(100) if e.action == "rotate_key"]
    assert events and f"from {src} to {dst}" in (events[-1].detail or "")


def test_transit_rotation_rewraps_under_the_new_key_version(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db, kek = _transit_vault(tmp_path, request)
    with LocalVault(db, env=kek.env) as v:
        result = v.rotate_key()
    assert result["rewrapped"] == 1 and result["kek"]["kind"] == "transit"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT wrapped_dek FROM versions").fetchone()[0].startswith(b"vault:v2:")
    assert _read_all(db, kek.env) == {"a": "va"}


def test_pkcs11_rotation_is_a_migration_to_a_new_label(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db, kek = _pkcs11_vault(tmp_path, request)
    with LocalVault(db, env=kek.env) as v:
        same = v.rotate_key()
    assert same["rewrapped"] == 0 and "ONECLAW_PKCS11_KEY_LABEL" in same["note"]
    other = dict(kek.env, ONECLAW_PKCS11_KEY_LABEL=kek.env["ONECLAW_PKCS11_KEY_LABEL"] + "-2",
                 ONECLAW_PKCS11_TOKEN_LABEL=TOKEN_LABELS[1])  # fmt: skip
    with LocalVault(db, env=other) as v:
        moved = v.rotate_key(to="pkcs11")
    assert moved["rewrapped"] == 1 and moved["kek"]["token_label"] == TOKEN_LABELS[1]
    assert moved["key_id"] != same["key_id"]
    assert _read_all(db, kek.env) == {"a": "va"}  # the record names the new token and label


def test_an_open_vault_follows_a_migration_by_another_process(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    file_kek, transit = make_kek("file", request), make_kek("transit", request)
    db = tmp_path / "vault.db"
    _fill(db, file_kek, a="va")
    env = {**file_kek.env, **transit.env}
    stale = LocalVault(db, env=env)
    vid = stale.default_vault_id()
    assert stale.get_secret(vid, "a").value.reveal_unsafe() == "va"
    with LocalVault(db, env=env) as mover:
        mover.rotate_key(to="transit")
    assert stale.get_secret(vid, "a").value.reveal_unsafe() == "va"
    stale.put_secret(vid, "b", "vb")
    stale.close()
    assert _kek_ids(db) == {f"t-transit/{transit.env['ONECLAW_TRANSIT_KEY']}"}
    assert _read_all(db, transit.env) == {"a": "va", "b": "vb"}


_INTERRUPT = textwrap.dedent(
    """
    import os, signal, sys
    from oneclaw_tools.backends._local_admin import Admin
    from oneclaw_tools.backends.local import LocalVault

    stage, to = sys.argv[2], sys.argv[3]
    real_rows, real_drop = Admin._rewrap_rows, Admin._drop_stale_key_file

    def rows(self, conn, source, target, *rest):
        real_rows(self, conn, source, target, *rest)  # every row re-wrapped, not yet committed
        os.kill(os.getpid(), signal.SIGKILL)

    def drop(self):
        if stage == "after-commit" and self.core.store.ring.kind == to:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_drop(self)

    if stage == "before-commit":
        Admin._rewrap_rows = rows
    Admin._drop_stale_key_file = drop
    LocalVault(sys.argv[1]).rotate_key(to=to)
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["before-commit", "after-commit"])
@pytest.mark.parametrize(
    ("src", "to"), [("file", "pkcs11"), ("file", "transit"), ("transit", "file"), ("pkcs11", "transit")]
)
def test_interrupted_migration_leaves_a_readable_vault(
    stage: str, src: str, to: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    source, target = make_kek(src, request), make_kek(to, request)
    db = tmp_path / "vault.db"
    _fill(db, source, a="va", b="vb")
    key_file = db.with_name("vault.db.key")
    both = {**source.env, **target.env}
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("ONECLAW_", "BAO_"))}, **both}
    proc = subprocess.run(
        [sys.executable, "-c", _INTERRUPT, str(db), stage, to], capture_output=True, env=env, timeout=120
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    # a key file in use, or one made for the target, is never removed before the commit
    assert key_file.exists() == ("file" in (src, to))
    assert _record(db)["kind"] == (src if stage == "before-commit" else to)
    assert _read_all(db, both) == {"a": "va", "b": "vb"}
    with LocalVault(db, env=both) as v:
        v.put_secret(v.default_vault_id(), "c", "vc")
        result = v.rotate_key(to=to)  # finishing the job
    assert key_file.exists() == (to == "file") and _record(db)["kind"] == to
    assert result["kek"]["kind"] == to
    assert _read_all(db, target.env) == {"a": "va", "b": "vb", "c": "vc"}
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_rotate_key_to_is_checked(tmp_path: Path) -> None:
    kek = KekSetup("file")
    db = tmp_path / "vault.db"
    _fill(db, kek, a="va")
    with LocalVault(db, env={}) as v, pytest.raises(InvalidArgument) as info:
        v.rotate_key(to="hsm")
    assert info.value.argument == "to"
    with pytest.raises(KekUnavailable) as missing, LocalVault(db, env={}) as v:
        v.rotate_key(to="pkcs11")  # no ONECLAW_PKCS11_* set
    assert "ONECLAW_PKCS11_MODULE" in str(missing.value)
    assert _record(db)["kind"] == "file" and _read_all(db, {}) == {"a": "va"}


def test_a_write_during_the_migration_is_migrated_too(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Data keys are re-wrapped (in transit batches) before the write lock; a version another
    writer adds meanwhile is re-wrapped inside the transaction, so none is left behind."""
    from oneclaw_tools.backends._local_admin import Admin

    file_kek, transit = make_kek("file", request), make_kek("transit", request)
    db = tmp_path / "vault.db"
    _fill(db, file_kek, **{f"k{i:03d}": f"v{i}" for i in range(300)})  # more than one batch
    env = {**file_kek.env, **transit.env}
    real = Admin._prepare

    def prepare(self: Any, source: Any, target: Any) -> Any:
        ready = real(self, source, target)
        with LocalVault(db, env=env) as other:  # another writer, still on the file KEK
            other.put_secret(other.default_vault_id(), "late", "vlate")
            other.put_secret(other.default_vault_id(), "k000", "v0-new")
        return ready

    monkeypatch.setattr(Admin, "_prepare", prepare)
    with LocalVault(db, env=env) as v:
        assert v.rotate_key(to="transit")["rewrapped"] == 302
    assert _kek_ids(db) == {f"t-transit/{transit.env['ONECLAW_TRANSIT_KEY']}"}
    values = _read_all(db, transit.env)
    assert values["late"] == "vlate" and values["k000"] == "v0-new" and values["k299"] == "v299"


def test_a_tampered_row_stops_a_migration_and_changes_nothing(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    transit, pkcs11 = make_kek("transit", request), make_kek("pkcs11", request)
    db = tmp_path / "vault.db"
    _fill(db, transit, a="va", b="vb")
    with sqlite3.connect(db) as conn:
        wrapped = conn.execute("SELECT wrapped_dek FROM versions WHERE path = 'a'").fetchone()[0]
        conn.execute("UPDATE versions SET wrapped_dek = ? WHERE path = 'b'", (wrapped,))
    before = _record(db)
    with LocalVault(db, env={**transit.env, **pkcs11.env}) as v, pytest.raises(IntegrityError):
        v.rotate_key(to="pkcs11")
    assert _record(db) == before and _kek_ids(db) == {f"t-transit/{transit.env['ONECLAW_TRANSIT_KEY']}"}
    with LocalVault(db, env=transit.env) as v:
        assert v.get_secret(v.default_vault_id(), "a").value.reveal_unsafe() == "va"


def test_transit_with_approle_and_no_plain_http_off_loopback(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """AppRole (BAO_ROLE_ID/BAO_SECRET_ID) reaches transit like a token; http:// to a non-loopback
    address is refused before anything is sent (the token would travel in clear)."""
    kek = make_kek("transit", request)
    name = kek.env["ONECLAW_TRANSIT_KEY"]
    with httpx.Client(
        base_url=kek.env["BAO_ADDR"], headers={"X-Vault-Token": kek.env["BAO_TOKEN"]}, trust_env=False
    ) as bao:
        bao.post("/v1/sys/auth/approle", json={"type": "approle"})  # 400 if already enabled
        rules = (
            f'path "transit/keys/{name}" {{ capabilities = ["read", "create", "update"] }}\n'
            f'path "transit/encrypt/{name}" {{ capabilities = ["update"] }}\n'
            f'path "transit/decrypt/{name}" {{ capabilities = ["update"] }}'
        )
        assert bao.put(f"/v1/sys/policies/acl/kek-{name}", json={"policy": rules}).status_code == 204
        role = f"/v1/auth/approle/role/kek-{name}"
        assert bao.post(role, json={"token_policies": [f"kek-{name}"], "token_ttl": "5m"}).status_code == 204
        role_id = bao.get(role + "/role-id").json()["data"]["role_id"]
        secret_id = bao.post(role + "/secret-id").json()["data"]["secret_id"]
    env = {k: v for k, v in kek.env.items() if k != "BAO_TOKEN"}
    env.update(BAO_ROLE_ID=role_id, BAO_SECRET_ID=secret_id)
    db = tmp_path / "vault.db"
    _fill(db, KekSetup("transit", env), a="va")
    assert _read_all(db, env) == {"a": "va"}
    text = _expect_unavailable(db, dict(env, BAO_SECRET_ID="not-the-secret-id"), "AppRole")
    assert secret_id not in text and role_id not in text
    _expect_unavailable(
        db, dict(env, BAO_ADDR="http://192.0.2.10:8200"), "https://", "ONECLAW_BAO_ALLOW_HTTP"
    )


def test_serve_over_a_vault_on_each_provider(tmp_path: Path, kek: KekSetup) -> None:
    """``oneclaw-tools serve`` opens a vault made with ``init --kek`` from its record alone, and an
    agent reads and writes through it, also after another vault of the process on the same token
    closed (PKCS#11 logs in per application: closing one session logs all out)."""
    from oneclaw_tools.backends.remote import OneClawVault
    from oneclaw_tools.server import ServerThread, open_server
    from oneclaw_tools.server.testing import make_agent

    db = tmp_path / "vault.db"
    first = LocalVault(db, env=kek.env, kek=kek.kind)  # stays open: two vaults on one token in a process
    first.initialize()
    server = open_server(db, env=kek.env)
    thread = ServerThread(server.app)
    try:
        url = thread.start()
        _, key, vault_id = make_agent(server, "kek-bot")
        with OneClawVault(key.reveal_unsafe(), base_url=url) as client:
            client.put_secret(vault_id, "svc/token", "served-" + kek.kind)
            assert client.get_secret(vault_id, "svc/token").value.reveal_unsafe() == "served-" + kek.kind
        first.close()  # for pkcs11 this logs the whole process out of the token: the server logs in again
        with OneClawVault(key.reveal_unsafe(), base_url=url) as client:
            assert client.get_secret(vault_id, "svc/token").value.reveal_unsafe() == "served-" + kek.kind
    finally:
        thread.stop()
        server.close()
        first.close()
    assert _record(db)["kind"] == kek.kind
