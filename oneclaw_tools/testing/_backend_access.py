"""The conformance tests of vaults, policies, shares, bad input and leaks.

Part of :class:`oneclaw_tools.testing.backend.BackendConformanceTests`; not used alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, cast

import pytest

from ..backends.base import VaultBackend
from ..errors import Conflict, Gone, InvalidArgument, NotFound, OneClawError, PermissionDenied
from ..validation import MAX_VALUE_BYTES
from ._backend_base import BackendBase, new_canary

__all__ = ["AccessTests"]


class AccessTests(BackendBase):
    """Vaults, keyword options, policies, shares, bad input and leaks."""

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
        canary = new_canary()
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
        canary = new_canary()
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
