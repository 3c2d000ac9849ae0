"""The approval gate a session runs before a tool the operator marked ``require_approval``.

At execution time the gate rebuilds the :class:`~oneclaw_tools.hitl.action.Action` from the
arguments actually being executed and asks the store for an approved, unexpired, unused grant
with that action's digest. One is consumed (single use) and the tool runs; otherwise:

* with an ``approver`` callback in the policy, the callback decides (recorded like any other
  decision, then consumed);
* without one, a pending request is filed and the call fails with ``ApprovalRequired`` naming
  the request id and how a human approves it (``oneclaw-tools approve ID`` or the page).

Nothing the model sends can mark an action approved: arguments are validated against the
tool's model (unknown fields are an error), the digest is computed here, and decisions come
only from the store, written by a human's channel (CLI, page, MCP elicitation, a framework
interrupt answered by the application).

Adapters call :meth:`ApprovalGate.pending_for` before running a tool, to ask the human through
their framework's own mechanism, record the decision with :meth:`HitlStore.decide` (bound to the
digest they showed), then run the tool, which consumes the grant here.

What a human reads (the summary, the stored fields, what an adapter shows with
:meth:`ApprovalGate.for_human`) holds every identifier as typed, even one shaped like a token
(the human must see who would receive a share), and never a value the session's guard knows:
such a field is :data:`~oneclaw_tools.hitl.action.WITHHELD`. The model's own channel is
scrubbed in full, as everything returned to it.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .errors import ApprovalRequired, OneClawError, PermissionDenied
from .hitl.action import VALUE_ARGS, WITHHELD, Action, action_for
from .hitl.store import ApprovalRecord, HitlStore
from .policy import ApprovalRequest

if TYPE_CHECKING:
    from .guard import Guard
    from .policy import OperatorPolicy
    from .services import Services
    from .tools import ToolSpec

__all__ = ["VALUE_ARGS", "ApprovalGate", "how_to_approve"]

logger = logging.getLogger("oneclaw_tools.hitl")


def how_to_approve(approval_id: str) -> str:
    """The guidance a refusal carries: how a human approves, and how an operator allows."""
    return (
        f"A human must approve it: run `oneclaw-tools approve {approval_id}` (or use the approval page "
        "of `oneclaw-tools serve`), then call the tool again with the same arguments. Tell the user; "
        "do not change the arguments. The operator may instead configure an approver "
        "(OperatorPolicy(approver=...)) or name this recipient or principal in "
        "OperatorPolicy(share_recipients=... / grant_principals=...)."
    )


class ApprovalGate:
    """Per session: builds actions, files requests, consumes grants."""

    def __init__(
        self, services: Services, guard: Guard, policy: OperatorPolicy, specs: Mapping[str, ToolSpec]
    ) -> None:
        self._services = services
        self._guard = guard
        self._policy = policy
        self._specs = specs
        self._seal_key = secrets.token_bytes(32)  # seals value-carrying arguments; never stored

    def __repr__(self) -> str:
        return "ApprovalGate()"

    @property
    def store(self) -> HitlStore:
        return self._services.hitl_store

    @property
    def agent(self) -> str:
        return self._services.agent

    def action(self, tool: str, parsed: BaseModel) -> Action:
        args = parsed.model_dump(mode="json")
        vault_id = None
        if "vault_id" in args:
            vault_id = self._services.vault_for(args.get("vault_id"))
        action = action_for(tool, args, vault_id=vault_id, agent=self.agent, seal_key=self._seal_key)
        held = frozenset(k for k, v in action.fields.items() if self._guard.contains_secret(v))
        return replace(action, withheld=held) if held else action

    def summary(self, action: Action) -> str:
        """The line a human approves: identifiers as typed, known values withheld."""
        text = action.summary()
        if self._guard.contains_secret(text):  # a known value spread over two fields: mask it all
            return str(self._guard.scrub(text))
        return text

    def for_human(self, obj: Any) -> Any:
        """``obj`` (str, dict, list, tuple) as a human may read it: each string holding a value the
        guard knows becomes :data:`WITHHELD`, everything else stays as typed."""
        if isinstance(obj, str):
            return WITHHELD if self._guard.contains_secret(obj) else obj
        if isinstance(obj, Mapping):
            return {self.for_human(k): self.for_human(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.for_human(v) for v in obj]
        return obj

    def pending_for(self, tool: str, args: Mapping[str, Any]) -> ApprovalRecord | None:
        """The request a human must decide before ``tool(**args)`` may run, or None (no approval
        needed, a grant is already waiting, or the arguments are invalid: the call reports that)."""
        spec = self._specs.get(tool)
        if spec is None or not isinstance(args, Mapping) or not self._policy.needs_approval(tool, args):
            return None
        if not spec.takes_values and self._guard.contains_secret(dict(args)):
            return None  # the call refuses a known value before any human is asked
        try:
            action = self.action(tool, spec.args_model.model_validate(dict(args)))
            if self.store.has_grant(action.digest):
                return None
            return self._file(action)
        except (ValidationError, ValueError, TypeError, OneClawError):
            # invalid arguments, a vault lookup that failed, too many pending requests: the
            # call itself reports it to the model, with the same words as on every surface
            return None

    def _file(self, action: Action) -> ApprovalRecord:
        record = self.store.request(action, self.summary(action))
        self._services.audit(
            "approval_requested", outcome="pending", detail=f"{record.id}: {record.summary}", tool=action.tool
        )
        return record

    def check(self, tool: str, parsed: BaseModel) -> None:
        """Let the call run only with a grant for exactly this action (consumed here)."""
        action = self.action(tool, parsed)
        grant = self.store.consume(action.digest, by=self.agent)
        if grant is not None:
            self._services.audit("approval_used", detail=f"{grant.id}: {grant.summary}", tool=tool)
            return
        record = self._file(action)
        if self._policy.approver is not None:
            self._ask_callback(tool, record, parsed)
            return
        raise ApprovalRequired(
            f"{tool} needs a human's approval (request {record.id}: {record.summary}).",
            approval_request_id=record.id,
            action=how_to_approve(record.id),
        )

    def _ask_callback(self, tool: str, record: ApprovalRecord, parsed: BaseModel) -> None:
        s = self._services
        shown = {k: v for k, v in parsed.model_dump(mode="json").items() if k not in VALUE_ARGS}
        request = ApprovalRequest(
            tool=tool,
            summary=record.summary,
            arguments=self.for_human(shown),
            id=record.id,
            digest=record.digest,
        )
        assert self._policy.approver is not None
        try:
            approved = bool(self._policy.approver(request))
        except Exception as exc:
            logger.warning("approver failed with %s; treating as a denial", type(exc).__name__)
            approved = False
        self.store.decide(record.id, approve=approved, by="approver-callback", digest=record.digest)
        s.audit(
            "approval",
            outcome="ok" if approved else "denied",
            detail=f"{record.id}: {record.summary}",
            tool=tool,
        )
        if not approved:
            raise PermissionDenied(
                f"a human denied {tool}.", action="Do not retry; ask the user what to do instead."
            )
        grant = self.store.consume(record.digest, by=self.agent)
        if grant is None:  # pragma: no cover - just approved in this thread
            raise ApprovalRequired(f"{tool} needs a human's approval.", approval_request_id=record.id)
        s.audit("approval_used", detail=f"{grant.id}: {grant.summary}", tool=tool)

    def refuse(self, record: ApprovalRecord, *, by: str, reason: str) -> PermissionDenied:
        """Record a denial made through a framework channel; the error the model sees."""
        try:
            self.store.decide(record.id, approve=False, by=by, digest=record.digest)
        except OneClawError as exc:  # already decided or expired: the refusal stands
            logger.info("denial of %s not recorded: %s", record.id, exc.code)
        self._services.audit(
            "approval", outcome="denied", detail=f"{record.id}: {record.summary} ({by})", tool=record.tool
        )
        return PermissionDenied(
            f"{record.tool} was not approved: {reason} (request {record.id}).",
            action="Do not retry the same call; ask the user what to do instead.",
        )

    def approve(self, record: ApprovalRecord, *, by: str) -> None:
        """Record an approval given through a framework channel (bound to ``record``'s digest)."""
        self.store.decide(record.id, approve=True, by=by, digest=record.digest)
        self._services.audit(
            "approval", outcome="ok", detail=f"{record.id}: {record.summary} ({by})", tool=record.tool
        )
