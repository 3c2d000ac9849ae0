"""Build a KEK provider from a vault's record and the environment.

A vault file records which provider it uses (``vault_meta.kek``: ``{"kind": "file"}``,
``{"kind": "pkcs11", "token_label", "key_label"}`` or ``{"kind": "transit", "mount", "key"}``;
labels and names only, never a PIN, token or key). Secrets needed to reach the provider (the
PIN, the transit token) and machine-specific parts (the module path, the server address)
come from the environment every time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from .. import crypto
from ..errors import IntegrityError, InvalidArgument
from .base import KEK_KINDS, KekProvider

__all__ = ["load_record", "open_provider", "record_for", "same_record"]


def record_for(kind: str, env: Mapping[str, str], current: Mapping[str, str] | None = None) -> dict[str, str]:
    """The record a provider of ``kind`` would have, from the environment.

    A label or name the environment leaves unset is taken from ``current`` when that is of the
    same kind (so ``rotate-key`` keeps the vault's key unless told otherwise), else its default.
    """
    if kind not in KEK_KINDS:
        raise InvalidArgument("kek", f"must be one of {', '.join(KEK_KINDS)}")
    same = dict(current) if current is not None and current.get("kind") == kind else {}
    if kind == "pkcs11":
        from .pkcs11 import DEFAULT_KEY_LABEL

        return {
            "kind": "pkcs11",
            "token_label": env.get("ONECLAW_PKCS11_TOKEN_LABEL") or same.get("token_label", ""),
            "key_label": env.get("ONECLAW_PKCS11_KEY_LABEL") or same.get("key_label") or DEFAULT_KEY_LABEL,
        }
    if kind == "transit":
        from .transit import DEFAULT_KEY_NAME

        return {
            "kind": "transit",
            "mount": env.get("ONECLAW_TRANSIT_MOUNT") or same.get("mount") or "transit",
            "key": env.get("ONECLAW_TRANSIT_KEY") or same.get("key") or DEFAULT_KEY_NAME,
        }
    return {"kind": "file"}


def same_record(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    return dict(a) == dict(b)


def load_record(text: str | None) -> dict[str, str] | None:
    """A stored record, or None for a vault from before KEK providers (a ``file`` vault)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise IntegrityError("the vault file's key-encryption-key record is damaged.") from None
    if not isinstance(data, dict) or data.get("kind") not in KEK_KINDS:
        raise IntegrityError("the vault file's key-encryption-key record is damaged.")
    return {str(k): str(v) for k, v in data.items()}


def open_provider(
    record: Mapping[str, str],
    env: Mapping[str, str],
    key_file: Path,
    *,
    create: bool,
    explicit_key: bytes | None = None,
    fresh_key_file: bool = False,
) -> KekProvider:
    """The provider ``record`` names, reached with the environment.

    ``create`` allows making the KEK (a key file, a token key, a transit key) when it does not
    exist yet; ``fresh_key_file`` replaces a key file with one new key (a migration to ``file``,
    where any key file left over holds no key of this vault).
    """
    kind = record.get("kind")
    if kind == "pkcs11":
        from .pkcs11 import Pkcs11Kek

        return Pkcs11Kek.from_env(env, record, create=create)
    if kind == "transit":
        from .transit import TransitKek

        return TransitKek.from_env(env, record, create=create)
    if explicit_key is not None:
        return crypto.KeyRing([explicit_key], "explicit")
    if fresh_key_file and not env.get(crypto.KEY_ENV):
        crypto.write_key_file(key_file, [crypto.generate_key()])
    return crypto.load_keyring(key_file, env, create=create)
