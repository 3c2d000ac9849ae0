"""Envelope encryption for the embedded vault, built only from ``cryptography`` recipes.

Every secret version gets a fresh random 256-bit data key (DEK). The value is sealed with
AES-256-GCM under that DEK; the DEK is wrapped with AES-256-GCM under a key-encryption key
(KEK). Both layers carry associated data that names the row (vault, secret, path, version
and the immutable per-version fields), so a ciphertext copied to another row, a row whose
path or expiry was edited, or a wrong KEK all fail authentication. Every such failure is
one :class:`~oneclaw_tools.errors.IntegrityError` with one message: no garbage, no detail.

The KEK is held by a :class:`~oneclaw_tools.kek.KekProvider`: a PKCS#11 token, an
OpenBao/Vault transit key, or (the ``file`` provider, here) a :class:`KeyRing`. KEKs live in a
:class:`KeyRing`, oldest to newest (as itsdangerous' ``secret_keys`` and
``MultiFernet``): the newest wraps, any of them unwraps, and each wrapped DEK records the
id of the KEK that wrapped it. The ring comes from ``ONECLAW_LOCAL_VAULT_KEY`` (urlsafe
base64 keys, comma separated, oldest first) or from a key file next to the database
(mode 0600, replaced atomically).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import string
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .errors import IntegrityError, InvalidArgument
from .kek.base import INTEGRITY_MESSAGE, KekProvider
from .keyfiles import check_key_file_mode, fcntl, remove_stale_temporaries

__all__ = [
    "INTEGRITY_MESSAGE",
    "KEY_ENV",
    "KeyRing",
    "Sealed",
    "check_key_file_mode",
    "decode_key",
    "encode_key",
    "fsync_dir",
    "generate_key",
    "generate_value",
    "hash_passphrase",
    "hash_token",
    "key_id_for",
    "load_keyring",
    "open_sealed",
    "read_key_file",
    "remove_stale_temporaries",
    "rewrap",
    "seal",
    "unwrap_dek",
    "unwrap_deks",
    "verify_passphrase",
    "verify_token",
    "wrap_dek",
    "wrap_deks",
    "write_key_file",
]

KEY_ENV = "ONECLAW_LOCAL_VAULT_KEY"
_KEY_FILE_FORMAT = "oneclaw-tools-local-kek"
_NONCE = 12
_CHARSETS: dict[str, str] = {
    "hex": "0123456789abcdef",
    "base64": string.ascii_letters + string.digits + "+/",
    "alphanumeric": string.ascii_letters + string.digits,
    "ascii": string.ascii_letters + string.digits + string.punctuation,
}


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str, argument: str = KEY_ENV) -> bytes:
    """Decode one urlsafe-base64 key; the error never echoes the text."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidArgument(argument, "must be the urlsafe base64 encoding of 32 random bytes") from None
    if len(raw) != 32:
        raise InvalidArgument(argument, "must be the urlsafe base64 encoding of 32 random bytes")
    return raw


def key_id_for(key: bytes) -> str:
    """A stable, non-reversible id for a KEK (a keyed-domain hash, truncated)."""
    return "k-" + hashlib.sha256(b"oneclaw-tools kek id\x00" + key).hexdigest()[:16]


