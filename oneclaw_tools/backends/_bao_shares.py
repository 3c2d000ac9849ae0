"""1Claw shares on OpenBao / Vault (policies are in :mod:`._bao_policies`).

A share is a Vault token of its own, so Vault enforces it: the backend writes an ACL policy
``oneclaw-share-<id>`` that can only read the share's record and the one shared secret, and
issues, through the token role ``oneclaw-share`` (created on first use: orphan tokens, no
default policy, not renewable), a token with that policy whose TTL ends at the share's
``expires_at`` and whose ``num_uses`` is three per allowed access (an access is exactly three
reads: the record, the key's metadata, the version). The link ``oneclaw://share/<id>#<token>``
carries the token; the record keeps only its accessor. Revoking revokes the token and deletes
the policy, so even a copied link is dead at once. Opening a link uses nothing but the link's
token; when Vault refuses it, the backend's own token reads the record to say why (revoked:
404; expired or used up: 410). A share made out to a user or an agent can also be opened by id
alone by that recipient once accepted (counted on the record by check-and-set).

A share with a passphrase carries its token sealed (AES-256-GCM under a scrypt key of the
passphrase, bound to the share id): the link alone opens nothing and is no Vault token; a
missing or wrong passphrase is 403. A share access also counts against the secret's own
``max_access_count``, with the opening backend's token (which must be allowed to count it).
"""

from __future__ import annotations

import contextlib
import math
import re
import uuid
from datetime import datetime
from typing import Any, Unpack

from .. import crypto
from ..errors import Gone, InvalidArgument, NotAuthenticated, NotFound, OneClawError, PermissionDenied
from ..models import Secret, SecretValue, ShareInfo
from ..validation import (
    parse_datetime,
    validate_path,
)
from ._bao_core import BaoCore, check_vault_id, iso, version_attrs
from ._bao_http import BaoAuth, BaoClient
from ._bao_kv import KV
from ._bao_seal import open_token, seal_token
from ._local_core import check_id, check_text
from ._share_rules import check_share_options
from .base import ShareOptions, complete_options

__all__ = ["SharesMixin"]

_ROLE = "oneclaw-share"
_LINK = re.compile(r"(?:oneclaw://share/)?([0-9a-f-]{36})(?:#([A-Za-z0-9._\-]{8,256}))?")
_USES_PER_ACCESS = 3


def _parse(text: object) -> datetime | None:
    return parse_datetime(text) if isinstance(text, str) and text else None


