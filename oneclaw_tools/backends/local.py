"""The embedded vault: an encrypted SQLite file that keeps 1Claw's semantics.

``LocalVault(path)`` works on a fresh machine with no account. It acts as the local owner
(full access); :meth:`LocalBackend.acting_as` returns a cheap :class:`LocalBackend` over the
same database that enforces vault bindings and policies for an agent or a user, which is what
a local 1Claw-compatible server needs per request.

The vault is composed, not inherited: a :class:`~._local_core.Core` (one principal's access
to one :class:`~._local_store.Store`) and the operation groups over it, each in a module named
after it: :mod:`._local_vaults`, :mod:`._local_secrets`, :mod:`._local_policies`,
:mod:`._local_shares`, :mod:`._local_admin` (audit, export, key rotation). Storage and
durability are described in :mod:`._local_store`, the access rules in :mod:`._local_core`,
encryption in :mod:`oneclaw_tools.crypto`.

Choices where 1Claw's contract is silent: a put with ``expires_at`` in the past is refused
(400); deleting an already deleted path is 410; a server-side rotation keeps the type,
metadata and ``max_access_count`` of the latest version but not its ``expires_at``;
``list_secrets`` lists expired and used-up secrets (their metadata says so) and shows, for
each path, the latest version that is not disabled.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from ..errors import InvalidArgument
from ..kek import KEK_KINDS
from ..models import Principal
from ._local_admin import Admin
from ._local_core import OWNER, Core, Part
from ._local_policies import Policies
from ._local_secrets import Secrets
from ._local_shares import Shares
from ._local_store import Store
from ._local_vaults import Vaults
from .base import VaultBackend

__all__ = ["OWNER", "LocalBackend", "LocalVault"]

P = ParamSpec("P")
T = TypeVar("T")
PartT = TypeVar("PartT", bound=Part)


def _on(
    kind: type[PartT], operation: Callable[Concatenate[PartT, P], T]
) -> Callable[Concatenate[LocalBackend, P], T]:
    """A backend method that runs ``operation`` on the backend's ``kind`` part (same signature)."""

    def method(self: LocalBackend, /, *args: P.args, **kwargs: P.kwargs) -> T:
        part = self._parts[kind]
        assert isinstance(part, kind)
        return operation(part, *args, **kwargs)

    method.__name__ = method.__qualname__ = operation.__name__
    method.__doc__ = operation.__doc__
    return method


