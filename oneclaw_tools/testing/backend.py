"""The vault-backend conformance suite (as keyring's ``BackendBasicTests``).

Every backend, including a third-party one, proves it keeps 1Claw's semantics by
subclassing one class in a pytest module and implementing one factory hook::

    from oneclaw_tools.testing.backend import BackendConformanceTests

    class TestMyBackend(BackendConformanceTests):
        def make_backend(self, tmp_path):
            return MyBackend(..., clock=self.clock)

Time is injected, never slept: each test has a :class:`SettableClock` in ``self.clock``
(starting at the real time) and the backend must decide expiry with it; the expiry test moves
it forward. A backend whose expiry is decided elsewhere (a server) wires the clock there: the
remote suite gives one clock to the local server it starts and returns it from
:meth:`BackendConformanceTests.make_clock`. Each test works in a fresh vault with a unique
name. A share link is opened with :meth:`BackendConformanceTests.share_ref` (by default the
``share_url`` the backend returned); override it if your backend opens links differently.

A standard test must not be overridden (the guard test fails): if one does not apply to a
backend, fix the backend or propose a change to the suite.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from ..backends.base import VaultBackend
from ..errors import Conflict, Gone, InvalidArgument, NotFound, OneClawError, PermissionDenied
from ..models import SECRET_TYPES, ShareInfo
from ..validation import MAX_VALUE_BYTES

__all__ = ["BackendConformanceTests", "SettableClock"]

_CHARSET_ALPHABETS = {
    "hex": set("0123456789abcdefABCDEF"),
    "base64": set(string.ascii_letters + string.digits + "+/=-_"),
    "alphanumeric": set(string.ascii_letters + string.digits),
    "ascii": {chr(c) for c in range(33, 127)},
}


def _canary() -> str:
    return "cnry-" + uuid.uuid4().hex


class SettableClock:
    """An aware UTC clock that moves only when told (``clock()`` a datetime, ``timestamp()`` a float)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def __repr__(self) -> str:
        return f"SettableClock({self.now.isoformat()})"


