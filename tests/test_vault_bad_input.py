"""Bad input gets a 400 that names the argument, and leaves the vault exactly as it was.

Hypothesis generates invalid paths (traversal, slashes, NUL, lookalike unicode, overlong),
oversized values, wrong types, bad dates and negative counts. After every rejected call the
vault's observable state (vaults, secrets, versions, policies, shares) must be unchanged;
only the audit log may grow (rejections are audited, without the rejected text).
"""

from __future__ import annotations

import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.errors import InvalidArgument
from oneclaw_tools.validation import MAX_PATH_LENGTH, MAX_VALUE_BYTES

_SEGMENT = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)
_LOOKALIKES = (
    "\uff0f\u2215\u2044\u0430\u0435\u043e\u0440\u0441\u0455\u0456\u00a0\u200b\u202e\uff41\u2024\u3002"
)


def _bad_paths() -> st.SearchStrategy[str]:
    good = st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join)
    return st.one_of(
        st.just(""),
        st.sampled_from([".", "..", "a/..", "../a", "a/./b", "a/../b", "/", "//", "a//b"]),
        good.map(lambda p: "/" + p),
        good.map(lambda p: p + "/"),
        st.tuples(
            good, st.sampled_from(["\x00", "\n", " ", "\t", "%2F", "\\", ":", "*", "?", "."]), good
        ).map(lambda t: t[0] + t[1] + t[2]),
        st.tuples(good, st.sampled_from(list(_LOOKALIKES)), good).map(lambda t: t[0] + t[1] + t[2]),
        st.integers(MAX_PATH_LENGTH + 1, MAX_PATH_LENGTH + 200).map(lambda n: "a" * n),
        st.text(min_size=1, max_size=12)
        .filter(lambda t: any(not (c.isascii() and c.isalnum()) for c in t))
        .filter(
            lambda t: (
                not all(c in string.ascii_letters + string.digits + "_-/" for c in t)
                or t.startswith("/")
                or t.endswith("/")
                or "//" in t
            )
        ),
    )


_NOT_STR = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.binary(max_size=4), st.lists(st.text())
)


def _state(vault: LocalVault, vid: str) -> Any:
    secrets = [m.to_dict() for m in vault.list_secrets(vid)]
    versions = {m["path"]: [v.to_dict() for v in vault.list_versions(vid, m["path"])] for m in secrets}
    shares = [s.to_dict() for s in vault.list_outbound_shares()]
    return (
        [v.to_dict() for v in vault.list_vaults()],
        secrets,
        versions,
        [p.to_dict() for p in vault.list_policies(vid)],
        shares,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalVault, str]]:
    path: Path = tmp_path_factory.mktemp("bad-input") / "vault.db"
    vault = LocalVault(path, env={})
    vid = vault.default_vault_id()
    vault.put_secret(vid, "app/db", "v1", max_access_count=5)
    vault.put_secret(vid, "app/db", "v2")
    vault.put_secret(vid, "app/api", "v")
    vault.create_policy(vid, principal_type="agent", principal_id="bot", secret_path_pattern="app/*")
    vault.create_share(vid, "app/api", recipient_type="anyone_with_link", expires_at="2099-01-01T00:00:00Z")
    yield vault, vid
    vault.close()


