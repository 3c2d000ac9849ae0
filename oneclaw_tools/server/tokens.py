"""EdDSA (Ed25519) access tokens, as 1Claw issues them.

Claims: ``sub`` (``agent:<id>`` or ``user:<id>``), ``org``, ``scopes``, ``vault_ids``,
``iat``, ``exp``, ``jti``, ``iss``. The signing key is persisted in ``<vault file>.jwt-key``
(PKCS#8 PEM, created 0600 with an atomic rename), so tokens survive a server restart. The
clock is injectable; expiry is checked against it with no leeway.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import NotAuthenticated
from ..models import Principal

__all__ = ["TokenIssuer", "key_path_for", "load_or_create_key"]

ISSUER = "oneclaw-tools-local"


def key_path_for(vault_path: str | os.PathLike[str]) -> Path:
    p = Path(vault_path)
    return p.with_name(p.name + ".jwt-key")


def load_or_create_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read the signing key, or create it (0600, written to a temp file then renamed)."""
    path = Path(path)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the server key file does not hold an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created it first: keep theirs
    except FileExistsError:
        os.unlink(tmp)
        return load_or_create_key(path)
    os.unlink(tmp)
    return key


@dataclass(frozen=True, slots=True)
class Claims:
    principal_type: str
    principal_id: str
    jti: str
    exp: float
    vault_ids: tuple[str, ...] | None


class TokenIssuer:
    """Signs and verifies access tokens. ``clock`` returns seconds since the epoch."""

    def __init__(self, key: Ed25519PrivateKey, *, ttl: float = 900.0, clock: Callable[[], float]) -> None:
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self._key = key
        self._public: Ed25519PublicKey = key.public_key()
        self.ttl = ttl
        self._clock = clock

    def public_key_base64(self) -> str:
        import base64

        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode("ascii")

    def issue(self, principal: Principal) -> tuple[str, int]:
        """A signed token and its lifetime in whole seconds (at least 1)."""
        now = self._clock()
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "sub": f"{principal.type}:{principal.id}",
            "org": "local",
            "scopes": [],
            "vault_ids": None if principal.vault_ids is None else list(principal.vault_ids),
            "iat": now,
            "exp": now + self.ttl,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA"), max(1, round(self.ttl))

    def verify(self, token: str) -> Claims:
        """The token's claims, or :class:`NotAuthenticated` (bad signature, expired, malformed)."""
        try:
            claims = jwt.decode(
                token,
                self._public,
                algorithms=["EdDSA"],
                issuer=ISSUER,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.PyJWTError:
            raise NotAuthenticated("the access token is invalid.") from None
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or self._clock() >= exp:
            raise NotAuthenticated(
                "the access token has expired.", action="Exchange the API key for a new token."
            )
        sub = claims.get("sub")
        kind, _, pid = sub.partition(":") if isinstance(sub, str) else ("", "", "")
        if kind not in ("agent", "user") or not pid:
            raise NotAuthenticated("the access token is invalid.")
        ids = claims.get("vault_ids")
        return Claims(
            principal_type=kind,
            principal_id=pid,
            jti=str(claims.get("jti")),
            exp=float(exp),
            vault_ids=tuple(ids) if isinstance(ids, list) else None,
        )
