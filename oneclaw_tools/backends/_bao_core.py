"""Where the OpenBao backend keeps 1Claw's state in KV v2, and the checks every operation shares.

Layout under the KV v2 mount (``ONECLAW_KV_MOUNT``, default ``secret``) and the prefix
(default ``oneclaw``); a 1Claw vault is a folder named by its id::

    <prefix>/vaults                      document: every vault (id, name, description, creator)
    <prefix>/v/<vault_id>/s/<path>       the secret: KV version n is 1Claw version n
    <prefix>/v/<vault_id>/n/<path>       document: access counts of versions with a limit
    <prefix>/v/<vault_id>/policies       document: the vault's 1Claw policies
    <prefix>/shares/<share_id>           document: a share's record (never its token)
    <prefix>/audit/<time>-<random>       one session-level audit event

A secret version's data is ``{"value": ..., "oneclaw": {type, metadata, expires_at,
max_access_count, created_by}}``: the 1Claw attributes of a version are written in the same
check-and-set write as its value, so they can never disagree. (KV's ``custom_metadata`` is
per key, not per version, has no check-and-set and holds at most 64 strings of 512 bytes,
so it carries only per-key state: ``oneclaw_deleted_through`` = the last version removed by a
1Claw delete, and ``oneclaw_disabled_<n>`` = the attributes of a disabled version, whose data
Vault no longer returns.) A disabled version is a version deleted with Vault's own soft
delete; a 1Claw delete soft-deletes every version and records the marker, so an operator can
undo either with ``bao kv undelete`` (and removing the marker).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from ..errors import Gone, InvalidArgument, NotFound, PermissionDenied
from ..models import AuditEvent, PolicyInfo, Principal, SecretMeta, SecretValue
from ..validation import glob_match, parse_datetime
from ._bao_kv import KV, KeyMeta, Stored

__all__ = ["DELETED", "DISABLED", "BaoCore", "check_vault_id", "iso", "policy_from", "version_attrs"]

DELETED = "oneclaw_deleted_through"
DISABLED = "oneclaw_disabled_"
_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_GRANTED_BY: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"write"}),
    "delete": frozenset({"delete", "write"}),
    "rotate": frozenset({"rotate", "write"}),
}


def check_vault_id(value: object, argument: str = "vault_id") -> str:
    if not isinstance(value, str) or _ID.fullmatch(value) is None:
        raise InvalidArgument(argument, "must be an id of 1-64 letters, digits, '-' or '_'")
    return value


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(text: object) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if isinstance(text, str) and text else None


def version_attrs(stored: Stored | None, meta: KeyMeta | None = None, version: int = 0) -> dict[str, Any]:
    """The 1Claw attributes of a version, from its data or, once disabled, from the key's stash."""
    if stored is not None and stored.data is not None:
        attrs = stored.data.get("oneclaw")
        return attrs if isinstance(attrs, dict) else {}
    custom = meta.custom if meta is not None else (stored.custom if stored is not None else {})
    try:
        stash = json.loads(custom.get(f"{DISABLED}{version}", "{}"))
    except ValueError:
        stash = {}
    return stash if isinstance(stash, dict) else {}


