"""``oneclaw-tools tools`` and ``oneclaw-tools call``: the tool surface, exactly as a model sees it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import InvalidArgument
from ..validation import parse_json_object

__all__ = ["register"]


def _tools(args: argparse.Namespace) -> int:
    from ..session import Session

    with Session.from_env(scrub_logs=False) as session:
        out = [
            {"name": s.name, "description": s.description, "parameters": s.json_schema()}
            for s in session.specs
        ]
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


def _read_args(text: str) -> dict[str, Any]:
    if text == "-":
        text = sys.stdin.read()
    return parse_json_object(text, "JSON-ARGS") if text.strip() else {}


def _call(args: argparse.Namespace) -> int:
    from ..session import Session, ToolError

    data = _read_args(args.json_args)
    if args.json_args != "-" and data.get("value") is not None:
        raise InvalidArgument(
            "JSON-ARGS",
            "must not carry a secret value on the command line; pass '-' and pipe the JSON on stdin",
        )
    with Session.from_env() as session:
        try:
            result = session.call(args.tool, data)
        except ToolError as err:
            print(f"oneclaw-tools call: {args.tool} failed; a model would see: {err.text}", file=sys.stderr)
            return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tools", help="print each tool's name, description and JSON schema, as JSON")
    p.set_defaults(func=_tools)
    from ..tools import TOOL_NAMES

    p = sub.add_parser(
        "call",
        help="call a tool and print exactly what a model would receive",
        description="Call TOOL with JSON-ARGS and print what a model would receive. Use '-' to read "
        "the arguments from stdin (required when they carry a secret value). "
        'Example: oneclaw-tools call get_secret \'{"path": "prod/api_key"}\'',
        epilog="tools: " + ", ".join(TOOL_NAMES) + ". 'oneclaw-tools tools' prints their arguments.",
    )
    p.add_argument("tool", metavar="TOOL", choices=TOOL_NAMES, help="one of the tools listed below")
    p.add_argument(
        "json_args",
        metavar="JSON-ARGS",
        nargs="?",
        default="{}",
        help="the tool's arguments as a JSON object (default {}); '-' reads them from stdin",
    )
    p.set_defaults(func=_call)
