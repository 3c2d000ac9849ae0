"""``oneclaw-mcp``: serve the tools over stdio (default) or streamable HTTP.

Configuration is 1Claw's: ``ONECLAW_AGENT_API_KEY`` or ``ONECLAW_AGENT_TOKEN`` (with
``ONECLAW_AGENT_ID``, ``ONECLAW_VAULT_ID``, ``ONECLAW_BASE_URL``) selects the 1Claw API; without
them the embedded vault is used (``ONECLAW_LOCAL_VAULT``, default: the user data folder), and it
must exist (``oneclaw-tools init``): the server never answers from a new, empty vault. All of it
goes through :func:`oneclaw_tools.open_backend`, so the CLI, the library and this server agree.
At start the server prints one line on stderr naming the backend and vault it opened (and, over
HTTP, where it listens).

The HTTP bearer token comes from ``ONECLAW_MCP_TOKEN`` or ``--token-file``, never from argv
(argv is visible to every local user).

Operator settings (``--tools``, ``--paths``, ``--vault``, ``--read-only``, ``--bind-host``,
``--bind-tool``, ``--approve``, or their ``ONECLAW_MCP_*`` variables, see
:mod:`oneclaw_mcp.policy_config`; ``--allow-http-loopback``) become the session's
:class:`~oneclaw_tools.OperatorPolicy`: they are fixed at start and out of the model's reach.
``--wrap MODULE`` (every public function of a module) or ``--wrap MODULE:NAME`` serves third-party
tools beside ours through the placeholder wrapper: the one call that guards every tool the server has.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio

from oneclaw_tools import ALL_TOOLS, Session, __version__, open_backend
from oneclaw_tools.errors import OneClawError
from oneclaw_tools.naming import check_prefix

from .policy_config import PolicyError, add_policy_arguments, policy_from
from .server import SessionFactory, WrappedTool, wrap_function
from .transports import DEFAULT_HOST, DEFAULT_PATH, is_loopback, quiet_disconnects, run_stdio, serve_http

__all__ = ["TOKEN_ENV", "load_wrapped_tools", "main", "read_token"]

TOKEN_ENV = "ONECLAW_MCP_TOKEN"  # noqa: S105 (the variable's name, not a token)


class UsageError(Exception):
    """A configuration problem reported on stderr with exit status 2."""


def read_token(token_file: str | None) -> str | None:
    """The bearer token: ``--token-file`` first, then ``ONECLAW_MCP_TOKEN``; None if neither is set."""
    if token_file is not None:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file: {exc.strerror}") from None
        if not token:
            raise UsageError("the token file is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


PREFIX_ENV = "ONECLAW_MCP_TOOL_PREFIX"


def _prefix(value: str) -> str:
    try:
        return check_prefix(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _module_tools(module: Any, reference: str) -> list[WrappedTool]:
    """Every public function defined in ``module`` (or named in its ``__all__``), as a tool."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
        ]
    tools: list[WrappedTool] = []
    for name in names:
        func = getattr(module, name)
        if isinstance(func, WrappedTool):
            tools.append(func)
        elif inspect.isfunction(func):
            tools.append(_function_tool(func, f"{reference}.{name}"))
    if not tools:
        raise UsageError(f"--wrap {reference}: the module defines no public function to serve")
    return tools


def _function_tool(func: Callable[..., Any], where: str) -> WrappedTool:
    description = inspect.getdoc(func)
    if not description:
        raise UsageError(f"--wrap {where}: the function has no docstring (a tool needs a description)")
    try:
        return wrap_function(func.__name__, description, func)
    except TypeError as exc:
        raise UsageError(f"--wrap {where}: {exc}") from None


