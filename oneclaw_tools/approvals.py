"""Approvals: a human decides, through a channel the model cannot write to.

For a call that ``policy.needs_approval`` (a tool in ``require_approval`` whose recipient or
principal is not on the operator's allowlist), :func:`require_approval` shows the operator's
approver the exact action (tool and arguments, scrubbed; arguments that may carry a value are
left out) and proceeds only on a yes. No approver configured, a no, or an approver that fails:
the call is refused, and each outcome is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import ApprovalRequired, PermissionDenied
from .guard import Guard
from .policy import ApprovalRequest, OperatorPolicy

if TYPE_CHECKING:
    from .tools.context import ToolContext

__all__ = ["VALUE_ARGS", "require_approval"]

logger = logging.getLogger("oneclaw_tools.session")

#: arguments an approver never sees (they may carry a value)
VALUE_ARGS = frozenset({"value", "body", "json_body", "headers", "query"})


def require_approval(
    ctx: ToolContext, guard: Guard, policy: OperatorPolicy, name: str, args: Mapping[str, Any]
) -> None:
    """Return if a human approved ``name(args)``; raise otherwise."""
    shown = {k: v for k, v in args.items() if k not in VALUE_ARGS}
    summary = f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"
    request = ApprovalRequest(tool=name, summary=guard.scrub(summary), arguments=guard.scrub_obj(shown))
    if policy.approver is None:
        ctx.audit("approval_missing", outcome="denied", detail=request.summary, tool=name)
        raise ApprovalRequired(
            f"{name} needs a human's approval and no approver is configured.",
            action="Tell the user that the operator can allow it by configuring an approver "
            "(OperatorPolicy(approver=...)), by naming this recipient or principal in "
            "OperatorPolicy(share_recipients=... / grant_principals=...), or by removing "
            f"{name} from require_approval. Do not retry until then.",
        )
    try:
        approved = bool(policy.approver(request))
    except Exception as exc:
        logger.warning("approver failed with %s; treating as a denial", type(exc).__name__)
        approved = False
    ctx.audit("approval", outcome="ok" if approved else "denied", detail=request.summary, tool=name)
    if not approved:
        raise PermissionDenied(
            f"a human denied {name}.", action="Do not retry; ask the user what to do instead."
        )
