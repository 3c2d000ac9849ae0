"""The conformance tests of secrets: versions, reads, deletes, expiry, access counts, rotation, listing.

Part of :class:`oneclaw_tools.testing.backend.BackendConformanceTests`; not used alone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from ..backends.base import VaultBackend
from ..errors import Gone, InvalidArgument, NotFound
from ..models import SECRET_TYPES
from ._backend_base import CHARSET_ALPHABETS, BackendBase, new_canary

__all__ = ["SecretTests"]


class SecretTests(BackendBase):
    """Versions, reads, deletes, expiry, access counts, rotation and listing."""

    # -- versions -----------------------------------------------------------------------
    def test_every_put_is_a_new_contiguous_version(self, backend: VaultBackend, vault_id: str) -> None:
        """Each put must return version n+1, starting at 1; list_versions is newest first."""
        metas = [backend.put_secret(vault_id, "app/db", f"value-{i}") for i in range(4)]
        assert [m.version for m in metas] == [1, 2, 3, 4]
        assert [v.version for v in backend.list_versions(vault_id, "app/db")] == [4, 3, 2, 1]

    def test_put_returns_metadata_without_the_value(self, backend: VaultBackend, vault_id: str) -> None:
        """put_secret returns type, metadata and expiry as stored, and never the value."""
        canary = new_canary()
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
    @pytest.mark.parametrize("charset", sorted(CHARSET_ALPHABETS))
    def test_rotate_generates_a_value_it_never_returns(
        self, backend: VaultBackend, vault_id: str, charset: str
    ) -> None:
        """rotate_secret makes version n+1 of the requested length and charset; no value comes back."""
        backend.put_secret(vault_id, "rot", "old-value", type="api_key")
        meta = backend.rotate_secret(vault_id, "rot", length=40, charset=charset)
        assert meta.version == 2 and meta.type == "api_key"
        assert not hasattr(meta, "value") and "value" not in meta.to_dict()
        value = backend.get_secret(vault_id, "rot").value.reveal_unsafe()
        assert len(value) == 40 and set(value) <= CHARSET_ALPHABETS[charset] and value != "old-value"

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
        canary = new_canary()
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
        canary = new_canary()
        backend.put_secret(vault_id, "d", canary, type="password", metadata={"owner": "team-a"})
        meta = backend.describe_secret(vault_id, "d")
        assert (meta.version, meta.type, meta.metadata) == (1, "password", {"owner": "team-a"})
        assert canary not in repr(meta)