class BaoCore:
    """KV locations, principal checks and metadata building for :class:`OpenBaoVault`."""

    _kv: KV
    _prefix: str
    _principal: Principal
    _clock: Callable[[], datetime]

    @property
    def principal(self) -> Principal:
        return self._principal

    def _now(self) -> datetime:
        return self._clock()

    # -- locations ----------------------------------------------------------------------
    def _registry_key(self) -> str:
        return f"{self._prefix}/vaults"

    def _secret_key(self, vault_id: str, path: str) -> str:
        return f"{self._prefix}/v/{vault_id}/s/{path}"

    def _count_key(self, vault_id: str, path: str) -> str:
        return f"{self._prefix}/v/{vault_id}/n/{path}"

    def _policies_key(self, vault_id: str) -> str:
        return f"{self._prefix}/v/{vault_id}/policies"

    def _share_key(self, share_id: str) -> str:
        return f"{self._prefix}/shares/{share_id}"

    # -- vaults and access --------------------------------------------------------------
    def _vaults(self) -> dict[str, dict[str, Any]]:
        doc, _ = self._kv.read_doc(self._registry_key(), what="reading the vault registry")
        vaults = doc.get("vaults")
        return vaults if isinstance(vaults, dict) else {}

    def _vault(self, vault_id: str) -> dict[str, Any]:
        vault = self._vaults().get(vault_id)
        if vault is None:
            raise NotFound("vault not found.", action="Check the vault id with list_vaults.")
        return vault

    def resolve_vault(self, name_or_id: str) -> str:
        """A vault id from an id or a name (for the command line)."""
        if not isinstance(name_or_id, str) or not name_or_id:
            raise InvalidArgument("vault", "must be a vault id or name")
        vaults = self._vaults()
        if name_or_id in vaults:
            return name_or_id
        for vault_id, vault in vaults.items():
            if vault.get("name") == name_or_id:
                return vault_id
        raise NotFound("vault not found.", action="Check the name with list_vaults.")

    def export_latest_unsafe(self, vault_id: str | None = None) -> Iterator[tuple[str, SecretValue]]:
        """Every live path's latest readable value, WITHOUT counting an access (owner only).

        For the operator's ``scrub`` command, which must know every value to find it in logs;
        expired and used-up secrets are included. The export is audited.
        """
        if not self._principal.is_owner:
            raise PermissionDenied("only the vault owner may export values.")
        vault_ids = [check_vault_id(vault_id)] if vault_id is not None else sorted(self._vaults())
        self.record_audit(AuditEvent(ts=self._now(), principal=str(self._principal), action="export_latest_unsafe",
                                     vault_id=vault_id, detail="values exported for scrubbing"))  # fmt: skip
        for vid in vault_ids:
            base = f"{self._prefix}/v/{vid}/s"
            for path in sorted(self._kv.walk(base, what="exporting values")):
                try:
                    got = self._latest(vid, path)
                except (Gone, NotFound):
                    continue
                if got.data is not None:
                    yield path, SecretValue(str(got.data.get("value", "")))

    def _is_admin(self, vault: dict[str, Any]) -> bool:
        return self._principal.is_owner or vault.get("created_by") == str(self._principal)

    def _policies(self, vault_id: str) -> list[PolicyInfo]:
        doc, _ = self._kv.read_doc(self._policies_key(vault_id), what="reading the vault's policies")
        raw = doc.get("policies")
        return [policy_from(vault_id, pid, p) for pid, p in (raw if isinstance(raw, dict) else {}).items()]

    def _grants(self, vault_id: str) -> list[tuple[str, frozenset[str]]]:
        p, now = self._principal, self._now()
        return [
            (pol.secret_path_pattern, frozenset(pol.permissions))
            for pol in self._policies(vault_id)
            if (pol.principal_type, pol.principal_id) == (p.type, p.id)
            and (pol.expires_at is None or pol.expires_at > now)
        ]

    def _require(self, vault_id: str, perm: str, path: str | None) -> None:
        """Owner: Vault's ACL alone decides. Anyone else: the vault binding and 1Claw policies."""
        p = self._principal
        if p.is_owner:
            return
        if p.vault_ids is not None and vault_id not in p.vault_ids:
            self._deny(vault_id, path, "that vault is outside this agent's vaults.")
        vault = self._vault(vault_id)
        if self._is_admin(vault):
            return
        for pattern, perms in self._grants(vault_id):
            if perms & _GRANTED_BY[perm] and (path is None or glob_match(pattern, path)):
                return
        self._deny(vault_id, path, f"no policy grants '{perm}' on that path.")

    def _readable(self, vault_id: str) -> Callable[[str], bool]:
        if self._principal.is_owner or self._is_admin(self._vault(vault_id)):
            return lambda _path: True
        patterns = [pat for pat, perms in self._grants(vault_id) if "read" in perms]
        return lambda path: any(glob_match(pat, path) for pat in patterns)

    def _deny(self, vault_id: str, path: str | None, why: str) -> None:
        self.record_audit(
            AuditEvent(ts=self._now(), principal=str(self._principal), action="access", outcome="denied",
                       vault_id=vault_id, path=path, detail=why)
        )  # fmt: skip
        raise PermissionDenied(why)

    def record_audit(self, event: AuditEvent) -> None:
        """Store a session-level event (Vault's audit devices record every request already)."""
        if not isinstance(event, AuditEvent):
            raise InvalidArgument("event", "must be an AuditEvent")
        stamp = event.ts.strftime("%Y%m%dT%H%M%S%f")
        key = f"{self._prefix}/audit/{stamp}-{secrets.token_hex(4)}"
        self._kv.write_version(
            key, {k: v for k, v in event.to_dict().items() if k != "id"}, 0, what="auditing"
        )

    def audit_events(self, limit: int = 100) -> list[AuditEvent]:
        """The newest ``limit`` session-level events, oldest first; a non-owner sees its own."""
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidArgument("limit", "must be a whole number of at least 1")
        folder = f"{self._prefix}/audit"
        names = sorted(self._kv.names(folder, what="reading the audit log"))
        events: list[AuditEvent] = []
        for name in reversed(names):
            if len(events) >= limit:
                break
            doc, _ = self._kv.read_doc(f"{folder}/{name}", what="reading the audit log")
            if not doc or (not self._principal.is_owner and doc.get("principal") != str(self._principal)):
                continue
            events.append(AuditEvent(
                ts=parse_datetime(doc.get("ts")) or self._now(), principal=str(doc.get("principal")),
                action=str(doc.get("action")), outcome=str(doc.get("outcome") or "ok"), vault_id=doc.get("vault_id"),
                path=doc.get("path"), version=doc.get("version"), tool=doc.get("tool"), detail=doc.get("detail"),
            ))  # fmt: skip
        return list(reversed(events))

    # -- secrets ------------------------------------------------------------------------
    @staticmethod
    def _marker(custom: dict[str, str]) -> int:
        try:
            return int(custom.get(DELETED, "0"))
        except ValueError:
            return 0

    def _live_meta(self, vault_id: str, path: str) -> KeyMeta:
        """The key's metadata; NotFound if it never existed, Gone if 1Claw-deleted."""
        meta = self._kv.metadata(self._secret_key(vault_id, path), what=f"reading '{path}'")
        if meta is None or meta.current == 0:
            raise NotFound(f"no secret at '{path}'.")
        if self._marker(meta.custom) >= meta.current:
            raise Gone(f"the secret '{path}' was deleted.")
        return meta

    def _latest(self, vault_id: str, path: str) -> Stored:
        """The newest readable version; NotFound, or Gone (deleted, every version disabled)."""
        key, what = self._secret_key(vault_id, path), f"reading '{path}'"
        got = self._kv.read(key, what=what)
        if got is not None and got.data is not None and got.version > self._marker(got.custom):
            return got
        meta = self._live_meta(vault_id, path)
        marker = self._marker(meta.custom)
        readable = [v for v, dead in meta.deleted.items() if v > marker and not dead]
        got = self._kv.read(key, max(readable), what=what) if readable else None
        if got is None or got.data is None:
            raise Gone(f"every version of '{path}' is disabled.")
        return got

    def _meta(
        self, vault_id: str, path: str, version: int, attrs: dict[str, Any], *,
        created_at: datetime | None, access_count: int = 0, disabled: bool = False,
    ) -> SecretMeta:  # fmt: skip
        metadata = attrs.get("metadata")
        return SecretMeta(
            id=f"{vault_id}:{path}", vault_id=vault_id, path=path, type=str(attrs.get("type") or "generic"),
            version=version, metadata=metadata if isinstance(metadata, dict) else {}, created_at=created_at,
            expires_at=_parse(attrs.get("expires_at")), max_access_count=int(attrs.get("max_access_count") or 0),
            access_count=access_count, is_disabled=disabled, created_by=str(attrs.get("created_by") or ""),
        )  # fmt: skip

    def _check_expiry(self, path: str, attrs: dict[str, Any]) -> None:
        expires = _parse(attrs.get("expires_at"))
        if expires is not None and expires <= self._now():
            raise Gone(f"the secret '{path}' has expired.")

    def _count(self, vault_id: str, path: str, version: int, limit: int, *, take: bool) -> int:
        """Accesses of a limited version so far (after taking one, when ``take``); Gone when used up."""
        key = self._count_key(vault_id, path)

        def change(doc: dict[str, Any]) -> tuple[dict[str, Any] | None, int]:
            used = int(doc.get(str(version)) or 0)
            if used >= limit:
                raise Gone(f"the secret '{path}' has reached its maximum access count.")
            return ({**doc, str(version): used + 1} if take else None), used + int(take)

        return self._kv.update_doc(key, change, what=f"counting an access of '{path}'")


def policy_from(vault_id: str, policy_id: str, raw: dict[str, Any]) -> PolicyInfo:
    return PolicyInfo(
        id=policy_id, vault_id=vault_id, principal_type=str(raw.get("principal_type")),
        principal_id=str(raw.get("principal_id")), secret_path_pattern=str(raw.get("pattern")),
        permissions=tuple(raw.get("permissions") or ()), created_by=str(raw.get("created_by") or ""),
        created_at=_parse(raw.get("created_at")), expires_at=_parse(raw.get("expires_at")),
    )  # fmt: skip


def iso(ts: datetime | None) -> str | None:
    return _iso(ts)
