"""Lost answers from a real bao dev server: each write lands exactly once, or fails loudly.

The transport below sends every request to the real server on 127.0.0.1 and then, for the
requests a test names, throws the answer away and raises ``httpx.ReadError``, as a connection
dropped after the server handled the request would. The rules under test (see
``oneclaw_tools/backends/_bao_kv.py``): a KV write is resent *identically* (same check-and-set
version, same write id) and read back, so it is never applied twice and never reported lost;
a token creation cannot be made safe that way, so it raises OutcomeUnknown and the share's
policy is removed (any token that was made can read nothing). A failure here: print
``transport.lost`` and the key's versions with ``bao kv metadata get``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.errors import OutcomeUnknown
from oneclaw_tools.testing.bao import BaoServer, dev_server


class LoseAnswers(httpx.HTTPTransport):
    """Forward to the real server; lose the answer of the next ``count`` matching requests."""

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[tuple[str, str, int]] = []
        self.lost: list[str] = []

    def lose(self, method: str, fragment: str, count: int = 1) -> None:
        self.rules.append((method, fragment, count))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        for i, (method, fragment, count) in enumerate(self.rules):
            if request.method == method and fragment in request.url.path and count > 0:
                response.read()
                self.rules[i] = (method, fragment, count - 1)
                self.lost.append(f"{request.method} {request.url.path} -> {response.status_code}")
                raise httpx.ReadError("connection dropped after the server answered", request=request)
        return response


@pytest.fixture(scope="module")
def bao() -> Iterator[BaoServer]:
    with dev_server() as server:
        yield server


def _backend(bao: BaoServer, transport: LoseAnswers) -> OpenBaoVault:
    return OpenBaoVault(bao.addr, token=bao.token, prefix="f" + uuid.uuid4().hex[:10], transport=transport)


def test_a_put_whose_answer_is_lost_lands_exactly_once(bao: BaoServer) -> None:
    transport = LoseAnswers()
    backend = _backend(bao, transport)
    vault = backend.create_vault("faults").id
    transport.lose("POST", "/s/lost/k", count=2)  # the write, then its identical resend
    meta = backend.put_secret(vault, "lost/k", "only-once")
    assert len(transport.lost) == 2, transport.lost
    assert meta.version == 1
    assert [v.version for v in backend.list_versions(vault, "lost/k")] == [1]
    assert backend.put_secret(vault, "lost/k", "next").version == 2
    backend.close()


def test_a_registry_update_whose_answer_is_lost_is_not_a_false_conflict(bao: BaoServer) -> None:
    """create_vault's check-and-set landed but its answer was lost: the resend must not say 409."""
    transport = LoseAnswers()
    backend = _backend(bao, transport)
    transport.lose("POST", "/vaults")
    info = backend.create_vault("made-once")
    assert transport.lost and [v.name for v in backend.list_vaults()].count("made-once") == 1
    assert backend.get_vault(info.id).name == "made-once"
    backend.close()


def test_an_access_count_whose_answer_is_lost_is_counted_once(bao: BaoServer) -> None:
    transport = LoseAnswers()
    backend = _backend(bao, transport)
    vault = backend.create_vault("counts").id
    backend.put_secret(vault, "limited", "v", max_access_count=2)
    transport.lose("POST", "/n/limited")
    assert backend.get_secret(vault, "limited").meta.uses_left == 1
    assert backend.get_secret(vault, "limited").meta.uses_left == 0
    backend.close()


def test_a_lost_token_creation_is_outcome_unknown_and_leaves_no_usable_token(bao: BaoServer) -> None:
    transport = LoseAnswers()
    backend = _backend(bao, transport)
    vault = backend.create_vault("shares").id
    backend.put_secret(vault, "s", "v")
    transport.lose("POST", "/auth/token/create/")
    with pytest.raises(OutcomeUnknown):
        backend.create_share(vault, "s", recipient_type="anyone_with_link", expires_at="2030-01-01T00:00:00Z")
    with httpx.Client(base_url=f"{bao.addr}/v1", headers={"X-Vault-Token": bao.token}) as root:
        names = root.request("LIST", "/sys/policies/acl").json()["data"]["keys"]
    assert not [n for n in names if n.startswith("oneclaw-share-")], "the share's policy was left behind"
    assert backend.list_outbound_shares() == []
    backend.close()
