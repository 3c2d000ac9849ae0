"""``oneclaw-tools allow``: change where a stored secret may be used, without re-entering it.

A secret's bindings live in its metadata (``allowed_hosts``: bindings in the format of
:mod:`oneclaw_tools.bindings`; ``allowed_tools``: tool names). 1Claw keeps metadata per
version and has no route that changes it alone, so ``allow`` writes a **new version with the
same value**, type and expiry and the changed bindings, on every backend alike: the change is
audited and versioned like any write, and ``list_versions`` shows it. The value is read once by
the command (one access, as on 1Claw) and never printed. A secret with a read limit keeps the
reads it had left: the new version allows exactly those, so a change of binding never grants
extra reads.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterable
from typing import Any

from ..bindings import BindingError, format_binding, parse_binding
from ..errors import Gone, InvalidArgument
from ..validation import validate_path

__all__ = ["binding_metadata", "register", "tool_name"]

_TOOL = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


def tool_name(name: str, argument: str = "--tool") -> str:
    """A tool name a handle may be passed to (a third-party tool's name as the framework shows it)."""
    name = name.strip()
    if _TOOL.fullmatch(name) is None:
        raise InvalidArgument(argument, f"'{name}' must be a tool name (letters, digits, _ . : -)")
    return name


def host_binding(host: str, method: str | None = None, argument: str = "--host") -> str:
    """One binding in its canonical text form, from ``--host`` (and ``--method``)."""
    text = host.strip() if method is None else f"{method.strip()} {host.strip()}"
    try:
        return format_binding(parse_binding(text))
    except BindingError as exc:
        raise InvalidArgument(argument, str(exc)) from None


def binding_metadata(
    metadata: dict[str, Any] | None,
    *,
    hosts: Iterable[str] = (),
    tools: Iterable[str] = (),
    remove: bool = False,
) -> dict[str, Any]:
    """``metadata`` with ``hosts`` (canonical bindings) and ``tools`` added, or removed."""
    out = dict(metadata or {})
    current_hosts = [str(h) if isinstance(h, str) else h for h in out.get("allowed_hosts") or []]
    canonical: list[Any] = []
    for rule in current_hosts:  # compare in canonical form, keep what cannot be parsed as it was
        try:
            canonical.append(format_binding(parse_binding(rule)))
        except BindingError:
            canonical.append(rule)
    current_tools = [t for t in out.get("allowed_tools") or [] if isinstance(t, str)]
    hosts, tools = list(hosts), list(tools)
    if remove:
        missing = [h for h in hosts if h not in canonical] + [t for t in tools if t not in current_tools]
        if missing:
            raise InvalidArgument(
                "--remove", f"the secret is not bound to {', '.join(missing)}; nothing was changed"
            )
        new_hosts = [h for h in canonical if h not in hosts]
        new_tools = [t for t in current_tools if t not in tools]
    else:
        new_hosts = list(dict.fromkeys([*canonical, *hosts]))
        new_tools = list(dict.fromkeys([*current_tools, *tools]))
    for key, values in (("allowed_hosts", new_hosts), ("allowed_tools", new_tools)):
        if values:
            out[key] = values
        else:
            out.pop(key, None)
    return out


def _cmd_allow(args: argparse.Namespace) -> int:
    from .vault_cmds import _backend, _vault_id

    path = validate_path(args.path, "PATH")
    if not args.host and not args.tool:
        raise InvalidArgument("--host/--tool", "give at least one host or tool to allow (or --remove)")
    if args.method and not args.host:
        raise InvalidArgument("--method", "applies to --host; give the host it limits")
    hosts = [host_binding(h, args.method) for h in args.host or []]
    tools = [tool_name(t) for t in args.tool or []]
    with _backend() as backend:
        vault_id = _vault_id(backend, args.vault)
        secret = backend.get_secret(vault_id, path)
        meta = secret.meta
        metadata = binding_metadata(meta.metadata, hosts=hosts, tools=tools, remove=args.remove)
        if metadata == (meta.metadata or {}):
            print(json.dumps({"path": path, "version": meta.version, "unchanged": True, **_bound(metadata)}))
            return 0
        uses_left = meta.uses_left
        if uses_left == 0:
            raise Gone(
                f"{path} has no reads left, so it cannot be bound again.",
                action="Store a new value with `oneclaw-tools put`.",
            )
        new = backend.put_secret(
            vault_id,
            path,
            secret.value.reveal_unsafe(),
            type=meta.type,
            metadata=metadata,
            expires_at=meta.expires_at,
            max_access_count=uses_left or 0,
        )
    print(json.dumps({"path": new.path, "version": new.version, **_bound(new.metadata or {})}))
    return 0


def _bound(metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "allowed_hosts": list(metadata.get("allowed_hosts") or []),
        "allowed_tools": list(metadata.get("allowed_tools") or []),
    }


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "allow",
        help="bind a stored secret to hosts or tools (or --remove a binding); no need to re-enter it",
        description="Let the secret at PATH be sent to HOST by http_request (optionally only with "
        "METHOD), or passed to the tool TOOL; --remove takes a binding away. The value is not "
        "re-entered: the command stores a new version with the same value, type and expiry and the "
        "changed bindings (1Claw keeps bindings per version). A host may carry a port and a path "
        "prefix, e.g. api.example.com:8443/v1.",
    )
    p.add_argument("path", metavar="PATH", help="secret path, e.g. prod/api_key")
    p.add_argument("--host", action="append", metavar="HOST", help="a host (repeatable)")
    p.add_argument("--tool", action="append", metavar="TOOL", help="a tool name (repeatable)")
    p.add_argument("--method", metavar="M[,M]", help="only these HTTP methods toward --host, e.g. GET,POST")
    p.add_argument("--remove", action="store_true", help="remove the given bindings instead of adding")
    p.add_argument("--vault", metavar="NAME_OR_ID", help="vault (default: the 'default' vault)")
    p.set_defaults(func=_cmd_allow)
