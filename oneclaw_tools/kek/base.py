"""The key-encryption-key (KEK) provider interface of the embedded vault.

A provider wraps and unwraps data keys; where the KEK itself lives is its business: a key
file or ``ONECLAW_LOCAL_VAULT_KEY`` (:class:`oneclaw_tools.crypto.KeyRing`), a PKCS#11 token
(:mod:`.pkcs11`) or an OpenBao/Vault transit key (:mod:`.transit`). A provider knows one or
more KEK ids, oldest to newest; the newest wraps, any of them unwraps. Each wrapped data key
records the id that wrapped it, and the vault's ``keks`` table holds a small check blob per
id, so a wrong key is refused when the vault opens, not after a write.

Contract of every provider:

- ``unwrap`` of anything that was not wrapped by this KEK with this associated data raises
  :class:`~oneclaw_tools.errors.IntegrityError` (one opaque message, as for a tampered row);
- a provider that cannot work at all (wrong PIN, missing token or module, a denied or
  unreachable transit call) raises :class:`KekUnavailable`, whose message names which, and
  never carries a PIN, a token or a key;
- ``describe()`` is what the vault file records about the provider (kind, labels, names):
  never a secret; ``repr`` shows no more than that.
"""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from ..errors import IntegrityError, ServerError

__all__ = ["INTEGRITY_MESSAGE", "KEK_KINDS", "KekProvider", "KekUnavailable"]

#: The providers ``init --kek`` and ``rotate-key --to`` accept.
KEK_KINDS = ("file", "pkcs11", "transit")

_CHECK = b"oneclaw-tools kek check"
INTEGRITY_MESSAGE = (
    "a stored secret failed its integrity check: the vault key is wrong or the vault file was altered."
)


class KekUnavailable(ServerError):
    """The key-encryption-key provider cannot work; the message says which part failed."""

    code = "kek_unavailable"
    default_action = "The vault's key-encryption key is unavailable; tell the operator."

    def __init__(self, message: str, *, action: str | None = None) -> None:
        super().__init__(message, status=503, action=action)


class KekProvider(ABC):
    """Wraps and unwraps data keys under one or more KEKs (oldest to newest)."""

    __slots__ = ()
    kind: ClassVar[str]

    @property
    @abstractmethod
    def ids(self) -> tuple[str, ...]:
        """The KEK ids this provider can unwrap under, oldest first."""

    @property
    def newest_id(self) -> str:
        return self.ids[-1]

    @property
    def source(self) -> str:
        """Where the KEK comes from (``file``, ``env``, ``explicit``, ``pkcs11``, ``transit``)."""
        return self.kind

    @abstractmethod
    def wrap(self, kek_id: str, dek: bytes, aad: bytes) -> bytes:
        """``dek`` sealed under the KEK ``kek_id``, bound to ``aad``."""

    @abstractmethod
    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """The data key, or :class:`IntegrityError`."""

    def wrap_many(self, kek_id: str, items: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        """``wrap`` of each ``(dek, aad)``; a remote provider overrides it with one batched call."""
        return [self.wrap(kek_id, dek, aad) for dek, aad in items]

    def unwrap_many(self, items: Sequence[tuple[str, bytes, bytes]]) -> list[bytes]:
        """``unwrap`` of each ``(kek_id, wrapped, aad)``; all or an error, as ``unwrap``."""
        return [self.unwrap(kek_id, wrapped, aad) for kek_id, wrapped, aad in items]

    @abstractmethod
    def describe(self) -> dict[str, str]:
        """What the vault records about this provider: its kind and labels, never a secret."""

    def check_blob(self, kek_id: str) -> bytes:
        """A small sealed constant that proves, later, that a KEK is the one a vault used."""
        return self.wrap(kek_id, _CHECK, b"check\x00" + kek_id.encode())

    def verify_check(self, kek_id: str, blob: bytes) -> bool:
        try:
            plain = self.unwrap(kek_id, blob, b"check\x00" + kek_id.encode())
        except IntegrityError:
            return False
        return hmac.compare_digest(plain, _CHECK)

    def close(self) -> None:  # noqa: B027 - providers without resources need nothing
        """Release sessions and connections."""

    def _require_id(self, kek_id: str) -> None:
        if kek_id not in self.ids:
            raise IntegrityError(INTEGRITY_MESSAGE)

    def __getstate__(self) -> object:
        raise TypeError(f"{type(self).__name__} cannot be pickled")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()!r}, ids={list(self.ids)!r})"
