"""One small error tree, translated at one boundary.

Every failure a tool can meet is a :class:`OneClawError` carrying an HTTP-like
``status``, a ``message`` that is safe to show a model (never a secret value, never a
raw server body) and an ``action`` telling an agent what to do next::

    OneClawError
    ├── InvalidArgument          400  which argument, which rule
    ├── NotAuthenticated         401
    ├── PaymentRequired          402
    ├── PermissionDenied         403
    │   ├── ApprovalRequired     403  a human must approve (operator policy or server)
    │   └── ResourceLimitExceeded 403
    ├── NotFound                 404
    ├── Conflict                 409
    ├── Gone                     410  expired, deleted, disabled, used up
    ├── RateLimited              429  retry_after seconds
    ├── PayloadTooLarge          413
    ├── ServerError              5xx
    ├── TransportError           connection failed / timed out (safe to retry)
    │   └── OutcomeUnknown       a write may or may not have happened: never repeated blindly
    ├── IntegrityError           a ciphertext failed authentication: wrong key or tampered row
    └── ToolCrashed              an unexpected failure: the model sees only "tool X failed"

Adapters render :meth:`OneClawError.for_model` their framework's way; the session passes
that text through the redaction guard first.
"""

from __future__ import annotations

__all__ = [
    "ApprovalRequired",
    "Conflict",
    "Gone",
    "IntegrityError",
    "InvalidArgument",
    "NotAuthenticated",
    "NotFound",
    "OneClawError",
    "OutcomeUnknown",
    "PayloadTooLarge",
    "PaymentRequired",
    "PermissionDenied",
    "RateLimited",
    "ResourceLimitExceeded",
    "ServerError",
    "ToolCrashed",
    "TransportError",
    "error_for_status",
]


class OneClawError(Exception):
    """Base class. ``str(err)`` is the safe message plus the action."""

    status: int | None = None
    code: str = "error"
    default_action: str = ""

    def __init__(self, message: str, *, action: str | None = None) -> None:
        self.message = message
        self.action = self.default_action if action is None else action
        super().__init__(self.for_model())

    def for_model(self) -> str:
        """The text an agent sees: status, meaning, message, what to do."""
        head = f"Error {self.status} ({self.code})" if self.status else f"Error ({self.code})"
        text = f"{head}: {self.message}"
        if self.action:
            text += f" {self.action}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {"error": self.code, "status": self.status, "message": self.message, "action": self.action}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class InvalidArgument(OneClawError):
    status = 400
    code = "invalid_argument"
    default_action = "Fix that argument and call the tool again."

    def __init__(self, argument: str, rule: str, *, action: str | None = None) -> None:
        self.argument = argument
        self.rule = rule
        super().__init__(f"argument '{argument}': {rule}.", action=action)


class NotAuthenticated(OneClawError):
    status = 401
    code = "not_authenticated"
    default_action = "The vault token expired or is invalid; the operator must re-authenticate."


class PaymentRequired(OneClawError):
    status = 402
    code = "payment_required"
    default_action = "The free-tier quota is exhausted; tell the user to upgrade their plan."


class PermissionDenied(OneClawError):
    status = 403
    code = "permission_denied"
    default_action = "Ask the user to grant access via a policy."


class ApprovalRequired(PermissionDenied):
    code = "approval_required"
    default_action = "A human must approve this action; ask the user to approve it, then retry."

    def __init__(
        self, message: str, *, approval_request_id: str | None = None, action: str | None = None
    ) -> None:
        self.approval_request_id = approval_request_id
        super().__init__(message, action=action)


class ResourceLimitExceeded(PermissionDenied):
    code = "resource_limit_exceeded"
    default_action = "A plan limit was reached; tell the user to free resources or upgrade."


class NotFound(OneClawError):
    status = 404
    code = "not_found"
    default_action = "Check the path with list_secrets."


class Conflict(OneClawError):
    status = 409
    code = "conflict"
    default_action = "Pick another name."


class Gone(OneClawError):
    status = 410
    code = "gone"
    default_action = "It expired, was deleted or used up; ask the user to store a new version."


class PayloadTooLarge(OneClawError):
    status = 413
    code = "payload_too_large"
    default_action = "Send a smaller value."


class RateLimited(OneClawError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, action: str | None = None) -> None:
        self.retry_after = retry_after
        if action is None:
            action = (
                f"Wait {retry_after:g} seconds, then retry."
                if retry_after is not None
                else "Wait a little, then retry."
            )
        super().__init__(message, action=action)


class ServerError(OneClawError):
    status = 500
    code = "server_error"
    default_action = "The vault service failed; retry later."

    def __init__(self, message: str, *, status: int = 500, action: str | None = None) -> None:
        self.status = status
        super().__init__(message, action=action)


class TransportError(OneClawError):
    code = "unavailable"
    default_action = "The vault could not be reached; retry later."


class OutcomeUnknown(TransportError):
    code = "outcome_unknown"
    default_action = (
        "The write may or may not have been applied; check with describe_secret or "
        "list_versions before writing again."
    )


class IntegrityError(OneClawError):
    status = 500
    code = "integrity_error"
    default_action = "The vault key is wrong or the vault file was tampered with; tell the operator."


class ToolCrashed(OneClawError):
    code = "tool_failed"
    default_action = "Do not retry with the same arguments; tell the user."

    def __init__(self, tool: str) -> None:
        self.tool = tool
        super().__init__(f"tool {tool} failed.")


_BY_STATUS: dict[int, type[OneClawError]] = {
    401: NotAuthenticated,
    402: PaymentRequired,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: PayloadTooLarge,
}


def error_for_status(status: int, message: str) -> OneClawError:
    """The typed error for an HTTP status (400 and 429 have their own constructors)."""
    if status == 400:
        return InvalidArgument("request", message.rstrip("."))
    if status == 429:
        return RateLimited(message)
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls(message)
    if status >= 500:
        return ServerError(message, status=status)
    return OneClawError(message)