def _rejects(call: Any, argument: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        call()
    assert info.value.argument == argument, info.value
    assert info.value.status == 400


_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(path=_bad_paths())
def test_bad_paths_everywhere(seeded: tuple[LocalVault, str], path: str) -> None:
    vault, vid = seeded
    before = _state(vault, vid)
    _rejects(lambda: vault.put_secret(vid, path, "v"), "path")
    _rejects(lambda: vault.get_secret(vid, path), "path")
    _rejects(lambda: vault.describe_secret(vid, path), "path")
    _rejects(lambda: vault.delete_secret(vid, path), "path")
    _rejects(lambda: vault.rotate_secret(vid, path), "path")
    _rejects(lambda: vault.disable_version(vid, path, 1), "path")
    _rejects(lambda: vault.list_versions(vid, path), "path")
    _rejects(
        lambda: vault.create_share(
            vid, path, recipient_type="anyone_with_link", expires_at="2099-01-01T00:00:00Z"
        ),
        "path",
    )
    assert _state(vault, vid) == before
    assert not any(path and path in (e.path or "") for e in vault.audit_events(20) if e.outcome == "error")


@_SETTINGS
@given(value=st.one_of(_NOT_STR, st.just(""), st.text(min_size=1, max_size=20).map(lambda t: t + "\x00")))
def test_bad_values(seeded: tuple[LocalVault, str], value: Any) -> None:
    vault, vid = seeded
    before = _state(vault, vid)
    _rejects(lambda: vault.put_secret(vid, "app/db", value), "value")
    assert _state(vault, vid) == before


def test_oversized_values(seeded: tuple[LocalVault, str]) -> None:
    vault, vid = seeded
    before = _state(vault, vid)
    _rejects(lambda: vault.put_secret(vid, "app/db", "x" * (MAX_VALUE_BYTES + 1)), "value")
    _rejects(
        lambda: vault.put_secret(vid, "app/db", "é" * (MAX_VALUE_BYTES // 2 + 1)), "value"
    )  # bytes, not chars
    assert _state(vault, vid) == before
    assert vault.put_secret(vid, "app/big", "x" * MAX_VALUE_BYTES).version == 1  # the limit itself is fine
    vault.delete_secret(vid, "app/big")


_BAD_DATES = st.one_of(
    st.sampled_from(
        ["tomorrow", "2030-13-01T00:00:00Z", "2030-01-01T00:00:00", "2030-01-01 25:00Z", "", "Z"]
    ),
    st.sampled_from(["1969-12-31T23:59:59Z", "2000-01-01T00:00:00Z"]),  # in the past
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=15).filter(lambda t: not t[:4].isdigit()),
)


@_SETTINGS
@given(expires=_BAD_DATES)
def test_bad_dates(seeded: tuple[LocalVault, str], expires: Any) -> None:
    vault, vid = seeded
    before = _state(vault, vid)
    _rejects(lambda: vault.put_secret(vid, "app/db", "v", expires_at=expires), "expires_at")
    _rejects(
        lambda: vault.create_share(vid, "app/db", recipient_type="anyone_with_link", expires_at=expires),
        "expires_at",
    )
    _rejects(
        lambda: vault.create_policy(vid, principal_type="agent", principal_id="x", expires_at=expires),
        "expires_at",
    )
    assert _state(vault, vid) == before


@_SETTINGS
@given(
    count=st.one_of(
        st.integers(max_value=-1),
        st.integers(min_value=2**31),
        st.booleans(),
        st.floats(allow_nan=False),
        st.text(max_size=3),
    )
)
def test_bad_counts(seeded: tuple[LocalVault, str], count: Any) -> None:
    vault, vid = seeded
    before = _state(vault, vid)
    _rejects(lambda: vault.put_secret(vid, "app/db", "v", max_access_count=count), "max_access_count")
    _rejects(
        lambda: vault.create_share(
            vid,
            "app/db",
            recipient_type="anyone_with_link",
            expires_at="2099-01-01T00:00:00Z",
            max_access_count=count,
        ),
        "max_access_count",
    )
    _rejects(
        lambda: vault.get_secret(vid, "app/db", count if not isinstance(count, int) or count < 1 else 2**31),
        "version",
    )
    _rejects(lambda: vault.rotate_secret(vid, "app/db", length=count), "length")
    assert _state(vault, vid) == before


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda v, vid: v.put_secret(vid, "app/db", "v", type="secret"), "type"),
        (lambda v, vid: v.put_secret(vid, "app/db", "v", type=None), "type"),
        (lambda v, vid: v.put_secret(vid, "app/db", "v", metadata="{}"), "metadata"),
        (lambda v, vid: v.put_secret(vid, "app/db", "v", metadata={"k": {1, 2}}), "metadata"),
        (lambda v, vid: v.put_secret(vid, "app/db", "v", metadata={"allowed_hosts": "x"}), "metadata"),
        (lambda v, vid: v.put_secret(vid, "app/db", "v", metadata={"k": "x" * 70_000}), "metadata"),
        (lambda v, vid: v.put_secret(None, "app/db", "v"), "vault_id"),
        (lambda v, vid: v.put_secret("", "app/db", "v"), "vault_id"),
        (lambda v, vid: v.put_secret("x\x00", "app/db", "v"), "vault_id"),
        (lambda v, vid: v.list_secrets(vid, "a//"), "prefix"),
        (lambda v, vid: v.list_secrets(vid, 3), "prefix"),
        (lambda v, vid: v.rotate_secret(vid, "app/db", charset="utf8"), "charset"),
        (lambda v, vid: v.create_vault(""), "name"),
        (lambda v, vid: v.create_vault("   "), "name"),
        (lambda v, vid: v.create_vault("x" * 200), "name"),
        (lambda v, vid: v.create_vault(7), "name"),
        (lambda v, vid: v.create_vault("ok", description=None), "description"),
        (lambda v, vid: v.create_policy(vid, principal_type="agent", principal_id=""), "principal_id"),
        (
            lambda v, vid: v.create_policy(vid, principal_type="agent", principal_id="a", permissions=[]),
            "permissions",
        ),
        (
            lambda v, vid: v.create_policy(vid, principal_type="agent", principal_id="a", permissions="read"),
            "permissions",
        ),
        (
            lambda v, vid: v.create_policy(
                vid, principal_type="agent", principal_id="a", secret_path_pattern="a/**x"
            ),
            "secret_path_pattern",
        ),
        (
            lambda v, vid: v.create_share(
                vid, "app/db", recipient_type="agent", expires_at="2099-01-01T00:00:00Z"
            ),
            "recipient_id",
        ),
        (
            lambda v, vid: v.create_share(
                vid,
                "app/db",
                recipient_type="external_email",
                email="not-an-email",
                expires_at="2099-01-01T00:00:00Z",
            ),
            "email",
        ),
        (
            lambda v, vid: v.create_share(vid, "app/db", recipient_type="anyone_with_link", expires_at=None),
            "expires_at",
        ),
        (
            lambda v, vid: v.create_share(
                vid,
                "app/db",
                recipient_type="anyone_with_link",
                expires_at="2099-01-01T00:00:00Z",
                passphrase="",
            ),
            "passphrase",
        ),
        (lambda v, vid: v.access_share("not a share"), "share_id"),
        (lambda v, vid: v.access_share(None), "share_id"),
        (lambda v, vid: v.revoke_share(""), "share_id"),
        (lambda v, vid: v.delete_policy(vid, None), "policy_id"),
        (lambda v, vid: v.disable_version(vid, "app/db", True), "version"),
    ],
)
def test_other_bad_arguments(seeded: tuple[LocalVault, str], call: Any, argument: str) -> None:
    vault, vid = seeded
    before = _state(vault, vid)
    _rejects(lambda: call(vault, vid), argument)
    assert _state(vault, vid) == before
