"""Fixtures shared by the test folders: real KEK providers for the embedded vault.

``kek`` is parametrised over the three providers (``file``, ``pkcs11`` on a SoftHSM2 token,
``transit`` on a real ``bao server -dev`` on 127.0.0.1); a test or a conformance class that
uses it runs once per provider. The token folder and the dev server are made once per test
session; each test gets its own key label / transit key name, so tests stay independent.
If a pkcs11 case fails here, look at oneclaw_tools/kek/pkcs11.py; a transit case, at
oneclaw_tools/kek/transit.py; all three, at the vault's use of the provider (backends/_local_store.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oneclaw_tools.testing.kek import TOKEN_LABELS, KekSetup, bao_dev_server, make_kek, softhsm_tokens


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Two SoftHSM2 tokens for the whole session (see oneclaw_tools.testing.kek.softhsm_tokens)."""
    with softhsm_tokens(tmp_path_factory.mktemp("softhsm"), TOKEN_LABELS) as env:
        yield env


@pytest.fixture(scope="session")
def bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One ``bao server -dev`` with transit enabled, stopped at the end of the session."""
    with bao_dev_server() as env:
        yield env


@pytest.fixture(params=["file", "pkcs11", "transit"])
def kek(request: pytest.FixtureRequest) -> KekSetup:
    return make_kek(request.param, request)


@pytest.fixture(autouse=True)
def _http_request_resolves_no_public_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """No packet leaves 127.0.0.0/8: ``http_request``'s default resolver answers only for
    ``localhost`` in tests. A test that needs a name must inject a resolver
    (``Session(..., resolver=...)``, see ``tests/core/conftest.py``'s ``FakeDNS``); one that
    forgets gets "could not resolve", never a real DNS query."""
    import oneclaw_tools.network as network

    def loopback_only(host: str, port: int) -> list[str]:
        if host.lower().rstrip(".") == "localhost":
            return ["127.0.0.1"]
        raise OSError(f"tests resolve no public name ({host}); inject a resolver")

    monkeypatch.setattr(network, "system_resolver", loopback_only)
