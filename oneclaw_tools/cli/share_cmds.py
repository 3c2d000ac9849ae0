"""``oneclaw-tools share``, ``shares`` and ``shares revoke``: the operator's side of sharing.

A model's ``share_secret`` never shows the link (it is a credential). The operator creates a
share here and gets the link printed once, with the share id; ``shares`` lists the shares the
vault's principal created (never a link), and ``shares revoke ID`` ends one.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import InvalidArgument
from ..tools.share_tools import share_row
from ..validation import parse_datetime, validate_path
from .vault_cmds import _backend, _vault_id

__all__ = ["register"]

_COLUMNS = ("id", "path", "recipient", "expires_at", "uses_left", "state")


def _cmd_share(args: argparse.Namespace) -> int:
    path = validate_path(args.path)
    if "@" not in args.email or len(args.email) > 320:
        raise InvalidArgument("--email", "must be an e-mail address such as name@example.com")
    expires = parse_datetime(args.expires_at, "--expires-at")
    if args.max_access < 0:
        raise InvalidArgument("--max-access", "must be 0 (unlimited) or more")
    with _backend() as backend:
        share = backend.create_share(
            _vault_id(backend, args.vault),
            path,
            recipient_type="external_email",
            expires_at=expires,  # type: ignore[arg-type]
            email=args.email,
            max_access_count=args.max_access,
        )
    out: dict[str, Any] = {
        "share_id": share.id,
        "path": share.path,
        "email": share.email,
        "expires_at": share.to_dict()["expires_at"],
        "max_access_count": share.max_access_count,
        "share_url": None if share.share_url is None else share.share_url.reveal_unsafe(),
    }
    print(json.dumps(out, indent=2))
    print(
        "The link opens the secret: it is shown only this once. Send it to the recipient over a "
        f"channel you trust; revoke it with `oneclaw-tools shares revoke {share.id}`.",
        file=sys.stderr,
    )
    return 0


def _cmd_shares(args: argparse.Namespace) -> int:
    with _backend() as backend:
        rows = [share_row(share) for share in backend.list_outbound_shares()]
    if args.json:
        for row in rows:
            print(json.dumps(row, sort_keys=True))
        return 0
    if not rows:
        print("no shares", file=sys.stderr)
        return 0
    table = [list(_COLUMNS)]
    table += [["-" if r[c] is None else str(r[c]) for c in _COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_COLUMNS))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    return 0


def _cmd_revoke(args: argparse.Namespace) -> int:
    with _backend() as backend:
        backend.revoke_share(args.share_id)
    print(json.dumps({"revoked": True, "share_id": args.share_id}))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "share",
        help="share a secret by e-mail; prints the link once, with the share id",
        description="Share PATH with the person at --email until --expires-at. The share link opens "
        "the secret, so it is printed only this once (with the share id); a model never sees it.",
    )
    p.add_argument("path", metavar="PATH", help="secret path, e.g. prod/db/password")
    p.add_argument("--email", required=True, help="the recipient's e-mail address")
    p.add_argument("--expires-at", required=True, metavar="RFC3339", help="when the link stops working")
    p.add_argument(
        "--max-access", type=int, default=5, metavar="N", help="opens allowed (0 = unlimited; default 5)"
    )
    p.add_argument("--vault", metavar="NAME_OR_ID", help="vault (default: the 'default' vault)")
    p.set_defaults(func=_cmd_share)

    p = subparsers.add_parser(
        "shares",
        help="list the shares you created (id, path, recipient, expiry, uses left, state)",
        description="List the shares created through this vault's principal, never their links. "
        "'oneclaw-tools shares revoke ID' revokes one.",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_cmd_shares)
    sub = p.add_subparsers(dest="shares_command", metavar="revoke")
    r = sub.add_parser("revoke", help="revoke a share by its id", description="Revoke share ID.")
    r.add_argument("share_id", metavar="ID")
    r.set_defaults(func=_cmd_revoke)
