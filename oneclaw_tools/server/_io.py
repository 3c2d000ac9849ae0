"""Request bodies in, RFC 7807 problems out: the local server's input boundary.

Every malformed request ends here as a 4xx ``application/problem+json``: bodies over the
limit (413, checked before and while reading), bodies that are not a JSON object, wrong
types. Unknown fields are dropped, as 1Claw does (forward compatibility with newer SDKs);
a known field the local server cannot honour (``conditions``, ``ip_allowlist``) is refused
by its handler rather than ignored. The ``detail`` is the core error's safe message: it names the
argument and the rule, never the value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import (
    ApprovalRequired,
    InvalidArgument,
    OneClawError,
    PayloadTooLarge,
    RateLimited,
    ResourceLimitExceeded,
)

__all__ = ["MAX_BODY_BYTES", "json_body", "problem", "problem_for_error"]

log = logging.getLogger("oneclaw_tools.server")

#: A 1 MiB value, JSON-escaped in the worst case, plus metadata.
MAX_BODY_BYTES = 8 * 1024 * 1024

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
}


def problem(status: int, detail: str, *, type_: str = "about:blank", headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:  # fmt: skip
    body: dict[str, Any] = {
        "type": type_,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def problem_for_error(exc: OneClawError) -> Response:
    status = exc.status if isinstance(exc.status, int) and 400 <= exc.status < 600 else 500
    if status >= 500:
        log.error("request failed: %s", exc.code)
        return problem(status, "An unexpected error occurred")
    extra: dict[str, Any] = {}
    type_ = "about:blank"
    headers = None
    if isinstance(exc, InvalidArgument):
        extra["fields"] = {exc.argument: exc.rule}
    elif isinstance(exc, ApprovalRequired):
        type_ = "approval_required"
        extra["approval_request_id"] = exc.approval_request_id
    elif isinstance(exc, ResourceLimitExceeded):
        type_ = "resource_limit_exceeded"
    elif isinstance(exc, RateLimited) and exc.retry_after is not None:
        headers = {"Retry-After": str(max(0, round(exc.retry_after)))}
    return problem(status, exc.message, type_=type_, headers=headers, **extra)


def _reject_constant(name: str) -> Any:
    raise ValueError("non-standard JSON constant")


async def json_body(
    request: Request,
    *,
    allowed: Iterable[str],
    required: Iterable[str] = (),
    optional_body: bool = False,
    max_bytes: int = MAX_BODY_BYTES,
) -> dict[str, Any]:
    """The request's JSON object: the allowed fields only (others dropped), the required ones present."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise InvalidArgument("Content-Length", "must be a whole number")
        if int(length) > max_bytes:
            raise PayloadTooLarge(f"the request body exceeds {max_bytes} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the request body exceeds {max_bytes} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        if optional_body:
            return {}
        raise InvalidArgument("body", "must be a JSON object")
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise InvalidArgument("Content-Type", "must be application/json")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidArgument("body", "must be valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise InvalidArgument("body", "must be a JSON object")
    allowed_set = set(allowed)  # unknown fields are dropped: newer clients send more than we know
    data = {name: value for name, value in data.items() if name in allowed_set}
    for name in required:
        if data.get(name) is None:
            raise InvalidArgument(name, "is required")
    return data


def want_str(data: dict[str, Any], name: str, *, default: str | None = None) -> str | None:
    value = data.get(name, default)
    if value is not None and not isinstance(value, str):
        raise InvalidArgument(name, "must be a string")
    return value


def want_int(data: dict[str, Any], name: str, *, default: int | None = None) -> int | None:
    value = data.get(name, default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidArgument(name, "must be a whole number")
    return value
