"""The contract every vault backend keeps (1Claw REST semantics, §2-6 of the reference).

A backend is application code: it hands out :class:`~oneclaw_tools.models.Secret` objects
whose values are :class:`~oneclaw_tools.models.SecretValue`. The session is the layer that
keeps those values away from the model.

Semantics every backend shares (and :mod:`oneclaw_tools.testing` checks):

* every ``put_secret`` creates version ``n+1`` (versions start at 1, contiguous);
* ``get_secret`` returns the latest readable version (disabled versions are skipped) and
  counts one access of a secret with a ``max_access_count`` (a backend may leave the count of
  an unlimited secret alone, as the embedded vault does so that readers never wait for
  writers; every read is audited either way); a read past ``expires_at``, over ``max_access_count`` (0 = unlimited),
  of a soft-deleted path, or of an explicitly requested disabled version raises
  :class:`~oneclaw_tools.errors.Gone`; a path that never existed raises ``NotFound``;
* ``describe_secret`` and ``list_*`` never return values and never count an access;
* ``delete_secret`` is a soft delete of every version; a later put starts a fresh secret
  whose versions continue the numbering;
* ``rotate_secret`` generates the value on the backend and never returns it;
* ``create_vault`` raises ``Conflict`` on a duplicate name.

The interface is declared once, here. The long keyword lists of ``put_secret``,
``create_policy`` and ``create_share`` are the :class:`SecretOptions`, :class:`PolicyOptions`
and :class:`ShareOptions` typed dicts; an implementation takes ``**options:
Unpack[SecretOptions]`` and reads them through :func:`complete_options` (defaults filled in, an
unknown or missing keyword a ``TypeError`` as with a plain signature).

**One, synchronous interface.** The core is synchronous: a backend is plain blocking code
(SQLite, an httpx ``Client``), and :meth:`oneclaw_tools.session.Session.acall` runs a tool in a
worker thread (``asyncio.to_thread``), which is how every async surface (LangChain's
``ainvoke``, LlamaIndex's ``acall``, CrewAI, the MCP server) reaches a backend. There is no
async backend API: a tool call does one to three backend requests, a thread per call costs
little next to the network or the disk, and one interface means one conformance suite, one
implementation per backend, and no sync and async twins drifting apart (DESIGN.md: "each
backend implements one interface and passes one shipped conformance suite").
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict, TypeVar, Unpack, cast

from ..models import AuditEvent, PolicyInfo, Principal, Secret, SecretMeta, ShareInfo, VaultInfo

__all__ = ["PolicyOptions", "SecretOptions", "ShareOptions", "VaultBackend", "complete_options"]

T = TypeVar("T")


class SecretOptions(TypedDict, total=False):
    """``put_secret`` keywords. Defaults: ``"generic"``, no metadata, no expiry, 0 (unlimited reads)."""

    type: str
    metadata: dict[str, Any] | None
    expires_at: datetime | str | None
    max_access_count: int


class _PolicyRequired(TypedDict):
    principal_type: str
    principal_id: str


class PolicyOptions(_PolicyRequired, total=False):
    """``create_policy`` keywords. Defaults: pattern ``"**"``, ``("read",)``, no expiry."""

    secret_path_pattern: str
    permissions: list[str] | tuple[str, ...]
    expires_at: datetime | str | None


class _ShareRequired(TypedDict):
    recipient_type: str
    expires_at: datetime | str


class ShareOptions(_ShareRequired, total=False):
    """``create_share`` keywords. ``email`` for ``external_email``, ``recipient_id`` for a user
    or an agent; ``max_access_count`` 0 = unlimited; an optional ``passphrase``."""

    email: str | None
    recipient_id: str | None
    max_access_count: int
    passphrase: str | None


_DEFAULTS: dict[type, Mapping[str, object]] = {
    SecretOptions: {"type": "generic", "metadata": None, "expires_at": None, "max_access_count": 0},
    PolicyOptions: {"secret_path_pattern": "**", "permissions": ("read",), "expires_at": None},
    ShareOptions: {"email": None, "recipient_id": None, "max_access_count": 0, "passphrase": None},
}

OptionsT = TypeVar("OptionsT", SecretOptions, PolicyOptions, ShareOptions)


def complete_options(kind: type[OptionsT], operation: str, given: OptionsT) -> OptionsT:
    """``given`` with every default of ``kind`` filled in; an unknown or a missing keyword is a
    :class:`TypeError`, exactly as a written-out signature would raise."""
    required: frozenset[str] = getattr(kind, "__required_keys__")  # noqa: B009 - mypy does not know it
    unknown = sorted(set(given) - required - getattr(kind, "__optional_keys__"))  # noqa: B009
    if unknown:
        raise TypeError(f"{operation}() got an unexpected keyword argument '{unknown[0]}'")
    missing = sorted(required - set(given))
    if missing:
        raise TypeError(f"{operation}() missing a required keyword argument: '{missing[0]}'")
    return cast(OptionsT, {**_DEFAULTS[kind], **given})


class VaultBackend(abc.ABC):
    """Synchronous backend interface. Arguments are validated by the implementation."""

    #: Short name for audit rows and messages ("local", "oneclaw").
    kind: str = "backend"

    @property
    @abc.abstractmethod
    def principal(self) -> Principal:
        """Who this backend acts as."""

    @abc.abstractmethod
    def default_vault_id(self) -> str:
        """The vault tools use when none is named (created on first use if needed)."""

    # -- vaults -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_vault(self, name: str, description: str = "") -> VaultInfo: ...

    @abc.abstractmethod
    def list_vaults(self) -> list[VaultInfo]: ...

    @abc.abstractmethod
    def get_vault(self, vault_id: str) -> VaultInfo: ...

    @abc.abstractmethod
    def delete_vault(self, vault_id: str) -> None: ...

    # -- secrets ------------------------------------------------------------------------
    @abc.abstractmethod
    def put_secret(
        self, vault_id: str, path: str, value: str, **options: Unpack[SecretOptions]
    ) -> SecretMeta:
        """A new version ``n+1`` of ``path`` holding ``value`` (see :class:`SecretOptions`)."""

    @abc.abstractmethod
    def get_secret(self, vault_id: str, path: str, version: int | None = None) -> Secret: ...

    @abc.abstractmethod
    def describe_secret(self, vault_id: str, path: str) -> SecretMeta:
        """Metadata of the latest readable version; 404/410 like a read; no access counted."""

    @abc.abstractmethod
    def list_secrets(self, vault_id: str, prefix: str = "") -> list[SecretMeta]:
        """One entry per live path (latest version), sorted by path, readable by the caller."""

    @abc.abstractmethod
    def list_versions(self, vault_id: str, path: str) -> list[SecretMeta]:
        """Every version of a live path, newest first, disabled ones flagged."""

    @abc.abstractmethod
    def disable_version(self, vault_id: str, path: str, version: int) -> None: ...

    @abc.abstractmethod
    def delete_secret(self, vault_id: str, path: str) -> None: ...

    @abc.abstractmethod
    def rotate_secret(
        self,
        vault_id: str,
        path: str,
        *,
        length: int = 32,
        charset: str = "hex",
        type: str | None = None,
    ) -> SecretMeta:
        """A new version with a value generated by the backend. The path must exist."""

    # -- policies -----------------------------------------------------------------------
    @abc.abstractmethod
    def create_policy(self, vault_id: str, **options: Unpack[PolicyOptions]) -> PolicyInfo:
        """Grant a principal permissions on the paths a glob matches (see :class:`PolicyOptions`)."""

    @abc.abstractmethod
    def list_policies(self, vault_id: str) -> list[PolicyInfo]: ...

    @abc.abstractmethod
    def delete_policy(self, vault_id: str, policy_id: str) -> None: ...

    # -- shares -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_share(self, vault_id: str, path: str, **options: Unpack[ShareOptions]) -> ShareInfo:
        """Share the secret at ``path`` (see :class:`ShareOptions`); a link is a credential."""

    @abc.abstractmethod
    def access_share(self, share_id: str, passphrase: str | None = None) -> Secret:
        """The shared secret's latest value; counts one access; 410 when expired or used up."""

    @abc.abstractmethod
    def accept_share(self, share_id: str) -> None: ...

    @abc.abstractmethod
    def decline_share(self, share_id: str) -> None: ...

    @abc.abstractmethod
    def revoke_share(self, share_id: str) -> None: ...

    @abc.abstractmethod
    def list_inbound_shares(self) -> list[ShareInfo]: ...

    @abc.abstractmethod
    def list_outbound_shares(self) -> list[ShareInfo]: ...

    # -- audit --------------------------------------------------------------------------
    def record_audit(self, event: AuditEvent) -> None:  # noqa: B027 - optional hook
        """Store a session-level event (policy refusals, handle use). Default: drop it."""

    def audit_events(self, limit: int = 100) -> list[AuditEvent]:
        """Most recent audit events, newest last. Backends without a local log return []."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
