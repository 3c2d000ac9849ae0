"""What a model steered by injected text, or whoever holds a leaked share link, can do on OpenBao.

Vault itself is the wall wherever it can be: a share link's token reads its one secret and its
record, nothing else, and dies when revoked or used up, even used outside this library. The
backend's own checks cover the rest: a non-owner principal meets the vault's 1Claw policies, and a
vault id can never steer a request to another KV path. A failure here is a hole: see the policy
text in ``oneclaw_tools/backends/_bao_shares.py`` (``_hcl``) and ``_require`` in ``_bao_core.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.errors import Gone, InvalidArgument, NotFound, OneClawError, PermissionDenied
from oneclaw_tools.models import Principal
from oneclaw_tools.testing.bao import BaoServer, dev_server

LATER = (datetime.now(UTC) + timedelta(days=7)).isoformat()


@pytest.fixture(scope="module")
def bao() -> Iterator[BaoServer]:
    with dev_server() as server:
        yield server


@pytest.fixture
def owner(bao: BaoServer) -> Iterator[OpenBaoVault]:
    with OpenBaoVault(bao.addr, token=bao.token, prefix="x" + uuid.uuid4().hex[:10]) as backend:
        yield backend


def _token(link: str) -> str:
    return link.split("#", 1)[1]


def _raw(bao: BaoServer, token: str, method: str, path: str, **kw: object) -> int:
    with httpx.Client(base_url=f"{bao.addr}/v1", headers={"X-Vault-Token": token}, timeout=10) as c:
        return c.request(method, path, **kw).status_code  # type: ignore[arg-type]


def test_a_link_token_reads_its_secret_and_nothing_else(bao: BaoServer, owner: OpenBaoVault) -> None:
    vault = owner.create_vault("links").id
    owner.put_secret(vault, "shared/k", "shared-value")
    owner.put_secret(vault, "private/k", "private-value")
    share = owner.create_share(vault, "shared/k", recipient_type="anyone_with_link", expires_at=LATER)
    assert share.share_url is not None
    token = _token(share.share_url.reveal_unsafe())
    base = f"secret/data/{owner._prefix}/v/{vault}/s"
    assert _raw(bao, token, "GET", f"/{base}/shared/k") == 200
    assert _raw(bao, token, "GET", f"/{base}/private/k") == 403
    assert _raw(bao, token, "POST", f"/{base}/shared/k", json={"data": {"value": "overwritten"}}) == 403
    record = f"secret/data/{owner._prefix}/shares/{share.id}"
    assert _raw(bao, token, "POST", f"/{record}", json={"data": {"max_access_count": 0}}) == 403
    assert _raw(bao, token, "LIST", f"/secret/metadata/{owner._prefix}/") == 403
    assert _raw(bao, token, "POST", "/auth/token/create", json={}) == 403
    assert owner.get_secret(vault, "shared/k").value.reveal_unsafe() == "shared-value"


def test_revoke_and_use_up_kill_the_token_inside_vault(bao: BaoServer, owner: OpenBaoVault) -> None:
    vault = owner.create_vault("revoke").id
    owner.put_secret(vault, "k", "v")
    path = f"/secret/data/{owner._prefix}/v/{vault}/s/k"
    revoked = owner.create_share(vault, "k", recipient_type="anyone_with_link", expires_at=LATER)
    assert revoked.share_url is not None
    owner.revoke_share(revoked.id)
    assert _raw(bao, _token(revoked.share_url.reveal_unsafe()), "GET", path) == 403
    with pytest.raises(NotFound):
        owner.access_share(revoked.share_url.reveal_unsafe())
    once = owner.create_share(
        vault, "k", recipient_type="anyone_with_link", expires_at=LATER, max_access_count=1
    )
    assert once.share_url is not None
    link = once.share_url.reveal_unsafe()
    assert owner.access_share(link).value.reveal_unsafe() == "v"
    assert _raw(bao, _token(link), "GET", path) == 403  # used up: Vault revoked it
    with pytest.raises(Gone):
        owner.access_share(link)


def test_a_token_cannot_open_another_share_by_swapping_the_id(owner: OpenBaoVault) -> None:
    vault = owner.create_vault("swap").id
    owner.put_secret(vault, "a", "value-a")
    owner.put_secret(vault, "b", "value-b")
    a = owner.create_share(vault, "a", recipient_type="anyone_with_link", expires_at=LATER)
    b = owner.create_share(vault, "b", recipient_type="anyone_with_link", expires_at=LATER)
    assert a.share_url is not None
    forged = f"oneclaw://share/{b.id}#{_token(a.share_url.reveal_unsafe())}"
    with pytest.raises(OneClawError) as info:
        owner.access_share(forged)
    assert "value-b" not in str(info.value) and info.value.status in (403, 404, 410)


def test_a_non_owner_principal_meets_the_vaults_1claw_policies(bao: BaoServer, owner: OpenBaoVault) -> None:
    vault = owner.create_vault("policies").id
    owner.put_secret(vault, "prod/db", "prod-value")
    owner.put_secret(vault, "dev/db", "dev-value")
    owner.create_policy(vault, principal_type="agent", principal_id="bot-1", secret_path_pattern="prod/**",
                        permissions=["read"])  # fmt: skip
    agent = OpenBaoVault(
        bao.addr, token=bao.token, prefix=owner._prefix, principal=Principal("agent", "bot-1")
    )
    with agent:
        assert agent.get_secret(vault, "prod/db").value.reveal_unsafe() == "prod-value"
        assert [m.path for m in agent.list_secrets(vault)] == ["prod/db"]
        with pytest.raises(PermissionDenied):
            agent.get_secret(vault, "dev/db")
        with pytest.raises(PermissionDenied):
            agent.put_secret(vault, "prod/db", "overwritten")
        with pytest.raises(PermissionDenied):
            agent.create_policy(vault, principal_type="agent", principal_id="bot-1", permissions=["write"])
        with pytest.raises(PermissionDenied):
            agent.delete_vault(vault)
        with pytest.raises(PermissionDenied):
            agent.create_share(vault, "prod/db", recipient_type="external_email", email="x@example.com",
                               expires_at=LATER)  # fmt: skip
        assert [(e.outcome, e.path) for e in agent.audit_events(10)][-2:] == [
            ("denied", None),
            ("denied", "prod/db"),
        ]
    assert owner.get_secret(vault, "prod/db").value.reveal_unsafe() == "prod-value"
    assert {e.outcome for e in owner.audit_events(50)} == {"denied"}


@pytest.mark.parametrize("vault_id", ["../../sys", "a/b", "x" * 65, "", "v\x00"])
def test_a_vault_id_cannot_steer_a_request_elsewhere(owner: OpenBaoVault, vault_id: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        owner.get_secret(vault_id, "k")
    assert info.value.argument == "vault_id"


def test_plain_http_is_refused_off_loopback_unless_the_operator_allows_it() -> None:
    """The token and every value would cross the network in clear: https, or loopback, or opt in."""
    for addr in (
        "http://10.0.0.5:8200",
        "http://vault.internal:8200",
        "http://127.0.0.1:8200,http://10.0.0.6:8200",
    ):
        with pytest.raises(InvalidArgument) as info:
            OpenBaoVault.from_env({"BAO_ADDR": addr, "BAO_TOKEN": "t"})
        assert info.value.argument == "BAO_ADDR"
    for ok in (
        "http://127.0.0.1:8200",
        "http://localhost:8200",
        "http://[::1]:8200",
        "https://vault.example.com",
    ):
        OpenBaoVault.from_env({"BAO_ADDR": ok, "BAO_TOKEN": "t"}).close()
    OpenBaoVault.from_env(
        {"BAO_ADDR": "http://10.0.0.5:8200", "BAO_TOKEN": "t", "ONECLAW_BAO_ALLOW_HTTP": "1"}
    ).close()


def test_a_passphrase_share_opens_only_with_its_passphrase(bao: BaoServer, owner: OpenBaoVault) -> None:
    vault = owner.create_vault("passphrase").id
    owner.put_secret(vault, "k", "guarded-value")
    share = owner.create_share(vault, "k", recipient_type="anyone_with_link", expires_at=LATER,
                               passphrase="correct horse battery staple")  # fmt: skip
    assert share.share_url is not None
    link = share.share_url.reveal_unsafe()
    assert (
        _raw(bao, _token(link), "GET", f"/secret/data/{owner._prefix}/v/{vault}/s/k") == 403
    )  # no token in clear
    for wrong in (None, "wrong horse"):
        with pytest.raises(PermissionDenied) as info:
            owner.access_share(link, passphrase=wrong)
        assert "guarded-value" not in str(info.value) and "horse" not in str(info.value)
    assert (
        owner.access_share(link, passphrase="correct horse battery staple").value.reveal_unsafe()
        == "guarded-value"
    )
    bot = Principal("agent", "bot-2")
    with OpenBaoVault(bao.addr, token=bao.token, prefix=owner._prefix, principal=bot) as agent:
        direct = owner.create_share(
            vault,
            "k",
            recipient_type="agent",
            recipient_id="bot-2",
            expires_at=LATER,
            passphrase="another one",
        )
        agent.accept_share(direct.id)
        with pytest.raises(PermissionDenied):
            agent.access_share(direct.id)
        assert (
            agent.access_share(direct.id, passphrase="another one").value.reveal_unsafe() == "guarded-value"
        )


def test_a_share_access_counts_against_the_secrets_own_limit(owner: OpenBaoVault) -> None:
    """A share cannot be used to read a limited secret more often than the secret allows."""
    vault = owner.create_vault("limited-share").id
    owner.put_secret(vault, "k", "twice", max_access_count=2)
    share = owner.create_share(vault, "k", recipient_type="anyone_with_link", expires_at=LATER)
    assert share.share_url is not None
    assert owner.access_share(share.share_url.reveal_unsafe()).meta.uses_left == 1
    owner.get_secret(vault, "k")
    with pytest.raises(Gone):
        owner.access_share(share.share_url.reveal_unsafe())


def test_no_value_or_token_in_any_log_record(bao: BaoServer, caplog: pytest.LogCaptureFixture) -> None:
    """Every logger at DEBUG (httpx and httpcore included) while values, tokens and links move."""
    import logging

    canary, passphrase = "cnry-" + uuid.uuid4().hex, "pp-" + uuid.uuid4().hex
    with caplog.at_level(logging.DEBUG):
        with OpenBaoVault(bao.addr, token=bao.token, prefix="log" + uuid.uuid4().hex[:8]) as backend:
            vault = backend.create_vault("logs").id
            backend.put_secret(vault, "k", canary, max_access_count=3)
            backend.get_secret(vault, "k")
            share = backend.create_share(vault, "k", recipient_type="anyone_with_link", expires_at=LATER,
                                         passphrase=passphrase)  # fmt: skip
            assert share.share_url is not None
            link = share.share_url.reveal_unsafe()
            backend.access_share(link, passphrase=passphrase)
            with pytest.raises(OneClawError):
                backend.access_share(link, passphrase="wrong")
            with pytest.raises(OneClawError):
                backend.put_secret(vault, canary + "=", canary)
        with (
            pytest.raises(OneClawError),
            OpenBaoVault("http://127.0.0.1:9", token=bao.token, deadline=0.3) as dead,
        ):
            dead.get_secret("v1", "k")
    text = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert caplog.records
    for secret in (canary, passphrase, bao.token, link.split("#", 1)[1]):
        assert secret not in text


def test_a_share_longer_than_the_servers_token_ttl_is_refused(bao: BaoServer, owner: OpenBaoVault) -> None:
    """Vault caps token TTLs (32 days by default): a share must not silently die before its expiry."""
    vault = owner.create_vault("too-long").id
    owner.put_secret(vault, "k", "v")

    def policies() -> set[str]:
        with httpx.Client(base_url=f"{bao.addr}/v1", headers={"X-Vault-Token": bao.token}) as root:
            return set(root.request("LIST", "/sys/policies/acl").json()["data"]["keys"])

    before = policies()
    with pytest.raises(InvalidArgument) as info:
        owner.create_share(vault, "k", recipient_type="anyone_with_link", expires_at="2099-01-01T00:00:00Z")
    assert info.value.argument == "expires_at" and "days" in info.value.rule
    assert owner.list_outbound_shares() == [] and policies() == before


def test_deleting_a_vault_removes_its_data_and_kills_its_share_links(
    bao: BaoServer, owner: OpenBaoVault
) -> None:
    vault = owner.create_vault("doomed").id
    owner.put_secret(vault, "a/b", "doomed-value")
    share = owner.create_share(vault, "a/b", recipient_type="anyone_with_link", expires_at=LATER)
    assert share.share_url is not None
    token = _token(share.share_url.reveal_unsafe())
    owner.delete_vault(vault)
    with httpx.Client(base_url=f"{bao.addr}/v1", headers={"X-Vault-Token": bao.token}) as root:
        assert root.request("LIST", f"/secret/metadata/{owner._prefix}/v/{vault}/").status_code == 404
        assert root.post("/auth/token/lookup", json={"token": token}).status_code == 403
    with pytest.raises(NotFound):
        owner.access_share(share.share_url.reveal_unsafe())
