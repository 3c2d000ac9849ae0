"""The ``transit`` KEK provider: data keys wrapped by an OpenBao / HashiCorp Vault transit key.

The KEK never leaves the server: each wrap is ``POST /v1/<mount>/encrypt/<key>`` and each
unwrap ``POST /v1/<mount>/decrypt/<key>``, with the row's associated data sent as transit's
``associated_data`` (the key is ``aes256-gcm96``, an AEAD type), so a wrapped data key moved
to another row does not decrypt. The server's own policies, audit log, HSM seal and HA apply
to every unwrap. ``rotate-key`` on a transit vault rotates the transit key and re-wraps every
data key under the new key version; a re-wrap of the whole vault uses transit's batch_input
(100 data keys a call: the server caps the strings in one JSON body).

Configuration: ``ONECLAW_TRANSIT_KEY`` (default ``oneclaw-kek``), ``ONECLAW_TRANSIT_MOUNT``
(default ``transit``), and the server's own variables ``BAO_ADDR``/``VAULT_ADDR``,
``BAO_TOKEN``/``VAULT_TOKEN`` or AppRole ``BAO_ROLE_ID``/``BAO_SECRET_ID`` (login and token
renewal are the OpenBao backend's :class:`BaoAuth`), ``BAO_NAMESPACE``, ``BAO_CACERT``. As for
that backend, a plain ``http://`` address is refused off loopback unless
``ONECLAW_BAO_ALLOW_HTTP=1``. The token is sent only as the ``X-Vault-Token`` header, never
shown; errors name the call that failed (unreachable, denied, no such key or mount, sealed).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ..backends._bao_http import BaoAuth
from ..errors import IntegrityError, InvalidArgument, NotAuthenticated
from ..network import is_loopback_url
from .base import INTEGRITY_MESSAGE, KekProvider, KekUnavailable

__all__ = ["DEFAULT_KEY_NAME", "TransitKek"]

DEFAULT_KEY_NAME = "oneclaw-kek"
_BATCH = 100  # data keys per batched call: OpenBao refuses JSON with more than ~1,000 strings
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,127}){0,7}")


def _first(env: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class TransitKek(KekProvider):
    """One transit key on one server, through one keep-alive ``httpx.Client``."""

    __slots__ = ("_addr", "_client", "_key", "_mount")
    kind = "transit"

    def __init__(
        self,
        addr: str,
        token: str | None,
        key: str,
        mount: str = "transit",
        *,
        role_id: str | None = None,
        secret_id: str | None = None,
        namespace: str = "",
        verify: str | bool = True,
        allow_http: bool = False,
        create: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if _NAME.fullmatch(key) is None:
            raise KekUnavailable("ONECLAW_TRANSIT_KEY must be a transit key name (letters, digits, _ . -).")
        if _MOUNT.fullmatch(mount) is None:
            raise KekUnavailable("ONECLAW_TRANSIT_MOUNT must be a mount path (letters, digits, _ . - and /).")
        if not addr.startswith(("http://", "https://")):
            raise KekUnavailable(
                "BAO_ADDR (or VAULT_ADDR) must start with https:// (or http:// on loopback)."
            )
        if addr.startswith("http://") and not allow_http and not is_loopback_url(addr):
            raise KekUnavailable(
                "the transit server address must use https:// (plain http:// would send the token and every "
                "data key in clear text; it is accepted toward 127.0.0.1, ::1 or localhost, or with "
                "ONECLAW_BAO_ALLOW_HTTP=1)."
            )
        self._addr = addr.rstrip("/")
        self._key = key
        self._mount = mount
        try:  # the OpenBao backend's auth: the token, or AppRole login and renewal
            auth = BaoAuth(token=token or None, role_id=role_id, secret_id=secret_id)
        except InvalidArgument:
            raise KekUnavailable(
                "the transit key-encryption key needs BAO_TOKEN (or VAULT_TOKEN), or BAO_ROLE_ID and "
                "BAO_SECRET_ID for AppRole; none is set."
            ) from None
        headers = {"X-Vault-Request": "true"}
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        self._client = httpx.Client(
            base_url=self._addr, headers=headers, timeout=httpx.Timeout(10.0, connect=5.0), auth=auth,
            verify=verify, transport=transport, follow_redirects=False, trust_env=False,
        )  # fmt: skip
        try:
            self._check_key(create=create)
        except BaseException:
            self._client.close()
            raise

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], record: Mapping[str, str] | None, *, create: bool
    ) -> TransitKek:
        """Server and credentials from BAO_*/VAULT_*; key name and mount from the vault's record if any."""
        addr = _first(env, "BAO_ADDR", "VAULT_ADDR")
        if not addr:
            raise KekUnavailable(
                "the transit key-encryption key needs BAO_ADDR (or VAULT_ADDR); it is not set."
            )
        key, mount = cls.names_from_env(env)
        if record:
            key, mount = record.get("key") or key, record.get("mount") or mount
        cacert = _first(env, "BAO_CACERT", "VAULT_CACERT")
        return cls(
            addr, _first(env, "BAO_TOKEN", "VAULT_TOKEN") or None, key, mount,
            role_id=_first(env, "BAO_ROLE_ID", "VAULT_ROLE_ID") or None,
            secret_id=_first(env, "BAO_SECRET_ID", "VAULT_SECRET_ID") or None,
            namespace=_first(env, "BAO_NAMESPACE", "VAULT_NAMESPACE"), verify=cacert or True,
            allow_http=env.get("ONECLAW_BAO_ALLOW_HTTP") == "1", create=create,
        )  # fmt: skip

    @staticmethod
    def names_from_env(env: Mapping[str, str]) -> tuple[str, str]:
        """(key name, mount) a new transit provider would use."""
        key = env.get("ONECLAW_TRANSIT_KEY") or DEFAULT_KEY_NAME
        return key, env.get("ONECLAW_TRANSIT_MOUNT") or "transit"

    # -- calls --------------------------------------------------------------------------
    def _call(self, method: str, what: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        url = f"/v1/{self._mount}/{path}"
        for attempt in (1, 2):
            try:
                return self._client.request(method, url, json=body)
            except httpx.ConnectError:
                if attempt == 2:  # a refused connection sent nothing: one retry is safe
                    raise KekUnavailable(
                        f"the transit server at {self._addr} could not be reached."
                    ) from None
            except NotAuthenticated:
                raise KekUnavailable(
                    "the transit server refused the AppRole login, or the token can no longer be renewed "
                    "(BAO_ROLE_ID/BAO_SECRET_ID, BAO_TOKEN)."
                ) from None
            except httpx.HTTPError:
                raise KekUnavailable(
                    f"the transit call '{what}' to {self._addr} failed in transit."
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _errors(self, response: httpx.Response) -> list[str]:
        try:
            errors = response.json().get("errors") or []
        except (ValueError, AttributeError):
            return []
        return [str(e) for e in errors if isinstance(e, str)]

    def _fail(self, what: str, response: httpx.Response) -> KekUnavailable:
        status = response.status_code
        errors = " ".join(self._errors(response)).lower()
        where = (
            f"{self._mount}/{what}/{self._key}" if what in ("encrypt", "decrypt") else f"{self._mount}/{what}"
        )
        if status in (401, 403):
            return KekUnavailable(
                f"the transit call '{where}' was denied (HTTP {status}): the token (BAO_TOKEN/VAULT_TOKEN) "
                "is invalid, expired or its policy does not allow it."
            )
        if "encryption key not found" in errors or (status == 404 and what.startswith("keys")):
            return KekUnavailable(f"the transit key '{self._key}' does not exist on mount '{self._mount}'.")
        if status == 404 or "no handler for route" in errors:
            return KekUnavailable(f"no transit engine is mounted at '{self._mount}' (ONECLAW_TRANSIT_MOUNT).")
        if status == 503:
            return KekUnavailable(f"the transit server at {self._addr} is sealed or unavailable (HTTP 503).")
        return KekUnavailable(f"the transit call '{where}' failed (HTTP {status}).")

    def _check_key(self, *, create: bool) -> None:
        """The key exists and is an AEAD type; made when ``create``. A token that may only
        encrypt and decrypt (least privilege, no read of the key) skips the check when opening
        an existing vault: its first unwrap says whether the key is there."""
        response = self._call("GET", "keys", f"keys/{self._key}")
        if response.status_code == 403 and not create:
            return
        if response.status_code == 404 and create and "no handler" not in " ".join(self._errors(response)):
            made = self._call("POST", "keys", f"keys/{self._key}", {"type": "aes256-gcm96"})
            if made.status_code not in (200, 204):
                raise self._fail("keys", made)
            response = self._call("GET", "keys", f"keys/{self._key}")
        if response.status_code != 200:
            raise self._fail("keys", response)
        key_type = (response.json().get("data") or {}).get("type")
        if key_type not in ("aes256-gcm96", "aes128-gcm96", "chacha20-poly1305"):
            raise KekUnavailable(
                f"the transit key '{self._key}' is of type {key_type!r}; a key-encryption key must be "
                "aes256-gcm96 (an AEAD type)."
            )

    # -- the interface ------------------------------------------------------------------
    @property
    def ids(self) -> tuple[str, ...]:
        return (f"t-{self._mount}/{self._key}",)

    def wrap(self, kek_id: str, dek: bytes, aad: bytes) -> bytes:
        self._require_id(kek_id)
        body = {"plaintext": _b64(dek), "associated_data": _b64(aad)}
        response = self._call("POST", "encrypt", f"encrypt/{self._key}", body)
        if response.status_code != 200:
            raise self._fail("encrypt", response)
        ciphertext = (response.json().get("data") or {}).get("ciphertext")
        if not isinstance(ciphertext, str) or not ciphertext.startswith("vault:v"):
            raise KekUnavailable("the transit server answered encrypt without a ciphertext.")
        return ciphertext.encode("ascii")

    def unwrap(self, kek_id: str, wrapped: bytes, aad: bytes) -> bytes:
        self._require_id(kek_id)
        try:
            ciphertext = wrapped.decode("ascii")
        except UnicodeDecodeError:
            raise IntegrityError(INTEGRITY_MESSAGE) from None
        if not ciphertext.startswith("vault:v"):
            raise IntegrityError(INTEGRITY_MESSAGE)
        body = {"ciphertext": ciphertext, "associated_data": _b64(aad)}
        response = self._call("POST", "decrypt", f"decrypt/{self._key}", body)
        if response.status_code == 400 and "encryption key not found" not in " ".join(self._errors(response)):
            raise IntegrityError(INTEGRITY_MESSAGE)  # authentication failed, or not our ciphertext
        if response.status_code != 200:
            raise self._fail("decrypt", response)
        try:
            return base64.b64decode((response.json().get("data") or {}).get("plaintext") or "", validate=True)
        except (ValueError, TypeError):
            raise IntegrityError(INTEGRITY_MESSAGE) from None

    def wrap_many(self, kek_id: str, items: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        self._require_id(kek_id)
        out: list[bytes] = []
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            batch = [{"plaintext": _b64(dek), "associated_data": _b64(aad)} for dek, aad in chunk]
            results = self._batch("encrypt", batch)
            for item in results:
                ciphertext = item.get("ciphertext")
                if (
                    item.get("error")
                    or not isinstance(ciphertext, str)
                    or not ciphertext.startswith("vault:v")
                ):
                    raise KekUnavailable("the transit server refused to encrypt a data key in a batch.")
                out.append(ciphertext.encode("ascii"))
        return out

    def unwrap_many(self, items: Sequence[tuple[str, bytes, bytes]]) -> list[bytes]:
        out: list[bytes] = []
        for start in range(0, len(items), _BATCH):
            chunk = items[start : start + _BATCH]
            batch: list[dict[str, str]] = []
            for kek_id, wrapped, aad in chunk:
                self._require_id(kek_id)
                if not wrapped.startswith(b"vault:v"):
                    raise IntegrityError(INTEGRITY_MESSAGE)
                batch.append({"ciphertext": wrapped.decode("ascii", "replace"), "associated_data": _b64(aad)})
            for item in self._batch("decrypt", batch):
                if item.get("error"):
                    raise IntegrityError(INTEGRITY_MESSAGE)
                try:
                    out.append(base64.b64decode(item.get("plaintext") or "", validate=True))
                except (ValueError, TypeError):
                    raise IntegrityError(INTEGRITY_MESSAGE) from None
        return out

    def _batch(self, op: str, batch: list[dict[str, str]]) -> list[dict[str, Any]]:
        response = self._call("POST", op, f"{op}/{self._key}", {"batch_input": batch})
        try:
            results = (response.json().get("data") or {}).get("batch_results")
        except (ValueError, AttributeError):
            results = None
        if response.status_code == 400 and isinstance(results, list) and op == "decrypt":
            raise IntegrityError(INTEGRITY_MESSAGE)  # an item failed authentication
        if response.status_code != 200:
            raise self._fail(op, response)
        if not isinstance(results, list) or len(results) != len(batch):
            raise KekUnavailable(
                f"the transit server answered a batched {op} with the wrong number of results."
            )
        return [r if isinstance(r, dict) else {"error": "bad item"} for r in results]

    def rotate(self) -> None:
        """Add a new version of the transit key; new wraps use it, old ones still unwrap."""
        response = self._call("POST", "keys", f"keys/{self._key}/rotate")
        if response.status_code not in (200, 204):
            raise self._fail(f"keys/{self._key}/rotate", response)

    def describe(self) -> dict[str, str]:
        return {"kind": "transit", "mount": self._mount, "key": self._key}

    def close(self) -> None:
        self._client.close()
