"""Placeholders: ``{{secret:HANDLE}}`` in arguments, resolved just in time and never earlier.

:func:`substitute` walks strings, mappings, lists and tuples and replaces each placeholder with
what ``reveal`` returns for its handle id; ``reveal`` does the checking (the handle allows this
tool, this destination, is not expired or used up) and raises to refuse. :func:`for_tool` is the
walk for a third-party tool: each handle must allow the tool, and each use or refusal is audited.
:func:`refuse_known_values` is the exfiltration guard: arguments that already carry a value the
guard knows are refused before anything runs.

A placeholder that names anything but a handle (``{{secret:prod/stripe}}``: a path, a name, a
value) is refused, never passed on as text: a model that skipped ``get_secret`` is told to call
it, and the destination never receives the literal placeholder. The reference is named in the
refusal only when it is a valid secret path with a '/' (it could be a value pasted in the wrong place).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import InvalidArgument, PermissionDenied
from .guard import Guard
from .handles import HANDLE_PATTERN

if TYPE_CHECKING:
    from .tools.context import ToolContext

__all__ = [
    "ANY_PLACEHOLDER",
    "PLACEHOLDER",
    "check_references",
    "env_for",
    "for_tool",
    "refuse_known_values",
    "substitute",
]

PLACEHOLDER = re.compile(HANDLE_PATTERN)
#: anything written like a placeholder, whatever it names (case and spaces too)
ANY_PLACEHOLDER = re.compile(r"\{\{\s*secret\s*:\s*([^{}]{0,300}?)\s*\}\}", re.IGNORECASE)
_HANDLE_ID = re.compile(r"h_[A-Za-z0-9_\-]{8,64}")


def check_references(text: str) -> None:
    """Refuse a placeholder in ``text`` that is not exactly ``{{secret:h_…}}``."""
    for match in ANY_PLACEHOLDER.finditer(text):
        if PLACEHOLDER.fullmatch(match.group(0)):
            continue
        ref = match.group(1).strip()
        if _HANDLE_ID.fullmatch(ref):
            raise InvalidArgument(
                "placeholder",
                "is not written as {{secret:HANDLE}} (lower-case 'secret:', no space after the colon)",
                action=f"Write it exactly as {{{{secret:{ref}}}}}.",
            )
        from .validation import validate_path

        named = ""
        if "/" in ref:  # a one-word reference may be a value typed in the wrong place: not repeated
            try:
                named = f" ('{validate_path(ref)}' looks like a secret path)"
            except InvalidArgument:
                named = ""
        raise InvalidArgument(
            "placeholder",
            f"names no live handle{named}; a placeholder takes the handle get_secret returns, "
            "never a path or a value",
            action="Call get_secret for the secret first, then pass the placeholder it returns, "
            "{{secret:h_…}}.",
        )


def substitute(obj: Any, reveal: Callable[[str], str]) -> Any:
    """``obj`` with every placeholder in its strings replaced by ``reveal(handle_id)``."""
    if isinstance(obj, str):
        if "{{" not in obj:
            return obj
        check_references(obj)
        return PLACEHOLDER.sub(lambda match: reveal(match.group(1)), obj)
    if isinstance(obj, Mapping):
        return {k: substitute(v, reveal) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(substitute(v, reveal) for v in obj)
    return obj


def for_tool(ctx: ToolContext, obj: Any, *, tool: str) -> Any:
    """Resolve placeholders for ``tool``: every handle must allow it; uses and refusals audited."""

    def reveal(handle_id: str) -> str:
        try:
            handle = ctx.handles.consume(handle_id, tool=tool)
        except PermissionDenied as exc:
            ctx.audit("handle_refused", outcome="denied", detail=exc.message, tool=tool)
            raise
        ctx.audit("handle_used", detail=f"{handle.id} for {handle.path}", tool=tool)
        return handle.value.reveal_unsafe()

    return substitute(obj, reveal)


def env_for(ctx: ToolContext, variables: Mapping[str, str], *, tool: str) -> dict[str, str]:
    """Environment variables for a process run by ``tool``: each value is a handle id or text
    with placeholders; every handle must allow ``tool``."""
    out: dict[str, str] = {}
    for key, ref in variables.items():
        text = "{{secret:" + ref + "}}" if ref.startswith("h_") and "{{" not in ref else ref
        out[key] = for_tool(ctx, text, tool=tool)
    return out


def refuse_known_values(ctx: ToolContext, guard: Guard, args: Mapping[str, Any], *, tool: str) -> None:
    """Refuse (audited) arguments that carry a value the guard knows: use a placeholder instead."""
    if guard.contains_secret(dict(args)):
        ctx.audit("exfiltration_blocked", outcome="denied", detail=f"arguments of {tool}", tool=tool)
        raise PermissionDenied(
            "the arguments contain a secret value; refusing to send it anywhere.",
            action="Use the handle placeholder {{secret:HANDLE}} instead of the value.",
        )