class LocalBackend(VaultBackend):
    """The embedded vault's operations for one principal over an open store.

    Made by :class:`LocalVault` (the owner, which also owns the file) and by
    :meth:`acting_as` (any principal, sharing the connection; closing it closes nothing).
    """

    kind = "local"

    def __init__(self, core: Core) -> None:
        self._core = core
        self._store = core.store
        self._parts: dict[type[Part], Part] = {
            kind: kind(core) for kind in (Vaults, Secrets, Policies, Shares, Admin)
        }

    @property
    def principal(self) -> Principal:
        return self._core.principal

    def acting_as(self, principal: Principal) -> LocalBackend:
        """The same database acting as ``principal`` (no new connection)."""
        if not isinstance(principal, Principal):
            raise InvalidArgument("principal", "must be a Principal")
        return LocalBackend(self._core.acting_as(principal))

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def key_file(self) -> Path:
        return self._store.key_file

    @property
    def kek(self) -> dict[str, str]:
        """The KEK provider this vault uses: its kind and labels (never a secret)."""
        with self._store.lock:
            _ = self._store.conn
            assert self._store.ring is not None
            return self._store.ring.describe()

    def initialize(self) -> None:
        """Create the database, its schema and (without an env key) the key file now."""
        with self._store.lock:
            self._store.create = True
            _ = self._store.conn

    @property
    def exists(self) -> bool:
        """Whether the vault file exists (opening it with ``create=False`` would succeed)."""
        path = self._store.path
        return path.exists() and path.stat().st_size > 0

    def __repr__(self) -> str:
        return f"LocalVault(path={str(self._store.path)!r}, principal={str(self.principal)!r})"

    # The operations live in their parts; the signatures are declared in ``base`` (mypy checks).
    default_vault_id = _on(Vaults, Vaults.default_vault_id)
    create_vault = _on(Vaults, Vaults.create_vault)
    list_vaults = _on(Vaults, Vaults.list_vaults)
    get_vault = _on(Vaults, Vaults.get_vault)
    delete_vault = _on(Vaults, Vaults.delete_vault)
    resolve_vault = _on(Vaults, Vaults.resolve_vault)
    put_secret = _on(Secrets, Secrets.put_secret)
    get_secret = _on(Secrets, Secrets.get_secret)
    describe_secret = _on(Secrets, Secrets.describe_secret)
    list_secrets = _on(Secrets, Secrets.list_secrets)
    list_versions = _on(Secrets, Secrets.list_versions)
    disable_version = _on(Secrets, Secrets.disable_version)
    delete_secret = _on(Secrets, Secrets.delete_secret)
    rotate_secret = _on(Secrets, Secrets.rotate_secret)
    create_policy = _on(Policies, Policies.create_policy)
    list_policies = _on(Policies, Policies.list_policies)
    update_policy = _on(Policies, Policies.update_policy)
    delete_policy = _on(Policies, Policies.delete_policy)
    create_share = _on(Shares, Shares.create_share)
    access_share = _on(Shares, Shares.access_share)
    accept_share = _on(Shares, Shares.accept_share)
    decline_share = _on(Shares, Shares.decline_share)
    revoke_share = _on(Shares, Shares.revoke_share)
    list_inbound_shares = _on(Shares, Shares.list_inbound_shares)
    list_outbound_shares = _on(Shares, Shares.list_outbound_shares)
    record_audit = _on(Admin, Admin.record_audit)
    audit_events = _on(Admin, Admin.audit_events)
    export_latest_unsafe = _on(Admin, Admin.export_latest_unsafe)
    export_all_versions_unsafe = _on(Admin, Admin.export_all_versions_unsafe)
    rotate_key = _on(Admin, Admin.rotate_key)


class LocalVault(LocalBackend):
    """An encrypted, audited, multi-process-safe vault in one SQLite file.

    ``env`` supplies ``ONECLAW_LOCAL_VAULT_KEY`` and the KEK providers' settings (default:
    ``os.environ``); ``key`` gives the key-encryption key directly (tests, embedding);
    otherwise the key file ``<path>.key`` is used, and created with the database on first
    use. ``kek`` (``file``, ``pkcs11``, ``transit``) picks the KEK provider of a new vault and
    must match the one an existing vault records; ``None`` takes the recorded one (``file``
    for a new vault). ``create=False`` refuses to create the file (404 naming the path and
    ``oneclaw-tools init``): configuration read from the environment opens vaults this way, so a
    mistyped path never answers with a new, empty vault. ``clock`` returns an aware UTC datetime
    and decides expiry.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        env: Mapping[str, str] | None = None,
        key: bytes | None = None,
        principal: Principal | None = None,
        clock: Callable[[], datetime] | None = None,
        kek: str | None = None,
        create: bool = True,
    ) -> None:
        if key is not None and (not isinstance(key, bytes) or len(key) != 32):
            raise InvalidArgument("key", "must be 32 bytes")
        if kek is not None and kek not in KEK_KINDS:
            raise InvalidArgument("kek", f"must be one of {', '.join(KEK_KINDS)}")
        if key is not None and kek not in (None, "file"):
            raise InvalidArgument("key", "an explicit key is a 'file' key-encryption key")
        store = Store(
            Path(path).expanduser(),
            env=os.environ if env is None else env,
            key=key,
            clock=clock,
            kek=kek,
            create=create,
        )
        super().__init__(Core(store, principal or OWNER))

    def close(self) -> None:
        """Close the database connection (a backend made by ``acting_as`` leaves it open)."""
        self._store.close()