class SharesMixin(BaoCore):
    client: BaoClient

    # -- shares -------------------------------------------------------------------------
    def create_share(self, vault_id: str, path: str, **options: Unpack[ShareOptions]) -> ShareInfo:
        o = complete_options(ShareOptions, "create_share", options)
        vault_id, path = check_vault_id(vault_id), validate_path(path)
        share = check_share_options(o, creator=(self._principal.type, self._principal.id), now=self._now())
        expires, max_access, passphrase = share.expires_at, share.max_access_count, share.passphrase
        if share.recipient_type == "external_email" and self._principal.type == "agent":
            self._deny(vault_id, path, "agents cannot share with an e-mail address (1Claw blocks it).")
        self._require(vault_id, "read", path)
        self._live_meta(vault_id, path)
        share_id = str(uuid.uuid4())
        policy = f"{_ROLE}-{share_id}"
        self._ensure_role()
        self.client.request("PUT", f"sys/policies/acl/{policy}", json={"policy": self._hcl(vault_id, path, share_id)},
                            what="creating a share", idempotent=True)  # fmt: skip
        try:
            seconds = max(1, math.ceil((expires - self._now()).total_seconds()))
            ttl = f"{seconds}s"
            body = self.client.request(
                "POST", f"auth/token/create/{_ROLE}", what="creating a share", json={
                    "policies": [policy], "ttl": ttl, "explicit_max_ttl": ttl, "no_default_policy": True,
                    "num_uses": max_access * _USES_PER_ACCESS, "display_name": "oneclaw-share",
                    "meta": {"share_id": share_id}, "renewable": False,
                },
            )  # fmt: skip
            assert body is not None
            token, accessor = str(body["auth"]["client_token"]), str(body["auth"]["accessor"])
            granted = int(body["auth"].get("lease_duration") or 0)
            if granted < seconds - 1:  # the server caps token TTLs: the share would die early
                self.client.request("POST", "auth/token/revoke-accessor", json={"accessor": accessor},
                                    what="cleaning up a share", idempotent=True)  # fmt: skip
                raise InvalidArgument(
                    "expires_at", f"must be at most {granted // 86400} days ahead on this vault server "
                    f"(its longest token TTL is {granted} seconds)",
                )  # fmt: skip
            record = {
                "vault_id": vault_id, "path": path, "recipient_type": share.recipient_type,
                "recipient_id": share.recipient_id, "email": share.email, "expires_at": iso(expires), "max_access_count": max_access, "access_count": 0,
                "accessor": accessor, "created_by": str(self._principal), "created_at": iso(self._now()),
                "accepted": False, "declined": False, "revoked": False,
                "passphrase": None if passphrase is None else crypto.hash_passphrase(passphrase).hex(),
            }  # fmt: skip
            self._kv.write_version(self._share_key(share_id), record, 0, what="creating a share")
        except OneClawError:
            self.client.request(
                "DELETE", f"sys/policies/acl/{policy}", what="cleaning up a share", idempotent=True
            )
            raise
        if passphrase is not None:
            token = seal_token(token, passphrase, share_id)
        return self._share_info(share_id, record, url=SecretValue(f"oneclaw://share/{share_id}#{token}"))

    def _ensure_role(self) -> None:
        if self.client.request(
            "GET", f"auth/token/roles/{_ROLE}", what="reading the share role", missing_ok=True
        ):
            return
        self.client.request(
            "POST", f"auth/token/roles/{_ROLE}", what="creating the share role", json={
                "allowed_policies_glob": [f"{_ROLE}-*"], "orphan": True, "renewable": False,
                "token_no_default_policy": True, "token_type": "service",
            },
        )  # fmt: skip

    def _hcl(self, vault_id: str, path: str, share_id: str) -> str:
        m, secret = self._kv.mount, self._secret_key(vault_id, path)
        paths = (f"{m}/data/{self._share_key(share_id)}", f"{m}/metadata/{secret}", f"{m}/data/{secret}")
        return "\n".join(f'path "{p}" {{ capabilities = ["read"] }}' for p in paths)

    def access_share(self, share_id: str, passphrase: str | None = None) -> Secret:
        """Open a share by its link (Vault enforces it), or by id as its accepted recipient."""
        match = _LINK.fullmatch(share_id.strip()) if isinstance(share_id, str) else None
        if match is None:
            raise InvalidArgument("share_id", "must be a share id or a share link")
        if passphrase is not None:
            check_text(passphrase, "passphrase", max_len=1024, allow_empty=False)
        sid, token = match.group(1), match.group(2)
        if token is None:
            return self._access_as_recipient(sid, passphrase)
        if token.startswith("p."):
            token = open_token(token, passphrase, sid)
        link = self.client.with_auth(BaoAuth(token=token, lookup=False))
        try:
            kv = KV(link, self._kv.mount)
            record, _ = kv.read_doc(self._share_key(sid), what="opening a share")
            self._check_share(record)
            vault_id, path = str(record["vault_id"]), str(record["path"])
            meta = kv.metadata(self._secret_key(vault_id, path), what="opening a share")
            marker = self._marker(meta.custom) if meta is not None else 0
            live = [v for v, dead in (meta.deleted if meta else {}).items() if v > marker and not dead]
            if meta is None or marker >= meta.current or not live:
                raise Gone("the shared secret was deleted or every version is disabled.")
            got = kv.read(self._secret_key(vault_id, path), max(live), what="opening a share")
        except (PermissionDenied, NotAuthenticated):
            self._why_refused(sid)
            raise
        finally:
            link.close()
        if got is None or got.data is None:
            raise Gone("the shared version was disabled meanwhile.")
        attrs = version_attrs(got)
        self._check_expiry(path, attrs)
        used = self._count_share_access(vault_id, path, got.version, attrs)
        meta_out = self._meta(
            vault_id, path, got.version, attrs, created_at=got.created_at, access_count=used
        )
        return Secret(meta_out, SecretValue(str(got.data.get("value", ""))))

    def _count_share_access(self, vault_id: str, path: str, version: int, attrs: dict[str, Any]) -> int:
        """A share access counts against the secret's own limit, with this backend's token."""
        limit = int(attrs.get("max_access_count") or 0)
        if not limit:
            return 0
        try:
            return self._count(vault_id, path, version, limit, take=True)
        except (PermissionDenied, NotAuthenticated):
            raise PermissionDenied(
                "the shared secret has an access limit that this backend's token cannot count.",
                action="Ask the operator for a token that may count accesses, or a share of an unlimited secret.",
            ) from None

    def _check_share(self, record: dict[str, Any]) -> None:
        if not record or record.get("revoked"):
            raise NotFound("share not found (unknown or revoked).", action="Ask the sender for a new share.")
        if record.get("declined"):
            raise Gone("the share was declined.")
        expires = _parse(record.get("expires_at"))
        if expires is None or expires <= self._now():
            raise Gone("the share has expired.")

    def _why_refused(self, share_id: str) -> None:
        """Vault refused the link's token: say why from the record, if this token may read it."""
        try:
            record, _ = self._kv.read_doc(self._share_key(share_id), what="reading a share")
        except OneClawError:
            raise Gone("the share expired, was used up or was revoked.") from None
        expires = _parse(record.get("expires_at")) if record else None
        if record and not record.get("revoked") and expires is not None and expires <= self._now():
            with contextlib.suppress(OneClawError):  # a dead share's policy goes (never a live one's)
                self.client.request("DELETE", f"sys/policies/acl/{_ROLE}-{share_id}", what="cleaning up a share",
                                    idempotent=True)  # fmt: skip
        self._check_share(record)
        raise Gone("the share link is used up (or is not this share's link).")

    def _access_as_recipient(self, share_id: str, passphrase: str | None) -> Secret:
        p = self._principal

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
            self._check_share(doc)
            if (doc.get("recipient_type"), doc.get("recipient_id")) != (p.type, p.id):
                raise PermissionDenied("open this share with its link, or as its recipient.")
            if not doc.get("accepted"):
                raise PermissionDenied(
                    "accept the share before opening it.", action="Call accept_share first."
                )
            stored = doc.get("passphrase")
            if stored and (
                passphrase is None or not crypto.verify_passphrase(passphrase, bytes.fromhex(stored))
            ):
                raise PermissionDenied(
                    "the share needs its passphrase.", action="Ask the sender for the passphrase."
                )
            used, limit = int(doc.get("access_count") or 0), int(doc.get("max_access_count") or 0)
            if limit and used >= limit:
                raise Gone("the share has reached its maximum access count.")
            return {**doc, "access_count": used + 1}, doc

        record = self._kv.update_doc(self._share_key(share_id), change, what="opening a share")
        vault_id, path = str(record["vault_id"]), str(record["path"])
        got = self._latest(vault_id, path)
        attrs = version_attrs(got)
        self._check_expiry(path, attrs)
        used = self._count_share_access(vault_id, path, got.version, attrs)
        value = str((got.data or {}).get("value", ""))
        meta = self._meta(vault_id, path, got.version, attrs, created_at=got.created_at, access_count=used)
        return Secret(meta, SecretValue(value))

    def accept_share(self, share_id: str) -> None:
        self._answer(share_id, accepted=True)

    def decline_share(self, share_id: str) -> None:
        self._answer(share_id, accepted=False)

    def _answer(self, share_id: str, *, accepted: bool) -> None:
        share_id = check_id(share_id, "share_id")
        p = self._principal

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, None]:
            if not doc or doc.get("revoked"):
                raise NotFound("share not found (unknown or revoked).")
            if (doc.get("recipient_type"), doc.get("recipient_id")) != (p.type, p.id):
                raise PermissionDenied("only the share's recipient may answer it.")
            return {**doc, "accepted": accepted, "declined": not accepted}, None

        self._kv.update_doc(self._share_key(share_id), change, what="answering a share")

    def revoke_share(self, share_id: str) -> None:
        share_id = check_id(share_id, "share_id")
        p = self._principal

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
            if not doc or doc.get("revoked"):
                raise NotFound("share not found (unknown or revoked).")
            if not (p.is_owner or doc.get("created_by") == str(p)):
                raise PermissionDenied("only the share's creator may revoke it.")
            return {**doc, "revoked": True}, doc

        record = self._kv.update_doc(self._share_key(share_id), change, what="revoking a share")
        with contextlib.suppress(InvalidArgument):  # 400: the token is gone already (expired, used up)
            self.client.request("POST", "auth/token/revoke-accessor", json={"accessor": record.get("accessor")},
                                what="revoking a share", missing_ok=True, idempotent=True)  # fmt: skip
        self.client.request(
            "DELETE", f"sys/policies/acl/{_ROLE}-{share_id}", what="revoking a share", idempotent=True
        )

    def _shares(self, keep: Any) -> list[ShareInfo]:
        folder = f"{self._prefix}/shares"
        out = []
        for sid in self._kv.names(folder, what="listing shares"):
            record, _ = self._kv.read_doc(f"{folder}/{sid}", what="listing shares")
            if record and not record.get("revoked") and keep(record):
                out.append(self._share_info(sid, record))
        return sorted(out, key=lambda s: (str(s.created_at), s.id))

    def list_inbound_shares(self) -> list[ShareInfo]:
        p = self._principal
        return self._shares(lambda r: (r.get("recipient_type"), r.get("recipient_id")) == (p.type, p.id))

    def list_outbound_shares(self) -> list[ShareInfo]:
        return self._shares(lambda r: r.get("created_by") == str(self._principal))

    @staticmethod
    def _share_info(share_id: str, r: dict[str, Any], url: SecretValue | None = None) -> ShareInfo:
        return ShareInfo(
            id=share_id, secret_id=f"{r.get('vault_id')}:{r.get('path')}", vault_id=str(r.get("vault_id")),
            path=str(r.get("path")), recipient_type=str(r.get("recipient_type")),
            expires_at=_parse(r.get("expires_at")), share_url=url, recipient_id=r.get("recipient_id"),
            email=r.get("email"), max_access_count=int(r.get("max_access_count") or 0),
            access_count=int(r.get("access_count") or 0), created_by=str(r.get("created_by") or ""),
            created_at=_parse(r.get("created_at")), is_accepted=bool(r.get("accepted")),
            is_revoked=bool(r.get("revoked")),
        )  # fmt: skip
