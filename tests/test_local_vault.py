"""LocalVault: the conformance suite plus what only the embedded vault does.

If a conformance test fails here, the bug is in oneclaw_tools/backends/local*.py, not in the
suite. The local tests pin principals and policies, access counting, audit and file modes.
"""

from __future__ import annotations

import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from oneclaw_tools.audit import tool_scope
from oneclaw_tools.backends.base import VaultBackend
from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.errors import Gone, InvalidArgument, NotFound, PermissionDenied
from oneclaw_tools.models import AuditEvent, Principal
from oneclaw_tools.testing.backend import BackendConformanceTests


class TestLocalVaultConformance(BackendConformanceTests):
    """Runs once per KEK provider (file, pkcs11, transit): see tests/conftest.py."""

    @pytest.fixture(autouse=True)
    def _kek(self, kek: Any) -> None:
        self.kek = kek

    def make_backend(self, tmp_path: Path) -> VaultBackend:
        return LocalVault(tmp_path / "vault.db", env=self.kek.env, kek=self.kek.kind, clock=self.clock)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def vault(tmp_path: Path, clock: Clock, kek: Any) -> Any:
    """The embedded vault, once per KEK provider (file, pkcs11, transit)."""
    v = LocalVault(tmp_path / "sub" / "dir" / "vault.db", env=kek.env, clock=clock, kek=kek.kind)
    yield v
    v.close()


def test_files_are_private_and_created_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "vault.db"
    v = LocalVault(path, env={})
    assert not path.exists()
    vid = v.default_vault_id()
    v.put_secret(vid, "k", "v")
    for f in (path, path.with_name("vault.db.key"), path.with_name("vault.db-wal")):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert v.path == path and "vault.db" in repr(v)
    v.close()


def test_env_key_means_no_key_file(tmp_path: Path) -> None:
    from oneclaw_tools.crypto import encode_key, generate_key

    env = {"ONECLAW_LOCAL_VAULT_KEY": encode_key(generate_key())}
    with LocalVault(tmp_path / "v.db", env=env) as v:
        v.put_secret(v.default_vault_id(), "k", "v")
    assert not (tmp_path / "v.db.key").exists()
    with LocalVault(tmp_path / "v.db", env=env) as v:
        assert v.get_secret(v.default_vault_id(), "k").value.reveal_unsafe() == "v"


def test_access_count_and_describe(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "v", max_access_count=3)
    assert vault.get_secret(vid, "k").meta.uses_left == 2
    assert vault.describe_secret(vid, "k").access_count == 1
    assert vault.list_secrets(vid)[0].uses_left == 2


def test_expiry_follows_the_injected_clock(vault: LocalVault, clock: Clock) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "v", expires_at=clock.now + timedelta(hours=1))
    vault.get_secret(vid, "k")
    clock.advance(hours=1)
    with pytest.raises(Gone):
        vault.get_secret(vid, "k")
    assert vault.list_secrets(vid)[0].path == "k"  # still listed, its expiry visible
    with pytest.raises(InvalidArgument) as info:
        vault.put_secret(vid, "k", "v", expires_at=clock.now - timedelta(seconds=1))
    assert info.value.argument == "expires_at"


def test_every_version_disabled_is_410(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "v")
    vault.disable_version(vid, "k", 1)
    with pytest.raises(Gone):
        vault.get_secret(vid, "k")
    assert vault.list_secrets(vid)[0].is_disabled


def test_deleted_incarnation_versions_are_410(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "one")
    vault.delete_secret(vid, "k")
    with pytest.raises(Gone):
        vault.delete_secret(vid, "k")
    vault.put_secret(vid, "k", "two")
    with pytest.raises(Gone):
        vault.get_secret(vid, "k", 1)
    assert [m.version for m in vault.list_versions(vid, "k")] == [2]


