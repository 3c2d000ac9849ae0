"""The ``pkcs11`` KEK provider: a non-extractable AES-256 key inside an HSM or token.

Data keys are wrapped with AES-GCM *inside the token* (``C_Encrypt`` with ``CKM_AES_GCM``, a
random 96-bit IV, the row's associated data as GCM's AAD): the KEK never leaves the device,
and a data key wrapped for one row does not unwrap for another. Works with any PKCS#11
module (SoftHSM2 in the tests; YubiHSM, Thales, CloudHSM, a smart card in production)
through python-pkcs11.

Configuration: ``ONECLAW_PKCS11_MODULE`` (the module's path), ``ONECLAW_PKCS11_TOKEN_LABEL``,
``ONECLAW_PKCS11_PIN`` (the user PIN; only ever read from the environment) and
``ONECLAW_PKCS11_KEY_LABEL`` (default ``oneclaw-kek``). The key is generated in the token on
first use with ``CKA_TOKEN``, ``CKA_SENSITIVE`` and ``CKA_EXTRACTABLE=false``; its KEK id is
``p11-`` plus its random ``CKA_ID``, so a different key under the same label is noticed.

The PIN is kept in one private slot for re-login and is never put in a message, ``repr``,
log or argv; a wrong PIN, a missing module, token or key are one :class:`KekUnavailable`
each, saying which.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from ..errors import IntegrityError
from .base import INTEGRITY_MESSAGE, KekProvider, KekUnavailable

__all__ = ["DEFAULT_KEY_LABEL", "Pkcs11Kek"]

DEFAULT_KEY_LABEL = "oneclaw-kek"
_NONCE = 12


_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.Lock()


def _lib() -> Any:
    try:
        import pkcs11
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            'the pkcs11 key-encryption key needs python-pkcs11: pip install "oneclaw-tools[pkcs11]"'
        ) from exc
    return pkcs11


class Pkcs11Kek(KekProvider):
    """One AES key in one token; one logged-in session, guarded by a lock."""

    __slots__ = ("_key", "_key_id", "_key_label", "_lock", "_module", "_pin", "_session", "_token_label")
    kind = "pkcs11"

    def __init__(self, module: str, token_label: str, pin: str, key_label: str, *, create: bool) -> None:
        self._module = module
        self._token_label = token_label
        self._pin = pin
        self._key_label = key_label
        self._lock = threading.Lock()
        self._session: Any = None
        self._key: Any = None
        self._key_id = ""
        self._connect(create=create)

    @classmethod
    def from_env(cls, env: Mapping[str, str], record: Mapping[str, str] | None, *, create: bool) -> Pkcs11Kek:
        """Module and PIN from the environment; token and key label from the vault's record if any."""
        module = env.get("ONECLAW_PKCS11_MODULE", "")
        pin = env.get("ONECLAW_PKCS11_PIN", "")
        token = (record or {}).get("token_label") or env.get("ONECLAW_PKCS11_TOKEN_LABEL", "")
        label = (record or {}).get("key_label") or env.get("ONECLAW_PKCS11_KEY_LABEL") or DEFAULT_KEY_LABEL
        for name, value in (
            ("ONECLAW_PKCS11_MODULE", module),
            ("ONECLAW_PKCS11_TOKEN_LABEL", token),
            ("ONECLAW_PKCS11_PIN", pin),
        ):
            if not value:
                raise KekUnavailable(f"the PKCS#11 key-encryption key needs {name}; it is not set.")
        return cls(module, token, pin, label, create=create)

    @staticmethod
    def label_from_env(env: Mapping[str, str]) -> tuple[str, str]:
        """(token label, key label) a new pkcs11 provider would use."""
        token = env.get("ONECLAW_PKCS11_TOKEN_LABEL", "")
        return token, env.get("ONECLAW_PKCS11_KEY_LABEL") or DEFAULT_KEY_LABEL

    # -- connection ---------------------------------------------------------------------
    def _connect(self, *, create: bool) -> None:
        p11 = _lib()
        exc_mod = p11.exceptions
        try:
            with _LIBS_LOCK:  # one loaded, initialised module per path and process
                lib = _LIBS.get(self._module)
                if lib is None:
                    lib = _LIBS[self._module] = p11.lib(self._module)
        except exc_mod.PKCS11Error:
            raise KekUnavailable(
                "the PKCS#11 module could not be loaded: check ONECLAW_PKCS11_MODULE (no such file, or "
                "not a PKCS#11 library)."
            ) from None
        try:
            token = lib.get_token(token_label=self._token_label)
        except exc_mod.NoSuchToken:
            raise KekUnavailable(
                f"the PKCS#11 token '{self._token_label}' was not found in the module: check "
                "ONECLAW_PKCS11_TOKEN_LABEL and that the token is present."
            ) from None
        except exc_mod.MultipleTokensReturned:
            raise KekUnavailable(
                f"more than one PKCS#11 token is labelled '{self._token_label}'; give each a unique label."
            ) from None
        try:
            try:
                session = token.open(rw=create, user_pin=self._pin)
            except exc_mod.UserAlreadyLoggedIn:
                # PKCS#11 logs in per application, not per session: another provider in this
                # process (another vault on the same token) is logged in, and so is this session
                session = token.open(rw=create)
        except exc_mod.PinIncorrect:
            raise KekUnavailable(
                "the PKCS#11 token rejected the PIN: ONECLAW_PKCS11_PIN is wrong (the token may lock "
                "after a few failed attempts)."
            ) from None
        except exc_mod.PinLocked:
            raise KekUnavailable(
                "the PKCS#11 token's user PIN is locked; unlock it with the SO PIN."
            ) from None
        except exc_mod.PKCS11Error as exc:
            raise KekUnavailable(f"the PKCS#11 token refused a session ({type(exc).__name__}).") from None
        try:
            key = self._find_or_create(session, create=create)
        except BaseException:
            session.close()
            raise
        self._session = session
        self._key = key
        self._key_id = "p11-" + bytes(key[p11.Attribute.ID]).hex()

    def _find_or_create(self, session: Any, *, create: bool) -> Any:
        p11 = _lib()
        exc_mod = p11.exceptions
        try:
            return session.get_key(
                object_class=p11.ObjectClass.SECRET_KEY, key_type=p11.KeyType.AES, label=self._key_label
            )
        except exc_mod.MultipleObjectsReturned:
            raise KekUnavailable(
                f"the PKCS#11 token holds several AES keys labelled '{self._key_label}'; keep one."
            ) from None
        except exc_mod.NoSuchKey:
            if not create:
                raise KekUnavailable(
                    f"the PKCS#11 token has no AES key labelled '{self._key_label}': the vault's key is "
                    "missing from this token (check ONECLAW_PKCS11_TOKEN_LABEL, or restore the key)."
                ) from None
        attr, flag = p11.Attribute, p11.MechanismFlag
        try:
            return session.generate_key(
                p11.KeyType.AES,
                256,
                id=os.urandom(8),
                label=self._key_label,
                store=True,
                capabilities=flag.ENCRYPT | flag.DECRYPT,
                template={
                    attr.TOKEN: True,
                    attr.PRIVATE: True,
                    attr.SENSITIVE: True,
                    attr.EXTRACTABLE: False,
                    attr.ENCRYPT: True,
                    attr.DECRYPT: True,
                },
            )
        except exc_mod.PKCS11Error as exc:
            raise KekUnavailable(
                f"the PKCS#11 token could not generate the AES key ({type(exc).__name__})."
            ) from None

    def _reconnect(self) -> None:
        """After a lost session (token pulled and put back, module restarted): log in again."""
        before = self._key_id
        self._close_session()
        self._connect(create=False)
        if self._key_id != before:  # another key under the same label now: never wrap with it silently
            self._close_session()
            raise KekUnavailable(f"the PKCS#11 key labelled '{self._key_label}' was replaced while in use.")

    # -- the interface ------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        return (self._key_id,)

    @property
    def key_label(self) -> str:
        return self._key_label

    @property
    def token_label(self) -> str:
        return self._token_label

    def _gcm(self, op: str, data: bytes, nonce: bytes, aad: bytes) -> bytes:
        p11 = _lib()
        from pkcs11.mechanisms import GCMParams

        params = GCMParams(nonce, aad, 128)
        with self._lock:
            for attempt in (1, 2):
                if self._session is None:
                    self._reconnect()
                fn = self._key.encrypt if op == "encrypt" else self._key.decrypt
                try:
                    return bytes(fn(data, mechanism=p11.Mechanism.AES_GCM, mechanism_param=params))
                except (p11.exceptions.SessionClosed, p11.exceptions.SessionHandleInvalid,
                        p11.exceptions.DeviceRemoved, p11.exceptions.TokenNotPresent,
                        p11.exceptions.UserNotLoggedIn, p11.exceptions.KeyHandleInvalid,
                        p11.exceptions.ObjectHandleInvalid):  # fmt: skip
                    # also: another session of this process closed and logged the application out
                    self._close_session()
                    if attempt == 2:
                        raise KekUnavailable("the PKCS#11 token went away during an operation.") from None
                except p11.exceptions.PKCS11Error:
                    if op == "decrypt":  # a GCM tag mismatch: wrong row, wrong key, or tampered
                        raise IntegrityError(INTEGRITY_MESSAGE) from None
                    raise KekUnavailable("the PKCS#11 token failed to wrap a data key.") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def wrap(self, kek_id: str, dek: bytes, aad: bytes) -> bytes:
        self._require_id(kek_id)
        nonce = os.urandom(_NONCE)
        return nonce + self._gcm("encrypt", dek, nonce, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        self._require_id(kek_id)
        if len(wrapped) <= _NONCE + 16:
            raise IntegrityError(INTEGRITY_MESSAGE)
        return self._gcm("decrypt", wrapped[_NONCE:], wrapped[:_NONCE], aad)

    def describe(self) -> dict[str, str]:
        return {"kind": "pkcs11", "token_label": self._token_label, "key_label": self._key_label}

    def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                session.close()
            except Exception:  # noqa: S110 - a session of a token that went away
                pass

    def close(self) -> None:
        with self._lock:
            self._close_session()
