"""``oneclaw-tools serve`` and ``oneclaw-tools agent create``: the local 1Claw-compatible server.

``serve`` binds 127.0.0.1 by default; anything else is the operator's explicit choice (and
should sit behind TLS). ``agent create NAME [--vault NAME_OR_ID]`` prints one JSON object
``{agent_id, api_key, vault_ids}`` on stdout: the key is shown this once only (the server
keeps a hash). With ``--vault`` the vault is created if needed, the agent is bound to it and
a policy grants it ``--permissions`` (default read,write,delete,rotate) on ``--pattern``
(default ``**``); ``--permissions none`` grants nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from ..config import default_local_vault_path
from ..errors import InvalidArgument, NotFound

__all__ = ["register"]

_ALL_PERMISSIONS = "read,write,delete,rotate"


def register(subparsers: Any) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run a local 1Claw-compatible REST server over the embedded vault",
        description="Serve the embedded vault over 1Claw's REST API (agents authenticate with ocv_ keys).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port (default 8787)")
    serve.add_argument(
        "--token-ttl",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="access token lifetime (default 900)",
    )
    serve.add_argument(
        "--vault-file", type=Path, default=None, help="vault file (default: ONECLAW_LOCAL_VAULT)"
    )
    serve.set_defaults(func=_serve)

    agent = subparsers.add_parser("agent", help="manage the local server's agents")
    agent_sub = agent.add_subparsers(dest="agent_command", metavar="SUBCOMMAND", required=True)
    create = agent_sub.add_parser(
        "create",
        help="create an agent and print its API key once, as JSON",
        description="Create an agent of the local server and print {agent_id, api_key, vault_ids} as "
        "JSON; the key is shown this once only (the server keeps a hash). With --vault the vault is "
        "created if needed, the agent is bound to it and a policy grants it --permissions (default "
        "read,write,delete,rotate) on --pattern (default **); --permissions none grants nothing.",
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--vault", metavar="NAME_OR_ID", default=None, help="bind the agent to this vault")
    create.add_argument("--permissions", default=_ALL_PERMISSIONS, help="granted on --vault, or 'none'")
    create.add_argument("--pattern", default="**", help="secret path glob for the grant (default **)")
    create.add_argument(
        "--vault-file", type=Path, default=None, help="vault file (default: ONECLAW_LOCAL_VAULT)"
    )
    create.set_defaults(func=_agent_create)


def _vault_file(args: argparse.Namespace) -> Path:
    path: Path | None = args.vault_file
    return path.expanduser() if path is not None else default_local_vault_path(os.environ)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..server import open_server

    if not 0 <= args.port <= 65535:
        raise InvalidArgument("--port", "must be between 0 and 65535")
    if args.token_ttl <= 0:
        raise InvalidArgument("--token-ttl", "must be a positive number of seconds")
    server = open_server(_vault_file(args), env=os.environ, token_ttl=args.token_ttl)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: serving beyond this machine without TLS exposes tokens and values", file=sys.stderr)
    print(f"oneclaw-tools: serving the 1Claw API on http://{args.host}:{args.port}", file=sys.stderr)
    if server.page is not None:
        # the one-time login link of the approval page (answers to this machine only)
        print(
            f"oneclaw-tools: approval page (one-time login link): http://127.0.0.1:{args.port}{server.page.login_path()}",
            file=sys.stderr,
        )
    try:
        uvicorn.run(
            server.app, host=args.host, port=args.port, log_level="info", access_log=False, lifespan="off"
        )
    finally:
        server.close()
    return 0


def _agent_create(args: argparse.Namespace) -> int:
    from ..backends.local import LocalVault
    from ..server.agents import AgentStore, agents_path_for
    from ..validation import validate_pattern, validate_permissions

    perms: tuple[str, ...] = ()
    if args.permissions.strip().lower() != "none":
        perms = validate_permissions(
            [p.strip() for p in args.permissions.split(",") if p.strip()], "--permissions"
        )
    pattern = validate_pattern(args.pattern, "--pattern")
    path = _vault_file(args)
    vault = LocalVault(path, env=os.environ)
    agents = AgentStore(agents_path_for(path))
    try:
        vault_ids: list[str] = []  # none: an unbound agent, reaching only vaults where a policy names it
        if args.vault is not None:
            try:
                vault_id = vault.resolve_vault(args.vault)
            except NotFound:
                vault_id = vault.create_vault(args.vault).id
            vault_ids.append(vault_id)
        record, key = agents.create_agent(args.name, vault_ids or None)
        for vault_id in vault_ids:
            if perms:
                vault.create_policy(
                    vault_id,
                    principal_type="agent",
                    principal_id=record.id,
                    secret_path_pattern=pattern,
                    permissions=perms,
                )
        print(json.dumps({"agent_id": record.id, "api_key": key.reveal_unsafe(), "vault_ids": vault_ids}))
        print("The API key is shown only this once; store it now.", file=sys.stderr)
    finally:
        agents.close()
        vault.close()
    return 0
