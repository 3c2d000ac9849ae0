"""KV version 2 operations with check-and-set, made safe to repeat.

Every write the backend makes to KV is one of two kinds, and neither is repeated blindly:

* :meth:`KV.write_version` appends version ``cas + 1`` of a key, carrying a random write id
  in its data. If the outcome is unknown (connection lost, leader gone), the *identical*
  request is sent again: Vault accepts it only if version ``cas + 1`` does not exist yet,
  and if it does exist the write id read back tells whether it is ours. So each put lands
  exactly once, or fails with a clear error, even across a leader change.
* :meth:`KV.update_doc` changes a small JSON document (registry, policies, counters, share
  records) by read, modify, check-and-set write, retried on a lost race; the same write id
  read-back settles an unknown outcome.

Metadata patches, version deletes and listing are idempotent or read-only.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from ..errors import OutcomeUnknown, ServerError
from ._bao_http import BaoClient, CasMismatch

__all__ = ["KV", "KeyMeta", "Stored"]

T = TypeVar("T")
_WRITE_ID = "_w"
_MAX_RACES = 50


def _ts(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    text = text.rstrip("Z")
    head, _, frac = text.partition(".")
    return datetime.fromisoformat(f"{head}.{(frac + '000000')[:6]}+00:00" if frac else f"{head}+00:00")


@dataclass(frozen=True, slots=True)
class Stored:
    """One version as read: ``data`` is ``None`` when the version is deleted or destroyed."""

    version: int
    data: dict[str, Any] | None
    created_at: datetime | None
    custom: dict[str, str]


@dataclass(frozen=True, slots=True)
class KeyMeta:
    """A key's metadata: current version, each version's state, custom metadata."""

    current: int
    deleted: dict[int, bool] = field(default_factory=dict)  # version -> deleted or destroyed
    created: dict[int, datetime | None] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)


class KV:
    """KV v2 at ``mount`` through a :class:`BaoClient`."""

    def __init__(self, client: BaoClient, mount: str) -> None:
        self.client = client
        self.mount = mount
        self.resends = 0  # writes whose outcome was unknown and were resent identically

    def _url(self, kind: str, key: str) -> str:
        return f"{self.mount}/{kind}/{quote(key, safe='/')}"

    # -- reads --------------------------------------------------------------------------
    def read(self, key: str, version: int | None = None, *, what: str) -> Stored | None:
        """A version (the latest when ``version`` is None); ``None`` when it never existed."""
        params = None if version is None else {"version": str(version)}
        body = self.client.request("GET", self._url("data", key), params=params, what=what, missing_ok=True)
        if body is None:
            return None
        data = (body.get("missing") or body)["data"]
        meta = data.get("metadata") or {}
        if not meta.get("version"):
            return None
        return Stored(
            version=int(meta["version"]),
            data=data.get("data") if "missing" not in body else None,
            created_at=_ts(meta.get("created_time")),
            custom=dict(meta.get("custom_metadata") or {}),
        )

    def metadata(self, key: str, *, what: str) -> KeyMeta | None:
        body = self.client.request("GET", self._url("metadata", key), what=what, missing_ok=True)
        if body is None or "missing" in body:
            return None
        data = body["data"]
        versions = data.get("versions") or {}
        return KeyMeta(
            current=int(data.get("current_version") or 0),
            deleted={int(v): bool(s.get("deletion_time") or s.get("destroyed")) for v, s in versions.items()},
            created={int(v): _ts(s.get("created_time")) for v, s in versions.items()},
            custom=dict(data.get("custom_metadata") or {}),
        )

    def names(self, folder: str, *, what: str) -> list[str]:
        """Names directly under ``folder`` (sub-folders end with '/'); [] when empty."""
        url = self._url("metadata", folder.rstrip("/")) + "/"
        body = self.client.request("LIST", url, what=what, missing_ok=True)
        if body is None or "missing" in body:
            return []
        return [str(k) for k in body["data"].get("keys") or []]

    def walk(self, folder: str, *, what: str) -> list[str]:
        """Every key below ``folder``, relative to it, depth first."""
        out: list[str] = []
        stack = [""]
        while stack:
            sub = stack.pop()
            for name in self.names(folder.rstrip("/") + "/" + sub, what=what):
                if name.endswith("/"):
                    stack.append(sub + name)
                else:
                    out.append(sub + name)
        return out

    # -- writes -------------------------------------------------------------------------
    def _post_version(self, key: str, data: dict[str, Any], cas: int, what: str) -> int:
        body = self.client.request(
            "POST", self._url("data", key), json={"options": {"cas": cas}, "data": data}, what=what
        )
        assert body is not None
        return int(body["data"]["version"])

    def write_version(self, key: str, data: dict[str, Any], cas: int, *, what: str) -> int:
        """Write version ``cas + 1`` exactly once. :class:`CasMismatch` if another writer took it."""
        write_id = secrets.token_hex(12)
        data = {**data, _WRITE_ID: write_id}
        doubt = False
        for _ in range(4):
            try:
                return self._post_version(key, data, cas, what)
            except OutcomeUnknown:
                doubt = True
                self.resends += 1
                continue
            except CasMismatch:
                if doubt and self._landed(key, cas + 1, write_id, what):
                    return cas + 1
                raise
        if self._landed(key, cas + 1, write_id, what):
            return cas + 1
        raise OutcomeUnknown(f"{what}: the vault server did not confirm the write.")

    def _landed(self, key: str, version: int, write_id: str, what: str) -> bool:
        got = self.read(key, version, what=what)
        return got is not None and got.data is not None and got.data.get(_WRITE_ID) == write_id

    def read_doc(self, key: str, *, what: str) -> tuple[dict[str, Any], int]:
        """A JSON document and its version (``({}, 0)`` when it does not exist)."""
        got = self.read(key, what=what)
        if got is None:
            return {}, 0
        if got.data is None:  # deleted by hand: start again above its last version
            return {}, got.version
        return {k: v for k, v in got.data.items() if k != _WRITE_ID}, got.version

    def update_doc(
        self, key: str, change: Callable[[dict[str, Any]], tuple[dict[str, Any] | None, T]], *, what: str
    ) -> T:
        """Apply ``change(doc) -> (new doc or None for no write, result)`` atomically."""
        for _ in range(_MAX_RACES):
            doc, version = self.read_doc(key, what=what)
            new, result = change(doc)
            if new is None:
                return result
            try:
                self.write_version(key, new, version, what=what)
            except CasMismatch:
                continue
            return result
        raise ServerError(f"{what}: too many concurrent writers, try again.", status=503)

    def patch_custom(self, key: str, custom: dict[str, str | None], *, what: str) -> None:
        """Merge keys into the key's custom metadata (``None`` removes one)."""
        self.client.request(
            "PATCH", self._url("metadata", key), json={"custom_metadata": custom}, what=what,
            content_type="application/merge-patch+json", idempotent=True,
        )  # fmt: skip

    def delete_versions(self, key: str, versions: list[int], *, what: str) -> None:
        """Vault's own soft delete of versions (an operator can undelete them)."""
        if versions:
            self.client.request(
                "POST", self._url("delete", key), json={"versions": versions}, what=what, idempotent=True
            )

    def remove(self, key: str, *, what: str) -> None:
        """Remove a key with every version and its metadata."""
        self.client.request("DELETE", self._url("metadata", key), what=what, missing_ok=True, idempotent=True)
