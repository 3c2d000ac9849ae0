"""Sans-I/O core of the remote backend: what to send, how to read the answer, when to retry.

Nothing here touches a socket. :func:`exchange` is a generator that yields an
:class:`httpx.Request` (send it and pass back the response or the transport exception) or a
:class:`Sleep`, and finally returns the parsed result. The sync and async clients in
:mod:`.remote` drive the same generator; only the sending and the sleeping differ.

Retry rules (1Claw's own clients never retry; these are ours):

* a request that never reached the server (connect error, connect/pool timeout, or the
  token exchange before it failed) is retried for every method;
* ``429`` is retried for every method (the rate limit runs before any handler), after
  ``Retry-After`` when given and not longer than ``max_retry_after``;
* ``5xx``, read timeouts and dropped connections are retried for ``GET`` only;
* a write that may have reached the server and got no clear answer raises
  :class:`~oneclaw_tools.errors.OutcomeUnknown` and is never repeated: repeating a ``PUT``
  would create a duplicate version.

Error messages are built here from the status and the operation only. A server body is
never copied into a message: it could echo a value.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from ..errors import (
    ApprovalRequired,
    Conflict,
    Gone,
    InvalidArgument,
    NotAuthenticated,
    NotFound,
    OneClawError,
    OutcomeUnknown,
    PayloadTooLarge,
    PaymentRequired,
    PermissionDenied,
    RateLimited,
    ResourceLimitExceeded,
    ServerError,
    TransportError,
)

__all__ = [
    "Call",
    "NotSent",
    "RetryPolicy",
    "Sleep",
    "encode_path",
    "error_from_response",
    "exchange",
    "parse_retry_after",
]

T = TypeVar("T")
log = logging.getLogger("oneclaw_tools.remote")

_ID_RE = re.compile(r"[A-Za-z0-9_\-:.]{1,128}")
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def encode_path(path: str) -> str:
    """Percent-encode each segment and keep ``/`` literal.

    This is what the 1Claw MCP server sends and what the Python and TypeScript SDKs send for
    ordinary paths; the hosted API's wildcard route and the local server both accept it.
    """
    return "/".join(quote(seg, safe="") for seg in path.split("/"))


def encode_id(value: str) -> str:
    """An id used as one URL segment."""
    return quote(value, safe="")


@dataclass(frozen=True, slots=True)
class Sleep:
    """Ask the driver to wait before the next attempt."""

    seconds: float


class NotSent(Exception):
    """The token exchange failed, so the request itself was never sent (safe to retry)."""

    def __init__(self, error: OneClawError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter."""

    max_retries: int = 3
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    max_retry_after: float = 30.0
    jitter: Callable[[], float] = field(default=random.random)

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return float(ceiling * (0.5 + 0.5 * self.jitter()))


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API operation: the request to build and how to read a success."""

    method: str
    url: str
    op: str  # e.g. "read secret 'prod/db'": used in error messages, never a value
    parse: Callable[[httpx.Response], T]
    json: Any = None
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] | None = None  # e.g. a share link's token: kept out of the URL and logs

    @property
    def safe(self) -> bool:
        """Safe to repeat after an unclear failure (1Claw's writes are not idempotent)."""
        return self.method == "GET"


def parse_retry_after(value: str | None, now: Callable[[], float]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - now()
    if seconds != seconds or seconds < 0:  # NaN or negative
        return 0.0 if seconds < 0 else None
    return min(seconds, 86400.0)


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


_REASONS: dict[int, str] = {
    400: "the vault rejected the request as invalid",
    401: "not authenticated",
    402: "payment required",
    403: "permission denied",
    404: "not found",
    409: "conflict",
    410: "gone (expired, deleted, disabled or used up)",
    413: "the request is too large",
    429: "rate limited",
}


def error_from_response(
    response: httpx.Response, op: str, *, now: Callable[[], float] | None = None
) -> OneClawError:
    """The typed error for a non-2xx answer. Reads only ``type``, ``approval_request_id``
    and ``Retry-After``; the server's ``detail`` is never copied into the message."""
    status = response.status_code
    reason = _REASONS.get(status, f"HTTP {status}")
    message = f"{op} failed: {reason}."
    if status == 400:
        return InvalidArgument("request", f"{op} was rejected by the vault as invalid")
    if status == 401:
        return NotAuthenticated(message)
    if status == 402:
        return PaymentRequired(message)
    if status == 403:
        problem = _problem(response)
        kind = problem.get("type")
        if kind == "approval_required":
            request_id = problem.get("approval_request_id")
            safe_id = request_id if isinstance(request_id, str) and _ID_RE.fullmatch(request_id) else None
            return ApprovalRequired(f"{op} needs a human's approval.", approval_request_id=safe_id)
        if kind == "resource_limit_exceeded":
            return ResourceLimitExceeded(f"{op} failed: a plan limit was reached.")
        return PermissionDenied(message)
    if status == 404:
        return NotFound(message)
    if status == 409:
        return Conflict(message)
    if status == 410:
        return Gone(message)
    if status == 413:
        return PayloadTooLarge(message)
    if status == 429:
        import time

        retry_after = parse_retry_after(response.headers.get("Retry-After"), now or time.time)
        return RateLimited(message, retry_after=retry_after)
    if status >= 500:
        return ServerError(message, status=status)
    err = OneClawError(message)
    err.status = status
    return err


def _was_sent(exc: BaseException, request: httpx.Request) -> bool:
    if isinstance(exc, NotSent):
        return False
    if isinstance(exc, _NOT_SENT):
        return False
    try:
        failed = exc.request if isinstance(exc, httpx.RequestError) else None
    except RuntimeError:
        failed = None
    # a failure of the token exchange request means ours never left
    return failed is None or failed is request


def exchange(
    call: Call[T],
    build: Callable[[Call[T]], httpx.Request],
    policy: RetryPolicy,
    now: Callable[[], float],
) -> Generator[httpx.Request | Sleep, httpx.Response | BaseException | None, T]:
    """Drive one call to a result or a typed error (see the module docstring)."""
    attempt = 0
    while True:
        request = build(call)
        outcome = yield request
        delay: float
        if isinstance(outcome, BaseException):
            sent = _was_sent(outcome, request)
            error: OneClawError
            if isinstance(outcome, NotSent):
                error = outcome.error
                if not isinstance(error, (RateLimited, ServerError)):
                    raise error from None
            elif isinstance(outcome, httpx.TimeoutException):
                error = TransportError(f"{call.op} failed: the vault did not answer in time.")
            else:
                error = TransportError(f"{call.op} failed: the connection to the vault failed.")
            if sent and not call.safe:
                raise OutcomeUnknown(
                    f"{call.op}: the connection failed after the request was sent, "
                    "so it may or may not have been applied."
                ) from None
            if attempt >= policy.max_retries:
                raise error from None
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
            delay = retry_after if retry_after is not None else policy.backoff(attempt)
            if delay > policy.max_retry_after:
                raise error from None
            log.debug("retrying %s after a transport failure (attempt %d)", call.op, attempt + 1)
        else:
            assert isinstance(outcome, httpx.Response)
            response = outcome
            if 200 <= response.status_code < 300:
                try:
                    return call.parse(response)
                except (KeyError, ValueError, TypeError, AttributeError):
                    raise ServerError(
                        f"{call.op}: the vault accepted the request but its answer could not be read.",
                        status=502,
                    ) from None
            error = error_from_response(response, call.op, now=now)
            status = response.status_code
            if status >= 500 and not call.safe and status != 503:
                raise OutcomeUnknown(
                    f"{call.op}: the vault failed with HTTP {status} while handling it, "
                    "so it may or may not have been applied."
                )
            retryable = status == 429 or (status >= 500 and call.safe)
            if not retryable or attempt >= policy.max_retries:
                raise error
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
            delay = retry_after if retry_after is not None else policy.backoff(attempt)
            if delay > policy.max_retry_after:
                raise error
            log.debug("retrying %s after HTTP %d (attempt %d)", call.op, status, attempt + 1)
        attempt += 1
        yield Sleep(delay)


def parse_time(value: object) -> datetime | None:
    """A server timestamp, or None when absent or unreadable."""
    from ..validation import parse_datetime

    if value is None:
        return None
    try:
        return parse_datetime(value, "timestamp")
    except OneClawError:
        return None