def load_wrapped_tools(reference: str) -> list[WrappedTool]:
    """Third-party tools from ``MODULE`` or ``MODULE:NAME``.

    ``MODULE`` alone serves every public function the module defines (or lists in ``__all__``),
    each under its own name with its docstring as the description. ``NAME`` is a function (served
    as one tool), an iterable of :class:`WrappedTool`, a mapping ``name -> (description,
    function)``, or a function without parameters returning one of those.
    """
    module_name, colon, attr = reference.partition(":")
    if not module_name or (colon and not attr):
        raise UsageError(f"--wrap expects MODULE or MODULE:NAME, got {reference!r}")
    try:
        module = importlib.import_module(module_name)
        target: Any = getattr(module, attr) if attr else module
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--wrap {reference}: {type(exc).__name__}") from None
    if not attr:
        return _module_tools(module, reference)
    if inspect.isfunction(target) and _needs_arguments(target):
        return [_function_tool(target, reference)]
    if callable(target) and not isinstance(target, Mapping):
        try:
            target = target()
        except Exception as exc:
            raise UsageError(f"--wrap {reference}: calling it failed ({type(exc).__name__})") from None
    expected = (
        "a function, WrappedTool objects, a name -> (description, function) map, or a function returning one"
    )
    try:
        if isinstance(target, Mapping):
            return [wrap_function(name, description, func) for name, (description, func) in target.items()]
        tools = list(target)
    except (TypeError, ValueError):
        raise UsageError(f"--wrap {reference}: expected {expected}") from None
    if not tools or not all(isinstance(tool, WrappedTool) for tool in tools):
        raise UsageError(f"--wrap {reference}: expected {expected}")
    return tools


def _needs_arguments(func: Any) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        for p in params
    )


def _common(parser: argparse.ArgumentParser) -> None:
    add_policy_arguments(parser)
    parser.add_argument(
        "--allow-http-loopback",
        action="store_true",
        help="let http_request reach loopback addresses and send handles over plain http to "
        "127.0.0.1/localhost (local development)",
    )
    parser.add_argument(
        "--allow-network",
        action="append",
        default=[],
        metavar="CIDR",
        help="a non-public network http_request may reach (e.g. 10.1.2.0/24); repeatable",
    )
    parser.add_argument(
        "--share-recipient",
        action="append",
        default=[],
        metavar="WHO",
        help="share_secret may reach WHO without a human (an e-mail, @domain, agent:ID, user:ID); repeatable",
    )
    parser.add_argument(
        "--grant-principal",
        action="append",
        default=[],
        metavar="WHO",
        help="grant_access may name WHO without a human (agent:ID or user:ID); repeatable",
    )
    parser.add_argument(
        "--tool-prefix",
        default=os.environ.get(PREFIX_ENV, ""),
        type=_prefix,
        metavar="PREFIX",
        help=f"put PREFIX before each of our tools' names, e.g. oneclaw_ (as the official 1Claw "
        f"integrations name them; the same option exists on every surface); also {PREFIX_ENV}",
    )
    parser.add_argument(
        "--wrap",
        action="append",
        default=[],
        metavar="MODULE[:NAME]",
        help="serve third-party tools beside ours, guarded: every public function of MODULE, or its NAME "
        "(a function, a list of wrapped tools or a name -> (description, function) map); "
        "{{secret:HANDLE}} placeholders in their arguments are resolved and their output scrubbed",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oneclaw-mcp",
        description="MCP server for secrets: the model gets handles and masked previews, never values.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="transport", required=True)
    _common(sub.add_parser("stdio", help="serve one session on stdin/stdout (the default)"))
    http = sub.add_parser("http", help="serve streamable HTTP with bearer authentication")
    _common(http)
    http.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s)")
    http.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    http.add_argument("--path", default=DEFAULT_PATH, help="endpoint path (default: %(default)s)")
    http.add_argument("--token-file", help=f"file holding the bearer token (else ${TOKEN_ENV})")
    http.add_argument(
        "--no-auth", action="store_true", help="serve without a token (refused unless --host is loopback)"
    )
    return parser


def _http_token(args: argparse.Namespace) -> str | None:
    if args.no_auth:
        if args.token_file is not None:
            raise UsageError("--no-auth and --token-file exclude each other")
        if not is_loopback(args.host):
            raise UsageError("--no-auth is allowed only on a loopback address (e.g. 127.0.0.1)")
        return None
    token = read_token(args.token_file)
    if token is None:
        raise UsageError(f"set {TOKEN_ENV} or pass --token-file (or --no-auth on loopback)")
    return token


