"""Shares of the embedded vault (1Claw reference §5).

A share is a credential: its URL ``oneclaw://share/<id>#<token>`` carries 256 random bits
that are stored only as a hash, and an optional passphrase stored only as a scrypt hash.
``access_share`` accepts that URL (or ``<id>#<token>``); a share made out to a user or an
agent can also be opened by that principal, by id alone, once accepted. Unknown or
revoked shares are 404; expired, declined or used-up shares are 410; a wrong token or
passphrase is 403. A share follows the secret: it reads the latest readable version.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import uuid
from typing import Unpack

from .. import crypto
from ..errors import Gone, InvalidArgument, NotFound, PermissionDenied
from ..models import Secret, SecretValue, ShareInfo
from ..validation import validate_path
from ._local_core import Note, Part, check_id, check_text
from ._local_store import fmt_ts, parse_ts
from ._share_rules import RECIPIENT_TYPES, check_share_options
from .base import ShareOptions, complete_options

__all__ = ["RECIPIENT_TYPES", "Shares"]

_SHARE_REF = re.compile(r"(?:oneclaw://share/)?([0-9a-f-]{36})(?:#([A-Za-z0-9_-]{20,128}))?")


class Shares(Part):
    """create, open, answer, revoke and list shares."""

    def create_share(self, vault_id: str, path: str, **options: Unpack[ShareOptions]) -> ShareInfo:
        o = complete_options(ShareOptions, "create_share", options)
        with self.core.checking("create_share"):
            vault_id = check_id(vault_id, "vault_id")
            path = validate_path(path)
            share = check_share_options(o, creator=("user", "owner"), now=self.core.now())

        def work(conn: sqlite3.Connection, note: Note) -> ShareInfo:
            if share.recipient_type == "external_email" and self.core.principal.type == "agent":
                raise PermissionDenied(  # 1Claw's docs: external_email is for humans, "agents are blocked"
                    "agents cannot share with an external email address.",
                    action="Share with a user or agent of this vault, or ask a human to send it.",
                )
            self.core.require(conn, vault_id, "read", path)
            live = self.core.live(conn, vault_id, path)
            share_id, token = str(uuid.uuid4()), secrets.token_urlsafe(32)
            now = self.core.now()
            conn.execute(
                "INSERT INTO shares (id, secret_id, vault_id, path, recipient_type, recipient_id, email, expires_at, "
                "max_access_count, passphrase_hash, token_hash, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    share_id, live["id"], vault_id, path, share.recipient_type, share.recipient_id, share.email,
                    fmt_ts(share.expires_at), share.max_access_count,
                    None if share.passphrase is None else crypto.hash_passphrase(share.passphrase),
                    crypto.hash_token(token), str(self.core.principal), fmt_ts(now),
                ),
            )  # fmt: skip
            note.detail = f"share {share_id} to {share.recipient_type}"
            row = conn.execute("SELECT * FROM shares WHERE id = ?", (share_id,)).fetchone()
            return self._share_info(row, url=SecretValue(f"oneclaw://share/{share_id}#{token}"))

        return self.core.run("create_share", work, vault_id=vault_id, path=path)

    def access_share(self, share_id: str, passphrase: str | None = None) -> Secret:
        """Open a share by its URL (``oneclaw://share/<id>#<token>``), or by id as its recipient."""
        with self.core.checking("access_share"):
            if not isinstance(share_id, str):
                raise InvalidArgument("share_id", "must be a string")
            match = _SHARE_REF.fullmatch(share_id.strip())
            if match is None:
                raise InvalidArgument("share_id", "must be a share id or a share URL")
            if passphrase is not None:
                check_text(passphrase, "passphrase", max_len=1024, allow_empty=False)
        sid, token = match.group(1), match.group(2)

        def work(conn: sqlite3.Connection, note: Note) -> Secret:
            share = self._share_row(conn, sid)
            note.detail = f"share {sid}"
            if token is not None:
                if not crypto.verify_token(token, bytes(share["token_hash"])):
                    raise PermissionDenied("the share link is not valid.")
            elif not self._is_recipient(share):
                raise PermissionDenied("open this share with its link, or as its recipient.")
            elif not share["accepted"]:
                raise PermissionDenied(
                    "accept the share before opening it.", action="Call accept_share first."
                )
            if share["declined"]:
                raise Gone("the share was declined.")
            if parse_ts(share["expires_at"]) <= self.core.now():  # type: ignore[operator]
                raise Gone("the share has expired.")
            if share["max_access_count"] and share["access_count"] >= share["max_access_count"]:
                raise Gone("the share has reached its maximum access count.")
            if share["passphrase_hash"] is not None and (
                passphrase is None
                or not crypto.verify_passphrase(passphrase, bytes(share["passphrase_hash"]))
            ):
                raise PermissionDenied(
                    "the share needs its passphrase.", action="Ask the sender for the passphrase."
                )
            live = conn.execute(
                "SELECT * FROM secrets WHERE id = ? AND deleted_at IS NULL", (share["secret_id"],)
            ).fetchone()
            if live is None:
                raise Gone("the shared secret was deleted.")
            if live["current"] is None:
                raise Gone("every version of the shared secret is disabled.")
            row = conn.execute(
                "SELECT * FROM versions WHERE vault_id = ? AND path = ? AND version = ?",
                (live["vault_id"], live["path"], live["current"]),
            ).fetchone()
            self.core.check_readable(row)
            value = self.core.store.open(row)
            conn.execute("UPDATE versions SET access_count = access_count + 1 WHERE id = ?", (row["id"],))
            conn.execute("UPDATE shares SET access_count = access_count + 1 WHERE id = ?", (sid,))
            note.vault_id, note.path, note.version = row["vault_id"], row["path"], row["version"]
            return Secret(self.core.meta(row, access_count=row["access_count"] + 1), SecretValue(value))

        return self.core.run("access_share", work)

    def accept_share(self, share_id: str) -> None:
        self._answer_share("accept_share", share_id, accepted=1, declined=0)

    def decline_share(self, share_id: str) -> None:
        self._answer_share("decline_share", share_id, accepted=0, declined=1)

    def _answer_share(self, action: str, share_id: str, *, accepted: int, declined: int) -> None:
        with self.core.checking(action):
            share_id = check_id(share_id, "share_id")

        def work(conn: sqlite3.Connection, note: Note) -> None:
            share = self._share_row(conn, share_id)
            if not self._is_recipient(share):
                raise PermissionDenied("only the share's recipient may answer it.")
            conn.execute(
                "UPDATE shares SET accepted = ?, declined = ? WHERE id = ?", (accepted, declined, share_id)
            )
            note.detail = f"share {share_id}"

        self.core.run(action, work)

    def revoke_share(self, share_id: str) -> None:
        with self.core.checking("revoke_share"):
            share_id = check_id(share_id, "share_id")

        def work(conn: sqlite3.Connection, note: Note) -> None:
            share = self._share_row(conn, share_id)
            if not (self.core.principal.is_owner or share["created_by"] == str(self.core.principal)):
                raise PermissionDenied("only the share's creator may revoke it.")
            conn.execute("UPDATE shares SET revoked = 1 WHERE id = ?", (share_id,))
            note.detail = f"share {share_id}"

        self.core.run("revoke_share", work)

    def list_inbound_shares(self) -> list[ShareInfo]:
        p = self.core.principal

        def work(conn: sqlite3.Connection, note: Note) -> list[ShareInfo]:
            rows = conn.execute(
                "SELECT * FROM shares WHERE revoked = 0 AND recipient_type = ? AND recipient_id = ? "
                "ORDER BY created_at, id",
                (p.type, p.id),
            )
            return [self._share_info(r) for r in rows]

        return self.core.run("list_inbound_shares", work, reads=True)

    def list_outbound_shares(self) -> list[ShareInfo]:
        def work(conn: sqlite3.Connection, note: Note) -> list[ShareInfo]:
            rows = conn.execute(
                "SELECT * FROM shares WHERE revoked = 0 AND created_by = ? ORDER BY created_at, id",
                (str(self.core.principal),),
            )
            return [self._share_info(r) for r in rows]

        return self.core.run("list_outbound_shares", work, reads=True)

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _share_row(conn: sqlite3.Connection, share_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute("SELECT * FROM shares WHERE id = ?", (share_id,)).fetchone()
        if row is None or row["revoked"]:
            raise NotFound("share not found (unknown or revoked).", action="Ask the sender for a new share.")
        return row

    def _is_recipient(self, share: sqlite3.Row) -> bool:
        p = self.core.principal
        return (share["recipient_type"], share["recipient_id"]) == (p.type, p.id)

    @staticmethod
    def _share_info(row: sqlite3.Row, url: SecretValue | None = None) -> ShareInfo:
        return ShareInfo(
            id=row["id"], secret_id=row["secret_id"], vault_id=row["vault_id"], path=row["path"],
            recipient_type=row["recipient_type"], expires_at=parse_ts(row["expires_at"]), share_url=url,
            recipient_id=row["recipient_id"], email=row["email"], max_access_count=row["max_access_count"],
            access_count=row["access_count"], created_by=row["created_by"], created_at=parse_ts(row["created_at"]),
            is_accepted=bool(row["accepted"]), is_revoked=bool(row["revoked"]),
        )  # fmt: skip