def test_rotation_keeps_type_and_metadata(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(
        vid, "k", "v", type="api_key", metadata={"allowed_hosts": ["a.example"]}, max_access_count=5
    )
    meta = vault.rotate_secret(vid, "k", type="password")
    assert (meta.type, meta.metadata, meta.max_access_count) == (
        "password",
        {"allowed_hosts": ["a.example"]},
        5,
    )
    vault.delete_secret(vid, "k")
    with pytest.raises(Gone):
        vault.rotate_secret(vid, "k")


def test_agent_bound_to_vaults(vault: LocalVault) -> None:
    mine = vault.create_vault("mine").id
    other = vault.create_vault("other").id
    vault.put_secret(other, "x", "v")
    agent = vault.acting_as(Principal(type="agent", id="a1", vault_ids=(mine,)))
    assert [v.id for v in agent.list_vaults()] == [mine]
    for call in (
        lambda: agent.get_secret(other, "x"),
        lambda: agent.list_secrets(other),
        lambda: agent.get_vault(other),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(NotFound):  # an unknown vault is 404 for everyone, as 1Claw answers
        agent.get_vault("no-such-vault")
    assert agent.default_vault_id() == mine
    created = agent.create_vault("agents-own").id  # a creator owns its vault
    agent.put_secret(created, "k", "v")
    assert agent.get_secret(created, "k").value.reveal_unsafe() == "v"
    assert {v.id for v in agent.list_vaults()} == {mine, created}
    denied = [e for e in vault.audit_events(50) if e.outcome == "denied"]
    assert len(denied) == 3 and all(e.principal == "agent:a1" for e in denied)


def test_policies_grant_each_permission(vault: LocalVault, clock: Clock) -> None:
    vid = vault.default_vault_id()
    for path in ("prod/db", "prod/api/key", "dev/db"):
        vault.put_secret(vid, path, "v-" + path)
    agent = vault.acting_as(Principal(type="agent", id="bot"))
    assert agent.list_secrets(vid) == []
    with pytest.raises(PermissionDenied):
        agent.describe_secret(vid, "prod/db")
    vault.create_policy(vid, principal_type="agent", principal_id="bot", secret_path_pattern="prod/*")
    assert [m.path for m in agent.list_secrets(vid)] == ["prod/db"]
    assert agent.get_secret(vid, "prod/db").value.reveal_unsafe() == "v-prod/db"
    with pytest.raises(PermissionDenied):
        agent.get_secret(vid, "prod/api/key")  # '*' is one segment
    with pytest.raises(PermissionDenied):
        agent.put_secret(vid, "prod/db", "new")
    with pytest.raises(PermissionDenied):
        agent.create_policy(vid, principal_type="agent", principal_id="bot", permissions=["write"])
    vault.create_policy(
        vid,
        principal_type="agent",
        principal_id="bot",
        secret_path_pattern="prod/**",
        permissions=["rotate"],
        expires_at=clock.now + timedelta(minutes=5),
    )
    agent.rotate_secret(vid, "prod/api/key")
    with pytest.raises(PermissionDenied):
        agent.delete_secret(vid, "prod/db")
    clock.advance(minutes=5)  # the rotate policy has expired
    with pytest.raises(PermissionDenied):
        agent.rotate_secret(vid, "prod/api/key")
    write = vault.create_policy(
        vid, principal_type="agent", principal_id="bot", secret_path_pattern="**", permissions=["write"]
    )
    agent.put_secret(vid, "dev/new", "v")
    agent.delete_secret(vid, "dev/db")  # write also grants delete (1Claw docs)
    assert [p.id for p in agent.list_policies(vid)] and all(
        p.principal_id == "bot" for p in agent.list_policies(vid)
    )
    vault.delete_policy(vid, write.id)
    with pytest.raises(PermissionDenied):
        agent.put_secret(vid, "dev/new", "v")
    with pytest.raises(PermissionDenied):
        list(agent.export_latest_unsafe())
    with pytest.raises(PermissionDenied):
        agent.rotate_key()


def test_user_principal_is_checked_like_an_agent(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "v")
    alice = vault.acting_as(Principal(type="user", id="alice"))
    assert alice.list_vaults() == []
    for call in (
        lambda: alice.get_secret(vid, "k"),
        lambda: alice.get_vault(vid),
        lambda: list(alice.export_latest_unsafe()),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert [e.action for e in vault.audit_events(3)] == ["get_secret", "get_vault", "export_latest_unsafe"]
    vault.create_policy(vid, principal_type="user", principal_id="alice", permissions=["read"])
    assert alice.get_secret(vid, "k").value.reveal_unsafe() == "v"
    assert [v.id for v in alice.list_vaults()] == [vid]
    assert alice.get_vault(vid).id == vid


def test_targeted_share_needs_accept(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "v")
    share = vault.create_share(
        vid, "k", recipient_type="agent", recipient_id="a9", expires_at=datetime(2031, 1, 1, tzinfo=UTC)
    )
    agent = vault.acting_as(Principal(type="agent", id="a9"))
    stranger = vault.acting_as(Principal(type="agent", id="zz"))
    assert [s.id for s in agent.list_inbound_shares()] == [share.id]
    assert stranger.list_inbound_shares() == []
    with pytest.raises(PermissionDenied):
        agent.access_share(share.id)
    with pytest.raises(PermissionDenied):
        stranger.accept_share(share.id)
    agent.accept_share(share.id)
    assert agent.access_share(share.id).value.reveal_unsafe() == "v"
    with pytest.raises(PermissionDenied):
        stranger.access_share(share.id)
    with pytest.raises(PermissionDenied):
        stranger.revoke_share(share.id)
    agent.decline_share(share.id)
    with pytest.raises(PermissionDenied):
        agent.access_share(share.id)
    assert share.share_url is not None
    with pytest.raises(Gone):  # a declined share is dead, even through its link
        vault.access_share(share.share_url.reveal_unsafe())


def test_share_passphrase_and_bad_token(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "k", "v")
    share = vault.create_share(
        vid,
        "k",
        recipient_type="anyone_with_link",
        expires_at="2031-01-01T00:00:00Z",
        passphrase="open sesame",
    )
    url = share.share_url.reveal_unsafe()  # type: ignore[union-attr]
    with pytest.raises(PermissionDenied):
        vault.access_share(url)
    with pytest.raises(PermissionDenied):
        vault.access_share(url, "wrong")
    assert vault.access_share(url, "open sesame").value.reveal_unsafe() == "v"
    forged = url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB")
    with pytest.raises(PermissionDenied):
        vault.access_share(forged, "open sesame")
    with pytest.raises(PermissionDenied):
        vault.access_share(share.id, "open sesame")  # the id alone is not the link
    with pytest.raises(NotFound):
        vault.access_share("00000000-0000-0000-0000-000000000000#" + "A" * 43)
    vault.delete_secret(vid, "k")
    with pytest.raises(Gone):
        vault.access_share(url, "open sesame")
    stored = vault.path.read_bytes() + vault.path.with_name("vault.db-wal").read_bytes()
    assert url.split("#")[1].encode() not in stored and b"open sesame" not in stored


def test_audit_rows_name_the_tool_and_never_the_value(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    with tool_scope("get_secret"):
        vault.put_secret(vid, "k", "value-canary-123")
        vault.get_secret(vid, "k")
    with pytest.raises(InvalidArgument):
        vault.put_secret(vid, "bad path value-canary-456", "v")
    vault.record_audit(
        AuditEvent(ts=datetime(2030, 1, 1, tzinfo=UTC), principal="agent:x", action="handle_use")
    )
    events = vault.audit_events(10)
    assert [e.action for e in events][-4:] == ["put_secret", "get_secret", "put_secret", "handle_use"]
    assert events[-3].tool == "get_secret" and events[-3].version == 1
    assert (
        events[-2].outcome == "error"
        and events[-2].path is None
        and events[-2].detail == "invalid_argument:path"
    )
    assert "canary" not in str([e.to_dict() for e in vault.audit_events(1000)])
    assert len(vault.audit_events(2)) == 2
    with pytest.raises(InvalidArgument):
        vault.audit_events(0)


def test_export_latest_unsafe_does_not_count(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    vault.put_secret(vid, "a", "one", max_access_count=1)
    vault.put_secret(vid, "b", "two")
    vault.put_secret(vid, "b", "three")
    vault.put_secret(vid, "c", "gone")
    vault.delete_secret(vid, "c")
    exported = {p: v.reveal_unsafe() for p, v in vault.export_latest_unsafe()}
    assert exported == {"a": "one", "b": "three"}
    assert vault.get_secret(vid, "a").value.reveal_unsafe() == "one"
    assert {p for p, _ in vault.export_latest_unsafe(vid)} == {"a", "b"}


def test_threads_share_one_vault(vault: LocalVault) -> None:
    vid = vault.default_vault_id()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(25):
                vault.put_secret(vid, "shared", f"t{n}-{i}")
                vault.get_secret(vid, "shared")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [m.version for m in vault.list_versions(vid, "shared")] == list(range(100, 0, -1))


def test_closed_vault_refuses_work(tmp_path: Path) -> None:
    v = LocalVault(tmp_path / "v.db", env={})
    vid = v.default_vault_id()
    view = v.acting_as(Principal(type="agent", id="a"))
    view.close()  # a view leaves the connection to its root
    v.put_secret(vid, "k", "v")
    v.close()
    with pytest.raises(RuntimeError):
        v.put_secret(vid, "k", "v")