class KeyRing(KekProvider):
    """The ``file`` KEK provider: keys oldest to newest. ``repr`` shows only key ids."""

    __slots__ = ("_aead", "_keys", "_source")
    kind = "file"

    def __init__(self, keys: Iterable[bytes], source: str) -> None:
        ordered: dict[str, bytes] = {}
        for key in keys:
            if len(key) != 32:
                raise ValueError("a key-encryption key is 32 bytes")
            ordered.pop(key_id_for(key), None)
            ordered[key_id_for(key)] = key
        if not ordered:
            raise ValueError("a key ring needs at least one key")
        self._keys = ordered
        self._aead = {kid: AESGCM(key) for kid, key in ordered.items()}
        self._source = source  # "env", "file" or "explicit"

    @property
    def source(self) -> str:
        return self._source

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def newest_id(self) -> str:
        return next(reversed(self._keys))

    def keys(self) -> list[bytes]:
        return list(self._keys.values())

    def aead(self, kek_id: str) -> AESGCM:
        try:
            return self._aead[kek_id]
        except KeyError:
            raise IntegrityError(INTEGRITY_MESSAGE) from None

    def wrap(self, kek_id: str, dek: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self.aead(kek_id).encrypt(nonce, dek, aad)

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        try:
            return self.aead(kek_id).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        except (InvalidTag, ValueError, TypeError):
            raise IntegrityError(INTEGRITY_MESSAGE) from None

    def describe(self) -> dict[str, str]:
        return {"kind": "file"}

    def check_blob(self, kek_id: str) -> bytes:
        """A small sealed constant that proves, later, that a key is the one a vault used."""
        nonce = os.urandom(_NONCE)
        return nonce + self.aead(kek_id).encrypt(nonce, b"oneclaw-tools kek check", kek_id.encode())

    def verify_check(self, kek_id: str, blob: bytes) -> bool:
        try:
            self.aead(kek_id).decrypt(blob[:_NONCE], blob[_NONCE:], kek_id.encode())
        except (InvalidTag, IntegrityError, ValueError):
            return False
        return True

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self._keys)!r}, source={self._source!r})"


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed value: the KEK id, the wrapped DEK and the value ciphertext (nonces in front)."""

    kek_id: str
    wrapped_dek: bytes
    ciphertext: bytes

    def __repr__(self) -> str:
        return f"Sealed(kek_id={self.kek_id!r}, ...)"


def _wrap_aad(kek_id: str, aad: bytes) -> bytes:
    return b"dek\x00" + kek_id.encode() + b"\x00" + aad


def seal(ring: KekProvider, plaintext: bytes, aad: bytes) -> Sealed:
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE)
    ciphertext = nonce + AESGCM(dek).encrypt(nonce, plaintext, b"value\x00" + aad)
    kek_id = ring.newest_id
    return Sealed(kek_id, ring.wrap(kek_id, dek, _wrap_aad(kek_id, aad)), ciphertext)


def unwrap_dek(ring: KekProvider, sealed: Sealed, aad: bytes) -> bytes:
    """The data key of ``sealed`` (for a re-wrap under another provider), or IntegrityError."""
    return ring.unwrap(sealed.kek_id, sealed.wrapped_dek, _wrap_aad(sealed.kek_id, aad))


def wrap_dek(ring: KekProvider, dek: bytes, aad: bytes, ciphertext: bytes) -> Sealed:
    """``dek`` wrapped under ``ring``'s newest KEK, with the value ciphertext unchanged."""
    kek_id = ring.newest_id
    return Sealed(kek_id, ring.wrap(kek_id, dek, _wrap_aad(kek_id, aad)), ciphertext)


def unwrap_deks(ring: KekProvider, items: Sequence[tuple[Sealed, bytes]]) -> list[bytes]:
    """The data keys of many ``(sealed, aad)`` at once (one batched call where the provider can)."""
    return ring.unwrap_many([(s.kek_id, s.wrapped_dek, _wrap_aad(s.kek_id, aad)) for s, aad in items])


