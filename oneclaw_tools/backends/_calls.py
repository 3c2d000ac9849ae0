"""Every 1Claw REST operation as a :class:`~._http.Call`: URL, body, and how to read the answer.

Arguments are validated here, before anything is sent, with the same rules as the embedded
vault (so ``..`` or an empty value never leaves the process). Answers are read into the
core's value objects; a secret value becomes a :class:`~oneclaw_tools.models.SecretValue`
the moment it is parsed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Unpack

import httpx

from ..errors import Gone, InvalidArgument
from ..models import PolicyInfo, Secret, SecretMeta, ShareInfo, VaultInfo
from ..validation import (
    parse_datetime,
    validate_max_access_count,
    validate_metadata,
    validate_path,
    validate_pattern,
    validate_permissions,
    validate_prefix,
    validate_rotation,
    validate_secret_type,
    validate_value,
)
from . import _parse
from ._http import Call, encode_id, encode_path
from .base import PolicyOptions, SecretOptions, ShareOptions, complete_options

__all__ = ["SHARE_TOKEN_HEADER", "Calls", "meta_is_readable"]

#: Carries a local server's share-link token (see :meth:`Calls.access_share`).
SHARE_TOKEN_HEADER = "X-OneClaw-Share-Token"  # noqa: S105 - a header name

_SHARE_ID = re.compile(r"[A-Za-z0-9_\-.]{1,256}")
_LOCAL_LINK = re.compile(r"oneclaw://share/([0-9a-f-]{36})#([A-Za-z0-9_-]{20,128})")
_RECIPIENTS = ("user", "agent", "external_email", "anyone_with_link", "creator")


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _none(_: httpx.Response) -> None:
    return None


def _vault_id(vault_id: object) -> str:
    if not isinstance(vault_id, str) or not vault_id or len(vault_id) > 128:
        raise InvalidArgument("vault_id", "must be a vault id")
    return vault_id


def _version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidArgument("version", "must be a whole number of at least 1")
    return version


def _share_id(share_id: object) -> str:
    if not isinstance(share_id, str) or _SHARE_ID.fullmatch(share_id) is None:
        raise InvalidArgument("share_id", "must be a share id")
    return share_id


def _share_ref(ref: object) -> str:
    """A share id, a share URL (``https://…/v1/share/<ref>``) or a local ``oneclaw://share/<id>#<token>``.

    Only the reference is kept: the request always goes to the configured API, never to a
    host named in the URL.
    """
    if not isinstance(ref, str):
        raise InvalidArgument("share_id", "must be a share id or a share URL")
    text = ref.strip()
    local = _LOCAL_LINK.fullmatch(text)
    if local is not None:
        text = f"{local.group(1)}.{local.group(2)}"
    elif text.startswith(("http://", "https://")):
        path = httpx.URL(text).path
        text = path.split("/v1/share/", 1)[1] if "/v1/share/" in path else ""
    if _SHARE_ID.fullmatch(text) is None:
        raise InvalidArgument("share_id", "must be a share id or a share URL")
    return text


def meta_is_readable(meta: SecretMeta, now: datetime) -> bool:
    """What a read would say about this version, without counting an access."""
    if meta.is_disabled:
        return False
    if meta.expires_at is not None and meta.expires_at <= now:
        return False
    return not (meta.max_access_count and meta.access_count >= meta.max_access_count)


class Calls:
    """Builds the :class:`Call` for each operation. Holds no connection and no state."""

    # -- vaults ----------------------------------------------------------------------------
    def create_vault(self, name: str, description: str = "") -> Call[VaultInfo]:
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise InvalidArgument("name", "must be a non-empty name of at most 128 characters")
        if not isinstance(description, str) or len(description) > 1024:
            raise InvalidArgument("description", "must be text of at most 1024 characters")
        return Call(
            "POST",
            "/v1/vaults",
            f"create vault '{name}'",
            lambda r: _parse.vault(_parse.obj(r)),
            json={"name": name, "description": description},
        )

    def list_vaults(self) -> Call[list[VaultInfo]]:
        return Call(
            "GET", "/v1/vaults", "list vaults", lambda r: [_parse.vault(v) for v in _parse.items(r, "vaults")]
        )

    def get_vault(self, vault_id: str) -> Call[VaultInfo]:
        vid = _vault_id(vault_id)
        return Call(
            "GET", f"/v1/vaults/{encode_id(vid)}", f"get vault {vid}", lambda r: _parse.vault(_parse.obj(r))
        )

    def delete_vault(self, vault_id: str) -> Call[None]:
        vid = _vault_id(vault_id)
        return Call("DELETE", f"/v1/vaults/{encode_id(vid)}", f"delete vault {vid}", _none)

    # -- secrets ---------------------------------------------------------------------------
    def _secret_url(self, route: str, vault_id: str, path: str) -> str:
        return f"/v1/vaults/{encode_id(_vault_id(vault_id))}/{route}/{encode_path(validate_path(path))}"

    def put_secret(
        self, vault_id: str, path: str, value: str, **options: Unpack[SecretOptions]
    ) -> Call[SecretMeta]:
        o = complete_options(SecretOptions, "put_secret", options)
        url = self._secret_url("secrets", vault_id, path)
        body: dict[str, Any] = {"value": validate_value(value), "type": validate_secret_type(o["type"])}
        if o["metadata"]:
            body["metadata"] = validate_metadata(o["metadata"])
        when = parse_datetime(o["expires_at"])
        if when is not None:
            body["expires_at"] = _iso(when)
        count = validate_max_access_count(o["max_access_count"])
        if count:
            body["max_access_count"] = count
        return Call(
            "PUT", url, f"store secret '{path}'", lambda r: _parse.meta(_parse.obj(r), vault_id), json=body
        )

    def get_secret(self, vault_id: str, path: str, version: int | None = None) -> Call[Secret]:
        if version is None:
            url = self._secret_url("secrets", vault_id, path)
            return Call("GET", url, f"read secret '{path}'", lambda r: _parse.secret(_parse.obj(r), vault_id))
        url = self._secret_url("secret-version", vault_id, path) + f"/{_version(version)}"
        return Call(
            "GET",
            url,
            f"read secret '{path}' version {version}",
            lambda r: _parse.secret(_parse.obj(r), vault_id),
        )

    def list_secrets(self, vault_id: str, prefix: str = "") -> Call[list[SecretMeta]]:
        vid = _vault_id(vault_id)
        prefix = validate_prefix(prefix)

        def parse(r: httpx.Response) -> list[SecretMeta]:
            metas = [_parse.meta(d, vid) for d in _parse.items(r, "secrets")]
            return sorted((m for m in metas if m.path.startswith(prefix)), key=lambda m: m.path)

        params = {"prefix": prefix} if prefix else None
        return Call("GET", f"/v1/vaults/{encode_id(vid)}/secrets", "list secrets", parse, params=params)

    def list_versions(self, vault_id: str, path: str) -> Call[list[SecretMeta]]:
        def parse(r: httpx.Response) -> list[SecretMeta]:
            metas = [_parse.meta(d, vault_id) for d in _parse.items(r, "versions")]
            return sorted(metas, key=lambda m: m.version, reverse=True)

        url = self._secret_url("secret-versions", vault_id, path)
        return Call("GET", url, f"list versions of '{path}'", parse)

    def describe_secret(self, vault_id: str, path: str, now: datetime) -> Call[SecretMeta]:
        """From the version list, so that no access is counted on the server."""

        def parse(r: httpx.Response) -> SecretMeta:
            metas = sorted(
                (_parse.meta(d, vault_id) for d in _parse.items(r, "versions")), key=lambda m: -m.version
            )
            for meta in metas:
                if not meta.is_disabled:
                    if not meta_is_readable(meta, now):
                        break
                    return meta
            raise Gone(f"describe secret '{path}' failed: gone (expired, deleted, disabled or used up).")

        url = self._secret_url("secret-versions", vault_id, path)
        return Call("GET", url, f"describe secret '{path}'", parse)

    def disable_version(self, vault_id: str, path: str, version: int) -> Call[None]:
        url = self._secret_url("secret-version-disable", vault_id, path) + f"/{_version(version)}"
        return Call("POST", url, f"disable version {version} of '{path}'", _none)

    def delete_secret(self, vault_id: str, path: str) -> Call[None]:
        return Call("DELETE", self._secret_url("secrets", vault_id, path), f"delete secret '{path}'", _none)

    def rotate_secret(
        self, vault_id: str, path: str, *, length: int = 32, charset: str = "hex", type: str | None = None
    ) -> Call[SecretMeta]:
        url = self._secret_url("secret-rotate", vault_id, path)
        validate_rotation(length, charset)
        body: dict[str, Any] = {"length": length, "charset": charset}
        if type is not None:
            body["type"] = validate_secret_type(type)
        return Call(
            "POST", url, f"rotate secret '{path}'", lambda r: _parse.meta(_parse.obj(r), vault_id), json=body
        )

    # -- policies --------------------------------------------------------------------------
    def create_policy(self, vault_id: str, **options: Unpack[PolicyOptions]) -> Call[PolicyInfo]:
        o = complete_options(PolicyOptions, "create_policy", options)
        principal_type, principal_id = o["principal_type"], o["principal_id"]
        vid = _vault_id(vault_id)
        if principal_type not in ("user", "agent"):
            raise InvalidArgument("principal_type", "must be 'user' or 'agent'")
        if not isinstance(principal_id, str) or not principal_id or len(principal_id) > 128:
            raise InvalidArgument("principal_id", "must be the id of a user or an agent")
        body: dict[str, Any] = {
            "principal_type": principal_type,
            "principal_id": principal_id,
            "secret_path_pattern": validate_pattern(o["secret_path_pattern"]),
            "permissions": list(validate_permissions(o["permissions"])),
        }
        when = parse_datetime(o["expires_at"])
        if when is not None:
            body["expires_at"] = _iso(when)
        return Call(
            "POST",
            f"/v1/vaults/{encode_id(vid)}/policies",
            "create policy",
            lambda r: _parse.policy(_parse.obj(r)),
            json=body,
        )

    def list_policies(self, vault_id: str) -> Call[list[PolicyInfo]]:
        vid = _vault_id(vault_id)
        return Call(
            "GET",
            f"/v1/vaults/{encode_id(vid)}/policies",
            "list policies",
            lambda r: [_parse.policy(p) for p in _parse.items(r, "policies")],
        )

    def delete_policy(self, vault_id: str, policy_id: str) -> Call[None]:
        vid = _vault_id(vault_id)
        if not isinstance(policy_id, str) or not policy_id or len(policy_id) > 128:
            raise InvalidArgument("policy_id", "must be a policy id")
        url = f"/v1/vaults/{encode_id(vid)}/policies/{encode_id(policy_id)}"
        return Call("DELETE", url, f"delete policy {policy_id}", _none)

    # -- shares ----------------------------------------------------------------------------
    def create_share(self, meta: SecretMeta, **options: Unpack[ShareOptions]) -> Call[ShareInfo]:
        """``meta`` comes from :meth:`describe_secret`: the route takes the secret's id."""
        o = complete_options(ShareOptions, "create_share", options)
        recipient_type, recipient_id, email, passphrase = (
            o["recipient_type"], o["recipient_id"], o["email"], o["passphrase"]
        )  # fmt: skip
        if recipient_type not in _RECIPIENTS:
            raise InvalidArgument("recipient_type", "must be one of " + ", ".join(_RECIPIENTS))
        when = parse_datetime(o["expires_at"])
        if when is None:
            raise InvalidArgument("expires_at", "is required for a share")
        body: dict[str, Any] = {"recipient_type": recipient_type, "expires_at": _iso(when)}
        if recipient_type in ("user", "agent"):
            if not isinstance(recipient_id, str) or not recipient_id:
                raise InvalidArgument("recipient_id", "is required for a user or agent share")
            body["recipient_id"] = recipient_id
        if recipient_type == "external_email":
            if not isinstance(email, str) or "@" not in email or len(email) > 320:
                raise InvalidArgument("email", "must be an email address")
            body["email"] = email
        count = validate_max_access_count(o["max_access_count"])
        if count:
            body["max_access_count"] = count
        if passphrase is not None:
            if not isinstance(passphrase, str) or not passphrase:
                raise InvalidArgument("passphrase", "must be a non-empty string")
            body["passphrase"] = passphrase
        url = f"/v1/secrets/{encode_id(meta.id)}/share"
        return Call(
            "POST",
            url,
            f"share secret '{meta.path}'",
            lambda r: _parse.share(_parse.obj(r), meta.vault_id, meta.path, meta.id),
            json=body,
        )

    def access_share(self, share_id: str, passphrase: str | None = None) -> Call[Secret]:
        sid = _share_ref(share_id)
        body = None
        if passphrase is not None:
            if not isinstance(passphrase, str):
                raise InvalidArgument("passphrase", "must be a string")
            body = {"passphrase": passphrase}
        # A local link reference is "<id>.<token>": the token travels in a header, so that it is
        # never in a URL that httpx logs. Hosted share ids contain no ".". The op names no id.
        share_id, _, token = sid.partition(".")
        headers = {SHARE_TOKEN_HEADER: token} if token else None
        return Call(
            "GET", f"/v1/share/{encode_id(share_id)}", "access share", lambda r: _parse.secret(_parse.obj(r), ""),
            json=body, headers=headers,
        )  # fmt: skip

    def accept_share(self, share_id: str) -> Call[None]:
        return Call("POST", f"/v1/shares/{encode_id(_share_id(share_id))}/accept", "accept share", _none)

    def decline_share(self, share_id: str) -> Call[None]:
        return Call("POST", f"/v1/shares/{encode_id(_share_id(share_id))}/decline", "decline share", _none)

    def revoke_share(self, share_id: str) -> Call[None]:
        return Call("DELETE", f"/v1/share/{encode_id(_share_id(share_id))}", "revoke share", _none)

    def list_inbound_shares(self) -> Call[list[ShareInfo]]:
        return _share_list("inbound")

    def list_outbound_shares(self) -> Call[list[ShareInfo]]:
        return _share_list("outbound")


def _share_list(direction: str) -> Call[list[ShareInfo]]:
    return Call(
        "GET",
        f"/v1/shares/{direction}",
        f"list {direction} shares",
        lambda r: [_parse.share(s) for s in _parse.items(r, "shares")],
    )
