"""Capture: a credential that shows up in a tool's output is quarantined, not just masked.

With ``policy.capture``, :func:`capture` looks for well-known credential formats (the guard's
pattern detectors) in the strings of a tool's output. Each one the guard does not know yet is
stored in the vault under ``policy.capture_prefix`` (metadata ``captured: true``), gets a
handle, is registered with the guard, and is replaced in the output by its mask, so the model
can still use it through the handle without ever seeing it. Each capture is audited.

Capture obeys the policy. The option chosen: a policy that could not honour a capture is
refused when it is built (``capture`` with ``read_only``, or a ``capture_prefix`` outside the
allowed ``paths``: :class:`~oneclaw_tools.policy.OperatorPolicy` raises), and captures always go
to the session's own vault, never to one a tool argument names. At most
``policy.capture_max_per_call`` values are stored per tool call, so a hostile output cannot fill
the vault; the rest are still masked by the guard's patterns and the excess is audited.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .audit import current_tool, tool_scope
from .guard import Guard
from .models import Secret, SecretValue

if TYPE_CHECKING:
    from .tools.context import ToolContext

__all__ = ["capture"]


def capture(ctx: ToolContext, guard: Guard, obj: Any) -> Any:
    """``obj`` with each newly detected credential stored, handled and masked (capped per call)."""
    budget = [ctx.policy.capture_max_per_call]
    out = _capture(ctx, guard, obj, budget)
    if budget[0] < 0:
        ctx.audit(
            "capture_capped",
            outcome="denied",
            detail=f"{-budget[0]} more credential(s) masked but not stored (cap "
            f"{ctx.policy.capture_max_per_call} per call)",
        )
    return out


def _capture(ctx: ToolContext, guard: Guard, obj: Any, budget: list[int]) -> Any:
    if isinstance(obj, str):
        detect = getattr(guard, "detect", None)
        if detect is None:
            return obj
        for finding in sorted(detect(obj), key=lambda f: f.start, reverse=True):
            value = obj[finding.start : finding.end]
            if guard.contains_secret(value):
                continue  # already known: the guard masks it
            budget[0] -= 1
            if budget[0] < 0:
                continue  # over the cap: the guard's patterns still mask it
            rule = re.sub(r"[^A-Za-z0-9_-]", "-", str(finding.rule))[:40] or "credential"
            path = f"{ctx.policy.capture_prefix}/{rule}-{secrets.token_hex(4)}"
            with tool_scope(current_tool() or "capture"):
                meta = ctx.backend.put_secret(
                    ctx.vault_for(None), path, value, type="api_key", metadata={"captured": True}
                )
            handle = ctx.issue_handle(Secret(meta, SecretValue(value)))
            ctx.audit("captured", detail=f"{finding.rule} stored at {path}", path=path)
            obj = obj[: finding.start] + guard.register(value, handle.id) + obj[finding.end :]
        return obj
    if isinstance(obj, Mapping):
        return {k: _capture(ctx, guard, v, budget) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_capture(ctx, guard, v, budget) for v in obj]
    return obj
