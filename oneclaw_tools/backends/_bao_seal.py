"""A share token sealed under a passphrase, so a share link alone opens nothing.

``p.`` + base64url(salt 16, nonce 12, AES-256-GCM(token)) with the key derived by scrypt (the
project's cost parameters, :data:`oneclaw_tools.crypto.SCRYPT_LOG2_N`) from the passphrase, and
the share id as associated data (a sealed token moved to another share id does not open). A
missing or wrong passphrase, or a damaged seal, is one 403 that says the share needs its
passphrase.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from .. import crypto
from ..errors import PermissionDenied

__all__ = ["open_token", "seal_token"]


def _passphrase_key(passphrase: str, salt: bytes) -> AESGCM:
    n = 2**crypto.SCRYPT_LOG2_N
    key = Scrypt(salt=salt, length=32, n=n, r=crypto.SCRYPT_R, p=crypto.SCRYPT_P).derive(passphrase.encode())
    return AESGCM(key)


def seal_token(token: str, passphrase: str, share_id: str) -> str:
    """``p.`` + base64url(salt, nonce, AES-GCM(token)) under a scrypt key of the passphrase."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = _passphrase_key(passphrase, salt).encrypt(nonce, token.encode(), share_id.encode())
    return "p." + base64.urlsafe_b64encode(salt + nonce + sealed).decode().rstrip("=")


def open_token(sealed: str, passphrase: str | None, share_id: str) -> str:
    if passphrase is None:
        raise PermissionDenied("the share needs its passphrase.", action="Ask the sender for the passphrase.")
    try:
        raw = base64.urlsafe_b64decode(sealed[2:] + "=" * (-len(sealed[2:]) % 4))
        token = _passphrase_key(passphrase, raw[:16]).decrypt(raw[16:28], raw[28:], share_id.encode())
    except (InvalidTag, ValueError):
        raise PermissionDenied(
            "the share needs its passphrase.", action="Ask the sender for the passphrase."
        ) from None
    return token.decode()
