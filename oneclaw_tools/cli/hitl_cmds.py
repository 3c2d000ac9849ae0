"""A human's commands: ``approvals`` (``--history``: the audit), ``approve ID``, ``deny ID``,
``requests``, ``fulfil ID``.

They work on the approval store (:mod:`oneclaw_tools.hitl.store`): ``--store`` or
``ONECLAW_APPROVALS``, else ``<vault>.approvals`` beside the embedded vault, the same file the
agents' sessions use. Deciding needs only that file, not the vault's key.

``fulfil ID`` reads the value from stdin (or ``--file``), never from argv, stores it at the
requested path in the vault :func:`oneclaw_tools.config.open_backend` picks, and prints only
metadata. Each decision and fulfilment is recorded in the store's audit table, without values.
Text that came from a model (a summary, a reason) is printed on one line, JSON-quoted if it holds
anything but printable characters.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from pathlib import Path
from typing import Any

from ..errors import InvalidArgument

__all__ = ["register"]


def _store(args: argparse.Namespace) -> Any:
    from ..hitl import HitlStore, store_path

    path: Path | None = args.store
    return HitlStore(path.expanduser() if path is not None else store_path(os.environ))


def _line(text: object) -> str:
    """Text that came from a model, safe on one terminal line: as it is when printable, else
    JSON-quoted (a line break or an escape sequence could forge or hide what the operator reads)."""
    shown = str(text)
    return shown if shown.isprintable() else json.dumps(shown)


def _who() -> str:
    try:
        name = getpass.getuser()
    except Exception:  # no user name in this environment
        name = "operator"
    return f"cli:{name}"


def _cmd_approvals(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        if args.history:
            return _history(store, as_json=args.json)
        pending = [r.to_dict() for r in store.pending()]
    finally:
        store.close()
    if args.json:
        print(json.dumps(pending, sort_keys=True))
    elif not pending:
        print("no pending approvals")
    else:
        for r in pending:
            print(f"{r['id']}  {_line(r['summary'])}  (expires {r['expires_at']})")
    return 0


def _history(store: Any, *, as_json: bool) -> int:
    rows = store.audit_log()
    if as_json:
        print(json.dumps(rows, sort_keys=True))
    for row in [] if as_json else rows:
        print(
            f"{row['ts']}  {row['event']:<20} {row['ref']}  by {_line(row['actor'])}: {_line(row['detail'])}"
        )
    return 0


def _decide(args: argparse.Namespace, approve: bool) -> int:
    store = _store(args)
    try:
        if not approve and str(args.id).startswith("req_"):  # deny a secret request: cancel it
            req = store.cancel_request(args.id, by=_who())
            print(f"{req.id} cancelled: {req.vault_id}/{req.path}")
            return 0
        record = store.decide(args.id, approve=approve, by=_who())
    finally:
        store.close()
    print(f"{record.id} {record.status}: {record.summary}")
    return 0


def _cmd_requests(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        pending = [r.to_dict() for r in store.pending_requests()]
    finally:
        store.close()
    if args.json:
        print(json.dumps(pending, sort_keys=True))
    elif not pending:
        print("no pending secret requests")
    else:
        for r in pending:
            print(
                f"{r['id']}  {r['vault_id']}/{r['path']} ({r['type']})  reason: {_line(r['reason'])}  "
                f"by {_line(r['requested_by'])}"
            )
    return 0


def _read_value(args: argparse.Namespace) -> str:
    import sys

    if args.file is not None:
        try:
            text = Path(args.file).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidArgument("--file", f"cannot be read ({exc.strerror})") from None
    elif sys.stdin is None:
        raise InvalidArgument("value", "must be given on stdin or with --file")
    elif sys.stdin.isatty():
        text = getpass.getpass("value (not echoed): ")
    else:
        text = sys.stdin.read()
    text = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    if not text:
        raise InvalidArgument("value", "must not be empty")
    return text


def _cmd_fulfil(args: argparse.Namespace) -> int:
    from ..config import open_backend
    from ..hitl import fulfil
    from ..models import SecretValue

    store = _store(args)
    try:
        store.open_request(args.id)  # a wrong id fails before anything is read
        value = SecretValue(_read_value(args))
        with open_backend(os.environ) as backend:
            req = fulfil(store, backend, args.id, value, by=_who())
    finally:
        store.close()
    print(f"{req.id} fulfilled: {req.vault_id}/{req.path} version {req.version} (the value is not shown)")
    return 0


def register(subparsers: Any) -> None:
    def add(
        name: str, help_: str, func: Any, *, with_id: bool = False, json_flag: bool = False
    ) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = subparsers.add_parser(name, help=help_, description=help_)
        if with_id:
            p.add_argument("id", metavar="ID")
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument(
            "--store",
            type=Path,
            default=None,
            help="approval store (default: ONECLAW_APPROVALS or beside the vault)",
        )
        p.set_defaults(func=func)
        return p

    approvals = add(
        "approvals", "list the actions waiting for a human's approval", _cmd_approvals, json_flag=True
    )
    approvals.add_argument(
        "--history", action="store_true", help="print every request, decision, use and fulfilment (no values)"
    )
    add(
        "approve",
        "approve one pending action (single use, expires in 5 minutes)",
        lambda a: _decide(a, True),
        with_id=True,
    )
    add(
        "deny",
        "deny one pending action (or refuse a secret request: deny req_...)",
        lambda a: _decide(a, False),
        with_id=True,
    )
    add("requests", "list the secrets agents asked a human to supply", _cmd_requests, json_flag=True)
    fulfil_p = add(
        "fulfil",
        "supply the value of a secret request (from stdin or --file, never argv)",
        _cmd_fulfil,
        with_id=True,
    )
    fulfil_p.add_argument("--file", default=None, help="read the value from this file instead of stdin")