class BackendConformanceTests:
    """1Claw semantics every :class:`VaultBackend` keeps. Implement :meth:`make_backend`."""

    #: The test's clock (set before :meth:`make_backend` is called); wire it into the backend.
    clock: SettableClock

    def make_backend(self, tmp_path: Path) -> VaultBackend:
        """Return a fresh backend acting as a principal with full access, deciding time by ``self.clock``."""
        raise NotImplementedError("implement make_backend(tmp_path) in your test class")

    def make_clock(self) -> SettableClock:
        """The clock of one test: a fresh one at the real time, unless the backend's lives elsewhere."""
        return SettableClock()

    def _in(self, seconds: float) -> str:
        return (self.clock() + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")

    def share_ref(self, share: ShareInfo) -> str:
        """What opens a link share with ``access_share``: the share URL the backend returned."""
        assert share.share_url is not None, "create_share must return a share_url for a link share"
        return share.share_url.reveal_unsafe()

    # -- fixtures -----------------------------------------------------------------------
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Iterator[VaultBackend]:
        self.clock = self.make_clock()
        b = self.make_backend(tmp_path)
        try:
            yield b
        finally:
            b.close()

    @pytest.fixture
    def vault_id(self, backend: VaultBackend) -> str:
        return backend.create_vault("conformance-" + uuid.uuid4().hex[:12], "conformance suite").id

    @staticmethod
    def _snapshot(backend: VaultBackend, vault_id: str) -> Any:
        secrets = [m.to_dict() for m in backend.list_secrets(vault_id)]
        versions = {
            m["path"]: [(v.version, v.is_disabled) for v in backend.list_versions(vault_id, m["path"])]
            for m in secrets
        }
        vaults = sorted(v.name for v in backend.list_vaults())
        policies = sorted(p.id for p in backend.list_policies(vault_id))
        return secrets, versions, vaults, policies

    # -- the guard ----------------------------------------------------------------------
    def test_no_standard_test_is_overridden(self) -> None:
        """A subclass redefined a standard test. Remove the override and fix the backend instead."""
        standard = {name for name in vars(BackendConformanceTests) if name.startswith("test_")}
        for klass in type(self).__mro__:
            if klass is BackendConformanceTests:
                continue
            if klass is object:
                break
            overridden = standard & set(vars(klass))
            assert not overridden, f"{klass.__name__} overrides standard tests: {sorted(overridden)}"

    # -- versions -----------------------------------------------------------------------
    def test_every_put_is_a_new_contiguous_version(self, backend: VaultBackend, vault_id: str) -> None:
        """Each put must return version n+1, starting at 1; list_versions is newest first."""
        metas = [backend.put_secret(vault_id, "app/db", f"value-{i}") for i in range(4)]
        assert [m.version for m in metas] == [1, 2, 3, 4]
        assert [v.version for v in backend.list_versions(vault_id, "app/db")] == [4, 3, 2, 1]

    def test_put_returns_metadata_without_the_value(self, backend: VaultBackend, vault_id: str) -> None:
        """put_secret returns type, metadata and expiry as stored, and never the value."""
        canary = _canary()
        expires = self.clock() + timedelta(days=3)
        meta = backend.put_secret(
            vault_id, "svc/key", canary, type="api_key", metadata={"allowed_hosts": ["api.example.com"]},
            expires_at=expires, max_access_count=9,
        )  # fmt: skip
        assert (meta.path, meta.type, meta.version, meta.max_access_count) == ("svc/key", "api_key", 1, 9)
        assert meta.metadata == {"allowed_hosts": ["api.example.com"]}
        assert meta.expires_at is not None and abs((meta.expires_at - expires).total_seconds()) < 1
        assert canary not in repr(meta) and canary not in str(meta.to_dict())

    def test_every_secret_type_is_accepted(self, backend: VaultBackend, vault_id: str) -> None:
        """Every type in SECRET_TYPES is stored and returned unchanged."""
        for i, type_ in enumerate(SECRET_TYPES):
            assert backend.put_secret(vault_id, f"types/t{i}", "v", type=type_).type == type_
            assert backend.describe_secret(vault_id, f"types/t{i}").type == type_

    def test_get_returns_the_latest_value(self, backend: VaultBackend, vault_id: str) -> None:
        """get_secret without a version returns the newest readable version's value."""
        backend.put_secret(vault_id, "k", "first")
        backend.put_secret(vault_id, "k", "second")
        secret = backend.get_secret(vault_id, "k")
        assert secret.meta.version == 2 and secret.value.reveal_unsafe() == "second"
        assert "second" not in repr(secret)

    def test_get_a_given_version(self, backend: VaultBackend, vault_id: str) -> None:
        """get_secret(version=n) returns exactly version n; an unknown version is 404."""
        for v in ("one", "two", "three"):
            backend.put_secret(vault_id, "k", v)
        assert backend.get_secret(vault_id, "k", 1).value.reveal_unsafe() == "one"
        assert backend.get_secret(vault_id, "k", 2).meta.version == 2
        with pytest.raises(NotFound):
            backend.get_secret(vault_id, "k", 9)

    def test_unknown_path_is_404(self, backend: VaultBackend, vault_id: str) -> None:
        """A path that never existed is NotFound for get, describe and list_versions."""
        with pytest.raises(NotFound):
            backend.get_secret(vault_id, "never/there")
        with pytest.raises(NotFound):
            backend.describe_secret(vault_id, "never/there")
        with pytest.raises(NotFound):
            backend.list_versions(vault_id, "never/there")

    def test_disabled_versions_are_skipped_and_410_when_asked_for(
        self, backend: VaultBackend, vault_id: str
    ) -> None:
        """A disabled version is skipped by get/describe, flagged in list_versions, 410 if requested."""
        backend.put_secret(vault_id, "k", "one")
        backend.put_secret(vault_id, "k", "two")
        backend.disable_version(vault_id, "k", 2)
        assert backend.get_secret(vault_id, "k").value.reveal_unsafe() == "one"
        assert backend.describe_secret(vault_id, "k").version == 1
        flags = {v.version: v.is_disabled for v in backend.list_versions(vault_id, "k")}
        assert flags == {2: True, 1: False}
        with pytest.raises(Gone):
            backend.get_secret(vault_id, "k", 2)
        assert backend.put_secret(vault_id, "k", "three").version == 3

    # -- delete -------------------------------------------------------------------------
    def test_soft_delete_is_410_and_numbering_continues(self, backend: VaultBackend, vault_id: str) -> None:
        """After delete: get/describe are 410, list omits the path, a new put continues the numbering."""
        backend.put_secret(vault_id, "gone/k", "one")
        backend.put_secret(vault_id, "gone/k", "two")
        backend.delete_secret(vault_id, "gone/k")
        with pytest.raises(Gone):
            backend.get_secret(vault_id, "gone/k")
        with pytest.raises(Gone):
            backend.describe_secret(vault_id, "gone/k")
        assert [m.path for m in backend.list_secrets(vault_id)] == []
        meta = backend.put_secret(vault_id, "gone/k", "three")
        assert meta.version == 3
        assert backend.get_secret(vault_id, "gone/k").value.reveal_unsafe() == "three"
        assert backend.list_versions(vault_id, "gone/k")[0].version == 3

    # -- expiry and access counts -------------------------------------------------------
    def test_max_access_count_gives_410_once_used_up(self, backend: VaultBackend, vault_id: str) -> None:
        """max_access_count=N allows N reads, then 410; describe and list do not count."""
        backend.put_secret(vault_id, "limited", "v", max_access_count=2)
        for _ in range(3):
            backend.describe_secret(vault_id, "limited")
            backend.list_secrets(vault_id)
        backend.get_secret(vault_id, "limited")
        backend.get_secret(vault_id, "limited")
        with pytest.raises(Gone):
            backend.get_secret(vault_id, "limited")

    def test_max_access_count_zero_is_unlimited(self, backend: VaultBackend, vault_id: str) -> None:
        """max_access_count=0 (the default) never runs out."""
        backend.put_secret(vault_id, "unlimited", "v", max_access_count=0)
        for _ in range(6):
            assert backend.get_secret(vault_id, "unlimited").value.reveal_unsafe() == "v"

    def test_expiry_gives_410_for_secrets_and_shares(self, backend: VaultBackend, vault_id: str) -> None:
        """Past expires_at, a secret read (get and describe) and a share access are 410."""
        backend.put_secret(vault_id, "soon", "v", expires_at=self._in(60))
        backend.put_secret(vault_id, "shared", "v")
        share = backend.create_share(
            vault_id, "shared", recipient_type="anyone_with_link", expires_at=self._in(60)
        )
        assert backend.get_secret(vault_id, "soon").value.reveal_unsafe() == "v"
        assert backend.access_share(self.share_ref(share)).value.reveal_unsafe() == "v"
        self.clock.advance(61)  # the backend must read self.clock: no real time passes
        with pytest.raises(Gone):
            backend.get_secret(vault_id, "soon")
        with pytest.raises(Gone):
            backend.describe_secret(vault_id, "soon")
        with pytest.raises(Gone):
            backend.access_share(self.share_ref(share))
        assert backend.put_secret(vault_id, "soon", "fresh").version == 2
        assert backend.get_secret(vault_id, "soon").value.reveal_unsafe() == "fresh"

    # -- rotation -----------------------------------------------------------------------
    @pytest.mark.parametrize("charset", sorted(_CHARSET_ALPHABETS))
    def test_rotate_generates_a_value_it_never_returns(
        self, backend: VaultBackend, vault_id: str, charset: str
    ) -> None:
        """rotate_secret makes version n+1 of the requested length and charset; no value comes back."""
        backend.put_secret(vault_id, "rot", "old-value", type="api_key")
        meta = backend.rotate_secret(vault_id, "rot", length=40, charset=charset)
        assert meta.version == 2 and meta.type == "api_key"
        assert not hasattr(meta, "value") and "value" not in meta.to_dict()
        value = backend.get_secret(vault_id, "rot").value.reveal_unsafe()
        assert len(value) == 40 and set(value) <= _CHARSET_ALPHABETS[charset] and value != "old-value"

    def test_rotate_needs_an_existing_path_and_valid_arguments(
        self, backend: VaultBackend, vault_id: str
    ) -> None:
        """Rotation of a missing path is 404; length outside 8-1024 or an unknown charset is 400."""
        with pytest.raises(NotFound):
            backend.rotate_secret(vault_id, "missing")
        backend.put_secret(vault_id, "rot", "v")
        for kwargs, argument in (
            ({"length": 7}, "length"),
            ({"length": 1025}, "length"),
            ({"charset": "emoji"}, "charset"),
        ):
            with pytest.raises(InvalidArgument) as info:
                backend.rotate_secret(vault_id, "rot", **kwargs)
            assert info.value.argument == argument
        assert backend.describe_secret(vault_id, "rot").version == 1
        assert backend.rotate_secret(vault_id, "rot", length=8).version == 2

    # -- listing ------------------------------------------------------------------------
    def test_list_is_sorted_filtered_by_prefix_and_value_free(
        self, backend: VaultBackend, vault_id: str
    ) -> None:
        """list_secrets: one entry per live path (latest version), sorted, prefix is a plain prefix."""
        canary = _canary()
        for path in ("prod/db", "dev/db", "prod/api", "production/x", "prod/api"):
            backend.put_secret(vault_id, path, canary)
        listed = backend.list_secrets(vault_id)
        assert [m.path for m in listed] == ["dev/db", "prod/api", "prod/db", "production/x"]
        assert {m.path: m.version for m in listed}["prod/api"] == 2
        assert [m.path for m in backend.list_secrets(vault_id, "prod/")] == ["prod/api", "prod/db"]
        assert [m.path for m in backend.list_secrets(vault_id, "prod")] == [
            "prod/api",
            "prod/db",
            "production/x",
        ]
        assert backend.list_secrets(vault_id, "nothing") == []
        assert canary not in repr(listed) and canary not in str([m.to_dict() for m in listed])

    def test_describe_returns_metadata_only(self, backend: VaultBackend, vault_id: str) -> None:
        """describe_secret returns the latest version's metadata and never a value."""
        canary = _canary()
        backend.put_secret(vault_id, "d", canary, type="password", metadata={"owner": "team-a"})
        meta = backend.describe_secret(vault_id, "d")
        assert (meta.version, meta.type, meta.metadata) == (1, "password", {"owner": "team-a"})
        assert canary not in repr(meta)

    # -- vaults -------------------------------------------------------------------------
    def test_vault_lifecycle_and_duplicate_name_409(self, backend: VaultBackend) -> None:
        """create/list/get/delete a vault; a second vault with the same name is Conflict (409)."""
        name = "dup-" + uuid.uuid4().hex[:10]
        info = backend.create_vault(name, "first")
        assert info.name == name and info.id
        with pytest.raises(Conflict):
            backend.create_vault(name)
        assert name in [v.name for v in backend.list_vaults()]
        assert backend.get_vault(info.id).name == name
        backend.delete_vault(info.id)
        with pytest.raises(NotFound):
            backend.get_vault(info.id)

    def test_default_vault_is_usable(self, backend: VaultBackend) -> None:
        """default_vault_id() names a vault the backend can use (created on first use if needed)."""
        vault_id = backend.default_vault_id()
        assert backend.default_vault_id() == vault_id
        assert backend.get_vault(vault_id).id == vault_id

    def test_options_are_checked_like_a_signature(self, backend: VaultBackend, vault_id: str) -> None:
        """put_secret/create_policy/create_share take typed keyword options (backends.base): read them
        with complete_options, so an unknown or missing keyword is a TypeError and nothing is written."""
        bad: list[Callable[[], object]] = [
            lambda: backend.put_secret(vault_id, "opt/k", "v", max_uses=1),  # type: ignore[call-arg]
            lambda: backend.create_policy(vault_id, principal_type="agent"),  # type: ignore[call-arg]
            lambda: backend.create_share(vault_id, "opt/k", recipient_type="anyone_with_link"),  # type: ignore[call-arg]
        ]
        for attempt in bad:
            with pytest.raises(TypeError):
                attempt()
        assert backend.list_secrets(vault_id) == []

    # -- policies -----------------------------------------------------------------------
    def test_policies_round_trip(self, backend: VaultBackend, vault_id: str) -> None:
        """create_policy appears in list_policies as created; delete_policy removes it; again is 404."""
        pattern = "prod/**"
        policy = backend.create_policy(
            vault_id, principal_type="agent", principal_id=str(uuid.uuid4()),
            secret_path_pattern=pattern, permissions=["read", "rotate"],
        )  # fmt: skip
        listed = {p.id: p for p in backend.list_policies(vault_id)}
        assert policy.id in listed
        got = listed[policy.id]
        assert (got.secret_path_pattern, set(got.permissions), got.principal_type) == (
            "prod/**",
            {"read", "rotate"},
            "agent",
        )
        backend.delete_policy(vault_id, policy.id)
        assert policy.id not in {p.id for p in backend.list_policies(vault_id)}
        with pytest.raises(NotFound):
            backend.delete_policy(vault_id, policy.id)

    # -- shares -------------------------------------------------------------------------
    def test_link_share_access_count_and_revoke(self, backend: VaultBackend, vault_id: str) -> None:
        """A link share returns the latest value, 410 once used up, 404 once revoked; its URL is masked."""
        canary = _canary()
        backend.put_secret(vault_id, "s/k", "old")
        backend.put_secret(vault_id, "s/k", canary)
        share = backend.create_share(
            vault_id, "s/k", recipient_type="anyone_with_link", expires_at=self._in(3600), max_access_count=2
        )
        assert share.share_url is not None and share.path == "s/k"
        assert "share_url" not in share.to_dict() and self.share_ref(share) not in repr(share)
        assert backend.access_share(self.share_ref(share)).value.reveal_unsafe() == canary
        assert backend.access_share(self.share_ref(share)).value.reveal_unsafe() == canary
        with pytest.raises(Gone):
            backend.access_share(self.share_ref(share))
        other = backend.create_share(
            vault_id, "s/k", recipient_type="anyone_with_link", expires_at=self._in(3600)
        )
        assert other.id in {s.id for s in backend.list_outbound_shares()}
        backend.revoke_share(other.id)
        with pytest.raises(NotFound):
            backend.access_share(self.share_ref(other))

    def test_email_share_is_created(self, backend: VaultBackend, vault_id: str) -> None:
        """A share to an e-mail address records the recipient and expiry; an agent is refused
        (403), as 1Claw's docs say ("agents are blocked" from external_email shares)."""
        backend.put_secret(vault_id, "e/k", "v")
        if backend.principal.type == "agent":
            with pytest.raises(PermissionDenied):
                backend.create_share(
                    vault_id, "e/k", recipient_type="external_email", email="alice@example.com",
                    expires_at=self._in(3600),
                )  # fmt: skip
            return
        share = backend.create_share(
            vault_id,
            "e/k",
            recipient_type="external_email",
            email="alice@example.com",
            expires_at=self._in(3600),
        )
        assert (share.recipient_type, share.email) == ("external_email", "alice@example.com")
        assert share.expires_at is not None and share.expires_at > self.clock()

    # -- bad input ----------------------------------------------------------------------
    def test_invalid_input_names_the_argument_and_changes_nothing(
        self, backend: VaultBackend, vault_id: str
    ) -> None:
        """Each bad argument must raise InvalidArgument naming it, before anything is written."""
        backend.put_secret(vault_id, "ok/path", "v")
        before = self._snapshot(backend, vault_id)
        cases: list[tuple[Callable[[], object], str]] = [
            (lambda: backend.put_secret(vault_id, "", "v"), "path"),
            (lambda: backend.put_secret(vault_id, "a/../b", "v"), "path"),
            (lambda: backend.put_secret(vault_id, ".", "v"), "path"),
            (lambda: backend.put_secret(vault_id, "/lead", "v"), "path"),
            (lambda: backend.put_secret(vault_id, "trail/", "v"), "path"),
            (lambda: backend.put_secret(vault_id, "a" * 5000, "v"), "path"),
            (lambda: backend.put_secret(vault_id, "nul\x00byte", "v"), "path"),
            (lambda: backend.put_secret(vault_id, "ok\uff0fpath", "v"), "path"),
            (lambda: backend.put_secret(vault_id, "ok/p\u0430th", "v"), "path"),
            (lambda: backend.put_secret(vault_id, cast(str, 7), "v"), "path"),
            (lambda: backend.put_secret(vault_id, "ok/path", ""), "value"),
            (lambda: backend.put_secret(vault_id, "ok/path", "x" * (MAX_VALUE_BYTES + 1)), "value"),
            (lambda: backend.put_secret(vault_id, "ok/path", cast(str, b"bytes")), "value"),
            (lambda: backend.put_secret(vault_id, "ok/path", "v", type="nope"), "type"),
            (lambda: backend.put_secret(vault_id, "ok/path", "v", metadata=cast(Any, ["x"])), "metadata"),
            (lambda: backend.put_secret(vault_id, "ok/path", "v", expires_at="tomorrow"), "expires_at"),
            (lambda: backend.put_secret(vault_id, "ok/path", "v", expires_at="2031-01-01T00:00:00"), "expires_at"),
            (lambda: backend.put_secret(vault_id, "ok/path", "v", max_access_count=-1), "max_access_count"),
            (lambda: backend.put_secret(vault_id, "ok/path", "v", max_access_count=cast(int, "3")), "max_access_count"),
            (lambda: backend.get_secret(vault_id, "ok/path", 0), "version"),
            (lambda: backend.list_secrets(vault_id, "/abs"), "prefix"),
            (
                lambda: backend.create_policy(
                    vault_id, principal_type="robot", principal_id="x", permissions=["read"]
                ),
                "principal_type",
            ),
            (
                lambda: backend.create_policy(
                    vault_id, principal_type="agent", principal_id="x", permissions=["admin"]
                ),
                "permissions",
            ),
            (
                lambda: backend.create_share(
                    vault_id, "ok/path", recipient_type="nobody", expires_at=self._in(3600)
                ),
                "recipient_type",
            ),
        ]  # fmt: skip
        for call, argument in cases:
            with pytest.raises(InvalidArgument) as info:
                call()
            assert info.value.argument == argument, f"expected the error to name {argument!r}: {info.value}"
        assert self._snapshot(backend, vault_id) == before

    def test_values_never_appear_in_reprs_or_errors(self, backend: VaultBackend, vault_id: str) -> None:
        """No repr, str or error text may contain a stored value, even one passed where it does not belong."""
        canary = _canary()
        backend.put_secret(vault_id, "leak/k", canary, max_access_count=1)
        texts = [repr(backend), repr(backend.get_secret(vault_id, "leak/k"))]
        attempts: list[Callable[[], object]] = [
            lambda: backend.get_secret(vault_id, "leak/k"),  # 410, used up
            lambda: backend.put_secret(vault_id, canary + "=", "v"),  # value-like text as the path
            lambda: backend.put_secret(vault_id, "leak/k", canary, type=canary),
            lambda: backend.put_secret(vault_id, "leak/k", canary, expires_at=canary),
            lambda: backend.put_secret(vault_id, "leak/k", canary + "\x00"),
        ]
        for attempt in attempts:
            with pytest.raises(OneClawError) as info:
                attempt()
            texts += [str(info.value), repr(info.value), info.value.for_model(), str(info.value.to_dict())]
        for text in texts:
            assert canary not in text