class _HideInvalidMessages(logging.Filter):
    """The SDK logs a malformed client message with its raw input; the input may hold a value."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Received exception from stream"):
            record.msg, record.args = (
                "received a malformed message from the client (content not logged)",
                None,
            )
        return True


def _configure_logging() -> None:
    # stdout carries the protocol over stdio: everything else goes to stderr.
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="oneclaw-mcp: %(message)s")
    logging.getLogger("mcp.server.lowlevel.server").addFilter(_HideInvalidMessages())
    quiet_disconnects()


def _open_checked(vault: str | None) -> tuple[str, str | None]:
    """Open the configured backend once: what it is (for the start line) and the vault id.

    A missing embedded vault stops the server here, with the path and the command that creates it.
    """
    env = os.environ
    try:
        with open_backend(env) as backend:
            if backend.kind == "local":
                path = getattr(backend, "path", "?")
                if not getattr(backend, "exists", True):
                    raise UsageError(
                        f"there is no vault at {path}. Create it with `oneclaw-tools init`, or set "
                        "ONECLAW_LOCAL_VAULT to the vault file (or ONECLAW_AGENT_API_KEY / "
                        "ONECLAW_AGENT_TOKEN for 1Claw)"
                    )
                vault_id = backend.resolve_vault(vault) if vault else backend.default_vault_id()  # type: ignore[attr-defined]
                name = vault or "default"
                return f"the embedded vault {path} (vault '{name}', id {vault_id})", vault_id
            if backend.kind == "openbao":
                client = getattr(backend, "client", None)
                addresses = ", ".join(getattr(client, "addresses", ()) or ("?",))
                vault_id = backend.resolve_vault(vault) if vault else None  # type: ignore[attr-defined]
                where = f"vault {vault_id}" if vault_id else "its default vault"
                mount = getattr(backend, "_mount", "?")
                return f"OpenBao / Vault at {addresses} (KV mount {mount}, {where})", vault_id
            how = "ONECLAW_AGENT_API_KEY" if env.get("ONECLAW_AGENT_API_KEY") else "ONECLAW_AGENT_TOKEN"
            vault_id = vault or env.get("ONECLAW_VAULT_ID") or None
            where = f"vault {vault_id}" if vault_id else "the agent's default vault"
            base = getattr(backend, "_base_url", "?")
            return f"the 1Claw API at {base} ({where}, authenticated by {how})", vault_id
    except OneClawError as exc:
        raise UsageError(exc.message + (" " + exc.action if exc.action else "")) from None


def _session_factory(
    args: argparse.Namespace, extra: Sequence[WrappedTool]
) -> tuple[SessionFactory, str, list[WrappedTool]]:
    """The session factory, the start line, and the wrapped tools the policy keeps."""
    try:
        policy, vault = policy_from(
            args,
            allow_http_loopback=args.allow_http_loopback,
            extra_tools=[t.name for t in extra],
        )
    except (PolicyError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    described, vault_id = _open_checked(vault)
    kept = [t for t in extra if policy.tools is None or t.name in policy.tools]
    core = [
        spec
        for spec in ALL_TOOLS
        if (policy.tools is None or spec.name in policy.tools) and (spec.read_only or not policy.read_only)
    ]
    count = len(core) + len(kept)
    summary = f"serving {count} tools from {described}" + ("; read-only" if policy.read_only else "")

    def factory() -> Session:
        return Session(open_backend(os.environ), policy=policy, vault_id=vault_id)

    return factory, summary, kept


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in {"stdio", "http", "-h", "--help", "--version"}:
        argv.insert(0, "stdio")  # stdio is the default transport
    args = _parser().parse_args(argv)
    _configure_logging()
    try:
        token = _http_token(args) if args.transport == "http" else None
        extra = [tool for reference in args.wrap for tool in load_wrapped_tools(reference)]
        factory, summary, extra = _session_factory(args, extra)
        if args.transport == "http":
            print(f"oneclaw-mcp: {summary}", file=sys.stderr, flush=True)
            serve_http(
                factory,
                host=args.host,
                port=args.port,
                token=token,
                path=args.path,
                extra_tools=extra,
                tool_prefix=args.tool_prefix,
                on_listen=lambda url: print(f"oneclaw-mcp: listening on {url}", file=sys.stderr, flush=True),
            )
        else:
            print(f"oneclaw-mcp: {summary}", file=sys.stderr, flush=True)
            anyio.run(functools.partial(run_stdio, factory, extra_tools=extra, tool_prefix=args.tool_prefix))
    except UsageError as exc:
        print(f"oneclaw-mcp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
