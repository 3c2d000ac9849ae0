"""The operator's policy for ``oneclaw-mcp``, from flags and from the environment.

Desktop clients (Claude Desktop, Cursor) start the server with ``args`` and ``env``; some pass
only ``env``. Every setting therefore has a flag and a variable:

=====================  ===========================  ==========================================
flag                   variable                     meaning
=====================  ===========================  ==========================================
``--tools A,B``        ``ONECLAW_MCP_TOOLS``        serve only these tools
``--paths G,H``        ``ONECLAW_MCP_PATHS``        path globs the tools may touch
``--vault NAME_OR_ID`` ``ONECLAW_MCP_VAULT``        the vault tools use when none is named
``--read-only``        ``ONECLAW_MCP_READ_ONLY=1``  only tools that change nothing
``--bind-host G=H``    ``ONECLAW_MCP_BIND_HOST``    secrets under glob G may be sent to host H
``--bind-tool G=T``    ``ONECLAW_MCP_BIND_TOOL``    secrets under glob G may be passed to tool T
``--approve TOOL``     ``ONECLAW_MCP_APPROVE``      TOOL needs a human's approval
``--share-recipient``  ``ONECLAW_MCP_SHARE_RECIPIENT``  share_secret may reach it without approval
``--grant-principal``  ``ONECLAW_MCP_GRANT_PRINCIPAL``  grant_access may name it without approval
``--allow-network``    ``ONECLAW_MCP_ALLOW_NETWORK``    a non-public CIDR http_request may reach
=====================  ===========================  ==========================================

Variables hold lists: tools, paths and approvals separated by commas, bindings by semicolons
(``prod/**=api.stripe.com;ci/*=GET,POST api.github.com``), since a host binding is written as in
:mod:`oneclaw_tools.bindings` and may hold commas itself. A flag replaces the variable of the same
setting; ``--read-only`` from either source wins; ``--approve`` adds to the approvals the core
requires by default (``share_secret``, ``grant_access``), it never removes one. Every
value is checked at start: an unknown tool name or a bad glob stops the server with a message,
never a policy quietly wider than the operator wrote.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable, Mapping
from typing import Any

from oneclaw_tools import TOOL_NAMES, OperatorPolicy
from oneclaw_tools.bindings import BindingError, format_binding, parse_binding
from oneclaw_tools.errors import InvalidArgument
from oneclaw_tools.policy import DEFAULT_REQUIRE_APPROVAL
from oneclaw_tools.validation import validate_pattern

__all__ = ["ENV", "add_policy_arguments", "policy_from"]

ENV = {
    "tools": "ONECLAW_MCP_TOOLS",
    "paths": "ONECLAW_MCP_PATHS",
    "vault": "ONECLAW_MCP_VAULT",
    "read_only": "ONECLAW_MCP_READ_ONLY",
    "bind_host": "ONECLAW_MCP_BIND_HOST",
    "bind_tool": "ONECLAW_MCP_BIND_TOOL",
    "approve": "ONECLAW_MCP_APPROVE",
    "share_recipient": "ONECLAW_MCP_SHARE_RECIPIENT",
    "grant_principal": "ONECLAW_MCP_GRANT_PRINCIPAL",
    "allow_network": "ONECLAW_MCP_ALLOW_NETWORK",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class PolicyError(ValueError):
    """A policy setting the server cannot honour; the message names the flag or variable."""


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("operator policy (fixed at start; no tool argument can widen it)")
    group.add_argument("--tools", metavar="A,B", help=f"serve only these tools (${ENV['tools']})")
    group.add_argument("--paths", metavar="GLOB,GLOB", help=f"path globs tools may touch (${ENV['paths']})")
    group.add_argument("--vault", metavar="NAME_OR_ID", help=f"the default vault (${ENV['vault']})")
    group.add_argument(
        "--read-only",
        action="store_true",
        help=f"serve only tools that change nothing (${ENV['read_only']}=1)",
    )
    group.add_argument(
        "--bind-host",
        action="append",
        metavar="GLOB=HOST",
        help=f"secrets under GLOB may be sent to HOST; repeatable (${ENV['bind_host']})",
    )
    group.add_argument(
        "--bind-tool",
        action="append",
        metavar="GLOB=TOOL",
        help=f"secrets under GLOB may be passed to TOOL; repeatable (${ENV['bind_tool']})",
    )
    group.add_argument(
        "--approve",
        action="append",
        metavar="TOOL",
        help=f"TOOL needs a human's approval; repeatable (${ENV['approve']})",
    )


def _split(text: str, sep: str) -> list[str]:
    return [item.strip() for item in text.split(sep) if item.strip()]


def _items(
    flag: list[str] | str | None, env: Mapping[str, str], key: str, sep: str = ","
) -> tuple[list[str], str]:
    """The values of one setting and where they came from (for error messages). A binding
    (``sep`` ";") may hold commas itself (``GET,POST api.x.com``): its flag is never split."""
    if flag is not None:
        values = [flag] if isinstance(flag, str) else list(flag)
        if sep != ",":
            return [v.strip() for v in values if v.strip()], "--" + key.replace("_", "-")
        return [v for value in values for v in _split(value, sep)], "--" + key.replace("_", "-")
    return _split(env.get(ENV[key], ""), sep), ENV[key]


def _tool_names(names: Iterable[str], source: str, known: set[str]) -> frozenset[str]:
    out = set()
    for name in names:
        if name not in known:
            raise PolicyError(f"{source}: unknown tool '{name}' (known: {', '.join(sorted(known))})")
        out.add(name)
    return frozenset(out)


def _bindings(pairs: Iterable[str], source: str, what: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for pair in pairs:
        glob, sep, target = (part.strip() for part in pair.partition("="))
        if not sep or not glob or not target:
            raise PolicyError(f"{source}: expected GLOB={what.upper()}, got '{pair}'")
        try:
            validate_pattern(glob, source)
        except InvalidArgument as exc:
            raise PolicyError(f"{source}: '{glob}' {exc.rule}") from None
        if what == "host":
            try:
                target = format_binding(parse_binding(target))
            except BindingError as exc:
                raise PolicyError(f"{source}: {exc}") from None
        out.setdefault(glob, []).append(target)
    return {glob: tuple(values) for glob, values in out.items()}


def _read_only(flag: bool, env: Mapping[str, str]) -> bool:
    raw = env.get(ENV["read_only"], "").strip().lower()
    if raw not in _TRUE | _FALSE:
        raise PolicyError(f"{ENV['read_only']} must be 1/true or 0/false, got '{raw}'")
    return flag or raw in _TRUE


def policy_from(
    args: argparse.Namespace,
    env: Mapping[str, str] | None = None,
    *,
    extra_tools: Iterable[str] = (),
    **fixed: Any,
) -> tuple[OperatorPolicy, str | None]:
    """The policy and the vault (name or id, or None) the operator asked for."""
    env = os.environ if env is None else env
    known = set(TOOL_NAMES) | set(extra_tools)
    tools, tools_src = _items(args.tools, env, "tools")
    paths, paths_src = _items(args.paths, env, "paths")
    for glob in paths:
        try:
            validate_pattern(glob, paths_src)
        except InvalidArgument as exc:
            raise PolicyError(f"{paths_src}: '{glob}' {exc.rule}") from None
    approve, approve_src = _items(args.approve, env, "approve")
    hosts, hosts_src = _items(args.bind_host, env, "bind_host", ";")
    bound_tools, bound_src = _items(args.bind_tool, env, "bind_tool", ";")
    vault = args.vault if args.vault is not None else (env.get(ENV["vault"], "").strip() or None)
    # these three flags are defined in cli.py (default []): an empty list means "not given"
    share_to, _ = _items(args.share_recipient or None, env, "share_recipient")
    grant_to, _ = _items(args.grant_principal or None, env, "grant_principal")
    networks, _ = _items(args.allow_network or None, env, "allow_network")
    settings: dict[str, Any] = {
        "tools": _tool_names(tools, tools_src, known) if tools else None,
        "paths": tuple(paths) if paths else ("**",),
        "read_only": _read_only(args.read_only, env),
        "require_approval": DEFAULT_REQUIRE_APPROVAL | _tool_names(approve, approve_src, set(TOOL_NAMES)),
        "host_bindings": _bindings(hosts, hosts_src, "host"),
        "tool_bindings": _bindings(bound_tools, bound_src, "tool"),
        "share_recipients": tuple(share_to),
        "grant_principals": tuple(grant_to),
        "http_allow_networks": tuple(networks),
    }
    try:
        return OperatorPolicy(**settings, **fixed), vault
    except ValueError as exc:  # the policy's own checks (e.g. an allowlist entry it cannot read)
        raise PolicyError(str(exc)) from None
