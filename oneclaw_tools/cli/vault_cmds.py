"""Vault commands of ``oneclaw-tools``: ``init [--kek]``, ``put``, ``import``, ``audit``, ``rotate-key [--to]``.

The vault is the one :func:`oneclaw_tools.config.open_backend` picks (``ONECLAW_LOCAL_VAULT``
for the embedded vault). Values come from stdin or a file, never from argv, and no command
prints a value: ``put`` and ``import`` print metadata, ``audit`` prints value-free events.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from ..backends.base import VaultBackend
from ..envfile import parse_env
from ..errors import InvalidArgument, OneClawError
from ..kek import KEK_KINDS
from ..validation import parse_json_object, validate_path, validate_secret_type, validate_value

__all__ = ["parse_dotenv", "register"]


def _backend(*, create: bool = False) -> VaultBackend:
    """The configured backend; the embedded vault is created only for ``init`` and writes."""
    from ..config import open_backend

    backend = open_backend(create=create)
    if create and getattr(backend, "exists", True) is False:
        print(f"creating a new vault at {backend.path}", file=sys.stderr)  # type: ignore[attr-defined]
    return backend


def _local(backend: VaultBackend, command: str) -> Any:
    from ..backends.local import LocalVault

    if not isinstance(backend, LocalVault):
        raise InvalidArgument(
            "command",
            f"'{command}' applies to the embedded vault (set ONECLAW_BACKEND=local, or unset "
            "ONECLAW_AGENT_API_KEY and BAO_ADDR/VAULT_ADDR)",
        )
    return backend


def _vault_id(backend: VaultBackend, name_or_id: str | None) -> str:
    if name_or_id is None:
        return backend.default_vault_id()
    resolve = getattr(backend, "resolve_vault", None)
    return str(resolve(name_or_id)) if resolve is not None else name_or_id


def _print(obj: Any) -> None:
    print(json.dumps(obj, sort_keys=True))


# -- init ---------------------------------------------------------------------------------

_cmd_init_doc = (
    "Create the embedded vault at ONECLAW_LOCAL_VAULT (or the user data folder) and its 'default' "
    "vault, with the key-encryption key chosen by --kek: 'file' (default) makes the key file "
    "'<path>.key' (mode 0600) unless ONECLAW_LOCAL_VAULT_KEY is set; 'pkcs11' generates a "
    "non-extractable AES key in the token (ONECLAW_PKCS11_MODULE, ONECLAW_PKCS11_TOKEN_LABEL, "
    "ONECLAW_PKCS11_PIN, ONECLAW_PKCS11_KEY_LABEL); 'transit' uses an OpenBao/Vault transit key "
    "(ONECLAW_TRANSIT_KEY, ONECLAW_TRANSIT_MOUNT, BAO_ADDR/VAULT_ADDR, BAO_TOKEN/VAULT_TOKEN). "
    "With pkcs11 or transit no key file exists. Prints the paths and the provider as JSON."
)


def _cmd_init(args: argparse.Namespace) -> int:
    import os

    from ..backends.local import LocalVault
    from ..config import default_local_vault_path

    chosen = os.environ.get("ONECLAW_BACKEND", "")
    if chosen not in ("", "local") or (not chosen and os.environ.get("ONECLAW_AGENT_API_KEY")):
        raise InvalidArgument(
            "command", "'init' applies to the embedded vault (set ONECLAW_BACKEND=local, or unset it)"
        )
    with LocalVault(default_local_vault_path(os.environ), env=os.environ, kek=args.kek) as vault:
        vault.initialize()
        vault_id = vault.default_vault_id()
        key_file = vault.key_file if vault.key_file.exists() else None
        out: dict[str, Any] = {
            "path": str(vault.path),
            "key_file": None if key_file is None else str(key_file),
            "vault_id": vault_id,
            "kek": vault.kek,
        }
        if out["kek"]["kind"] == "transit" and not chosen:
            out["note"] = (
                "BAO_ADDR alone selects the OpenBao backend: set ONECLAW_BACKEND=local to use this vault"
            )
        _print(out)
    return 0


# -- put ----------------------------------------------------------------------------------
def _read_value() -> str:
    if sys.stdin is None:
        raise InvalidArgument("value", "must be given on stdin")
    if sys.stdin.isatty():
        return getpass.getpass("value (not echoed): ")
    text = sys.stdin.read()
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _metadata(text: str | None) -> dict[str, Any] | None:
    return None if text is None else parse_json_object(text, "metadata")


def _cmd_put(args: argparse.Namespace) -> int:
    value = _read_value()
    with _backend(create=True) as backend:
        meta = backend.put_secret(
            _vault_id(backend, args.vault),
            args.path,
            value,
            type=args.type,
            metadata=_metadata(args.metadata),
            expires_at=args.expires_at,
            max_access_count=args.max_access,
        )
    _print(meta.to_dict())
    return 0


# -- import -------------------------------------------------------------------------------
def parse_dotenv(text: str) -> dict[str, str]:
    """``.env`` text, read by the one parser (:func:`oneclaw_tools.envfile.parse_env`)."""
    return parse_env(text, "file")


def _load_import(path: Path, fmt: str, prefix: str) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidArgument("file", "does not exist") from None
    except (OSError, UnicodeDecodeError):
        raise InvalidArgument("file", "could not be read as UTF-8 text") from None
    if fmt == "auto":
        fmt = "json" if path.suffix.lower() == ".json" or text.lstrip().startswith("{") else "env"
    if fmt == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgument("file", f"is not valid JSON (line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise InvalidArgument("file", "must hold a JSON object of path -> value")
        items: dict[str, str] = {}
        for key, value in data.items():
            if not isinstance(value, str):
                raise InvalidArgument(
                    "file", f"the value for {validate_path(key, 'file key')} must be a string"
                )
            items[key] = value
        return items
    env = parse_dotenv(text)
    base = prefix.strip("/")
    return {f"{base}/{key}" if base else key: value for key, value in env.items()}


def _cmd_import(args: argparse.Namespace) -> int:
    items = _load_import(Path(args.file), args.format, args.prefix)
    skipped = [path for path, value in items.items() if value == ""]
    items = {path: value for path, value in items.items() if value != ""}
    if not items:
        raise InvalidArgument("file", "holds no secrets" + (" (every value is empty)" if skipped else ""))
    type_ = validate_secret_type(args.type)
    metadata = _import_bindings(args)
    for path, value in items.items():  # all-or-nothing: check everything before the first write
        validate_path(path, "file key")
        try:
            validate_value(value)
        except InvalidArgument as exc:
            raise InvalidArgument("file", f"the value for {path} {exc.rule}") from None
    written: list[dict[str, Any]] = []
    with _backend(create=True) as backend:
        vault_id = _vault_id(backend, args.vault)
        for path, value in items.items():
            try:
                meta = backend.put_secret(vault_id, path, value, type=type_, metadata=metadata)
            except OneClawError:
                if written:
                    print(json.dumps({"imported_before_error": written}), file=sys.stderr)
                raise
            written.append({"path": meta.path, "version": meta.version})
    result: dict[str, Any] = {"imported": len(written), "vault_id": vault_id, "secrets": written}
    if skipped:
        result["skipped_empty"] = skipped
        print(f"skipped {len(skipped)} empty value(s): {', '.join(skipped)}", file=sys.stderr)
    _print(result)
    return 0


def _import_bindings(args: argparse.Namespace) -> dict[str, Any] | None:
    if not args.allow_host and not args.allow_tool:
        return None
    from .bind_cmds import binding_metadata, host_binding, tool_name

    hosts = [host_binding(h, argument="--allow-host") for h in args.allow_host or []]
    tools = [tool_name(t, "--allow-tool") for t in args.allow_tool or []]
    return binding_metadata(None, hosts=hosts, tools=tools)


# -- audit, rotate-key --------------------------------------------------------------------
def _cmd_audit(args: argparse.Namespace) -> int:
    with _backend() as backend:
        for event in backend.audit_events(args.limit):
            _print(event.to_dict())
    return 0


def _cmd_rotate_key(args: argparse.Namespace) -> int:
    with _backend() as backend:
        _print(_local(backend, "rotate-key").rotate_key(to=args.to))
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "init", help="create the embedded vault and its key-encryption key", description=_cmd_init_doc
    )
    p.add_argument(
        "--kek", choices=KEK_KINDS, default=None,
        help="key-encryption key provider of a new vault (default: file; an existing vault keeps its own)",
    )  # fmt: skip
    p.set_defaults(func=_cmd_init)

    p = subparsers.add_parser(
        "put",
        help="store a new version of a secret; the value is read from stdin",
        description="Store a new version of PATH. The value is read from stdin (one trailing newline is "
        "removed), or prompted for without echo on a terminal; it is never taken from the command line. "
        "Prints the new version's metadata as JSON.",
    )
    p.add_argument("path", metavar="PATH", help="secret path, e.g. prod/db/password")
    p.add_argument("--type", default="generic", help="secret type (default: generic)")
    p.add_argument("--expires-at", metavar="RFC3339", help="reads fail with 410 after this time")
    p.add_argument("--max-access", type=int, default=0, metavar="N", help="reads allowed (0 = unlimited)")
    p.add_argument(
        "--metadata", metavar="JSON", help='a JSON object, e.g. \'{"allowed_hosts": ["api.x.com"]}\''
    )
    p.add_argument("--vault", metavar="NAME_OR_ID", help="vault (default: the 'default' vault)")
    p.set_defaults(func=_cmd_put)

    p = subparsers.add_parser(
        "import",
        help="store every secret of a .env file or a JSON object",
        description="Import secrets from FILE. A .env file's KEY=VALUE lines become secrets at "
        "'<prefix>/KEY' (prefix 'env' by default, so API_KEY becomes env/API_KEY; pass --prefix '' to "
        "use each key itself as the path). A JSON file holds an object of path -> value. Values come "
        "only from the file; empty values are skipped and reported. Every path and value is checked "
        "before the first one is written. --allow-host/--allow-tool bind every imported secret, as "
        "'oneclaw-tools allow' does.",
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument(
        "--format", choices=("auto", "env", "json"), default="auto", help="default: by suffix/content"
    )
    p.add_argument("--prefix", default="env", help="path prefix for .env keys (default: env)")
    p.add_argument("--type", default="generic", help="type of every imported secret (default: generic)")
    p.add_argument(
        "--allow-host",
        action="append",
        metavar="HOST",
        help="bind every imported secret to HOST (repeatable)",
    )
    p.add_argument(
        "--allow-tool",
        action="append",
        metavar="TOOL",
        help="let TOOL receive every imported secret (repeatable)",
    )
    p.add_argument("--vault", metavar="NAME_OR_ID", help="vault (default: the 'default' vault)")
    p.set_defaults(func=_cmd_import)

    p = subparsers.add_parser("audit", help="print the audit log as JSON lines (never values)")
    p.add_argument("--limit", type=int, default=50, help="newest N events (default 50)")
    p.set_defaults(func=_cmd_audit)

    p = subparsers.add_parser(
        "rotate-key",
        help="re-wrap every data key under a new key-encryption key",
        description="Rotate the embedded vault's key-encryption key: a new key is added to the key file, "
        "every data key is re-wrapped, then the old key is dropped. With ONECLAW_LOCAL_VAULT_KEY, put the "
        "new key last in the variable (comma separated), run this, then remove the old key. A transit key "
        "is rotated on the server and every data key re-wrapped. --to migrates the vault to another "
        "provider (file, pkcs11, transit; configured by the same variables as 'init --kek') in one "
        "transaction: an interrupted migration leaves the vault on its old provider, and running the "
        "command again finishes it. A PKCS#11 key is rotated by migrating to a new ONECLAW_PKCS11_KEY_LABEL.",
    )
    p.add_argument(
        "--to", choices=KEK_KINDS, default=None, help="migrate to this key-encryption key provider"
    )
    p.set_defaults(func=_cmd_rotate_key)