def wrap_deks(ring: KekProvider, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[Sealed]:
    """Each ``(dek, aad, ciphertext)`` wrapped under ``ring``'s newest KEK."""
    kek_id = ring.newest_id
    wrapped = ring.wrap_many(kek_id, [(dek, _wrap_aad(kek_id, aad)) for dek, aad, _ in items])
    return [Sealed(kek_id, w, ct) for w, (_, _, ct) in zip(wrapped, items, strict=True)]


def open_sealed(ring: KekProvider, sealed: Sealed, aad: bytes) -> bytes:
    """The plaintext, or :class:`IntegrityError` (never partial output)."""
    dek = unwrap_dek(ring, sealed, aad)
    try:
        return AESGCM(dek).decrypt(sealed.ciphertext[:_NONCE], sealed.ciphertext[_NONCE:], b"value\x00" + aad)
    except (InvalidTag, ValueError, TypeError):
        raise IntegrityError(INTEGRITY_MESSAGE) from None


def rewrap(ring: KekProvider, sealed: Sealed, aad: bytes, new_kek_id: str) -> Sealed:
    """The same DEK wrapped under ``new_kek_id``; the value ciphertext is unchanged."""
    dek = unwrap_dek(ring, sealed, aad)
    return Sealed(new_kek_id, ring.wrap(new_kek_id, dek, _wrap_aad(new_kek_id, aad)), sealed.ciphertext)


# -- key sources ------------------------------------------------------------------------


def read_key_file(path: Path) -> list[bytes]:
    """Keys from a key file, oldest first. A damaged file is an IntegrityError; a file open to
    group or others is refused (see :func:`check_key_file_mode`)."""
    check_key_file_mode(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != _KEY_FILE_FORMAT:
            raise ValueError
        keys = [decode_key(str(entry["key"]), "key file") for entry in data["keys"]]
    except (ValueError, KeyError, TypeError, InvalidArgument, UnicodeDecodeError):
        raise IntegrityError("the vault key file is damaged or not a vault key file.") from None
    if not keys:
        raise IntegrityError("the vault key file holds no key.")
    return keys


def write_key_file(path: Path, keys: list[bytes], *, exclusive: bool = False) -> bool:
    """Write the key file atomically with mode 0600 (fsync'd, then renamed into place).

    With ``exclusive`` the file is only created if absent (returns False if it existed), so
    two processes initialising one vault agree on one key.
    """
    now = datetime.now(UTC).isoformat()
    body = json.dumps(
        {
            "format": _KEY_FILE_FORMAT,
            "version": 1,
            "note": "oneclaw-tools vault key-encryption keys, oldest first. Keep this file secret.",
            "keys": [{"id": key_id_for(k), "key": encode_key(k), "added_at": now} for k in keys],
        },
        indent=1,
    ).encode()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = _locked_temporary(path)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, body)
        os.fsync(fd)
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
        fsync_dir(path.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        os.close(fd)


def _locked_temporary(path: Path) -> tuple[int, str]:
    """A new ``<key file>.*.tmp`` held under an exclusive lock (held until it is renamed).

    Between creating the file and locking it, another process's cleaner may take it for a
    crashed writer's leftover and remove it; then the lock holds a file no longer there, so
    make another (a locked file is never removed).
    """
    while True:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        if fcntl is None:  # pragma: no cover - no flock: the cleaner goes by age instead
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(tmp).st_ino == os.fstat(fd).st_ino:
                return fd, tmp
        except FileNotFoundError:
            pass
        os.close(fd)


def fsync_dir(directory: Path) -> None:
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


def load_keyring(key_file: Path, env: Mapping[str, str], *, create: bool = True) -> KeyRing:
    """The KEKs from ``ONECLAW_LOCAL_VAULT_KEY`` if set, else from ``key_file`` (created if absent)."""
    text = env.get(KEY_ENV)
    if text:
        return KeyRing([decode_key(part) for part in text.split(",") if part.strip()], "env")
    remove_stale_temporaries(key_file)
    if not key_file.exists():
        if not create:
            raise IntegrityError(
                "the vault key file is missing: restore it, or set ONECLAW_LOCAL_VAULT_KEY.",
                action="Without the vault key the stored secrets cannot be read; tell the operator.",
            )
        write_key_file(key_file, [generate_key()], exclusive=True)
    return KeyRing(read_key_file(key_file), "file")


# -- generated values, passphrases, share tokens ----------------------------------------


def generate_value(length: int, charset: str) -> str:
    """A random value of exactly ``length`` characters from ``charset`` (uses :mod:`secrets`)."""
    alphabet = _CHARSETS[charset]
    return "".join(secrets.choice(alphabet) for _ in range(length))


#: scrypt cost for passphrases, per the OWASP Password Storage Cheat Sheet (N=2^17, r=8, p=1)
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 17, 8, 1
_SCRYPT_TAG = b"$s1"  # tag, log2(N), r, p, salt (16), key (32); untagged = the old N=2^14 form


def hash_passphrase(passphrase: str) -> bytes:
    """Tagged scrypt: ``$s1`` + cost parameters + salt (16 bytes) + scrypt(passphrase)."""
    salt = os.urandom(16)
    key = Scrypt(salt=salt, length=32, n=2**SCRYPT_LOG2_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode("utf-8")
    )
    return _SCRYPT_TAG + bytes((SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)) + salt + key


def verify_passphrase(passphrase: str, stored: bytes) -> bool:
    """Check against a stored hash in either form (parameters are read from the hash)."""
    if stored.startswith(_SCRYPT_TAG) and len(stored) == len(_SCRYPT_TAG) + 3 + 48:
        log2_n, r, p = stored[3:6]
        if not (10 <= log2_n <= 22 and 1 <= r <= 32 and 1 <= p <= 16):
            return False
        body = stored[6:]
    else:
        log2_n, r, p, body = 14, 8, 1, stored
    salt, expected = body[:16], body[16:]
    actual = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return hmac.compare_digest(actual, expected)


def hash_token(token: str) -> bytes:
    """A share token is 256 random bits, so one SHA-256 is enough to store it safely."""
    return hashlib.sha256(b"oneclaw-tools share token\x00" + token.encode("ascii", "replace")).digest()


def verify_token(token: str, stored: bytes) -> bool:
    return hmac.compare_digest(hash_token(token), stored)
