"""``http_request``: use a secret without seeing it.

``{{secret:HANDLE}}`` placeholders in header values, query values and the body are resolved
just before sending, and only when one of the handle's bindings (:mod:`oneclaw_tools.bindings`:
host, port, path prefix, methods, and where in the request) allows the destination and the
place, over https (plain http only to loopback, and only if the operator allows it). URLs with
user-info are refused, placeholders in the URL itself are refused, and redirects are never
followed, so a resolved value never reaches another host.

Every request, with or without a handle, passes the network boundary
(:mod:`oneclaw_tools.network`): public addresses only unless the operator opened more, checked
before sending and again at connection time. A refused destination (403, audited) and a
request that failed to connect consume no handle use: uses are counted when placeholders are
resolved and given back when nothing was delivered. The response comes back through the guard,
truncated to the operator's limit with a note.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import Field

from ..bindings import Destination
from ..errors import InvalidArgument, PermissionDenied, TransportError
from ..network import DestinationRefused, is_loopback_host
from ..placeholders import ANY_PLACEHOLDER as _ANY_PLACEHOLDER
from ..placeholders import substitute
from .base import Args, ToolSpec

if TYPE_CHECKING:
    from .context import ToolContext

__all__ = ["HTTP_TOOL", "destination_of"]

_ROUTING_HEADERS = frozenset({"host", ":authority", "x-forwarded-host", "forwarded"})


class NameValue(Args):
    """One header or query parameter (the list form suits strict tool-calling modes)."""

    name: str = Field(description="Header or parameter name.")
    value: str = Field(description="Its value; may contain {{secret:HANDLE}}.")


def _pairs(items: dict[str, str] | list[NameValue]) -> list[tuple[str, str]]:
    if isinstance(items, dict):
        return list(items.items())
    return [(item.name, item.value) for item in items]


class HttpRequestArgs(Args):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = Field(
        "GET", description="HTTP method."
    )
    url: str = Field(description="Full https URL. Never put a placeholder in the URL.")
    headers: dict[str, str] | list[NameValue] = Field(
        default_factory=dict,
        description="Request headers, as an object {'Authorization': 'Bearer {{secret:HANDLE}}'} or as a "
        "list of {name, value} pairs; values may contain placeholders.",
    )
    query: dict[str, str] | list[NameValue] = Field(
        default_factory=dict,
        description="Query parameters, as an object or a list of {name, value} pairs; values may contain "
        "placeholders.",
    )
    json_body: Any = Field(None, description="A JSON body; strings in it may contain placeholders.")
    body: str | None = Field(
        None, description="A text body (instead of json_body); may contain placeholders."
    )


def destination_of(
    url: str, *, allow_http_loopback: bool, method: str = "GET"
) -> tuple[httpx.URL, Destination]:
    """Parse and check a destination URL; returns it with its normalised :class:`Destination`."""
    try:
        parsed = httpx.URL(url)
        valid = parsed.scheme in ("https", "http") and bool(parsed.host)
        dest = Destination.of(method, parsed) if valid else None
    except (httpx.InvalidURL, TypeError, ValueError, UnicodeError):  # IDNA errors are UnicodeErrors
        raise InvalidArgument("url", "must be an absolute http(s) URL with a valid host name") from None
    if not valid or dest is None:
        raise InvalidArgument("url", "must be an absolute http(s) URL")
    if parsed.userinfo:
        raise InvalidArgument("url", "must not contain user-info ('user:pass@'); use headers")
    if parsed.scheme == "http" and not (allow_http_loopback and is_loopback_host(dest.host)):
        raise PermissionDenied(
            "secrets are sent only over https (plain http only to loopback when the operator allows it).",
            action="Use an https URL.",
        )
    return parsed, dest


def _resolve(s: ToolContext, obj: Any, dest: Destination, place: str, used: list[str]) -> Any:
    def reveal(handle_id: str) -> str:
        handle = s.handles.consume(handle_id, tool="http_request", destination=dest, place=place)
        used.append(handle.id)
        return handle.value.reveal_unsafe()

    return substitute(obj, reveal)


def _give_back(s: ToolContext, used: list[str]) -> None:
    for handle_id in used:
        s.handles.release(handle_id)
    used.clear()


def http_request(s: ToolContext, a: HttpRequestArgs) -> dict[str, Any]:
    if _ANY_PLACEHOLDER.search(a.url):
        raise InvalidArgument(
            "url", "must not contain a secret placeholder; put it in a header, query or body"
        )
    if a.json_body is not None and a.body is not None:
        raise InvalidArgument("body", "give either json_body or body, not both")
    for name, _ in _pairs(a.headers):
        if _ANY_PLACEHOLDER.search(name):
            raise InvalidArgument("headers", "a header name must not contain a secret placeholder")
        if name.strip().lower() in _ROUTING_HEADERS:
            # a Host other than the URL's would let a shared front end (a CDN) route the request,
            # and the value in it, to another site than the one the binding names
            raise InvalidArgument("headers", f"must not set {name.strip()}; the URL names the destination")
    url, dest = destination_of(a.url, allow_http_loopback=s.policy.allow_http_loopback, method=a.method)
    used: list[str] = []
    try:
        headers = [(k, _resolve(s, v, dest, "header", used)) for k, v in _pairs(a.headers)]
        query = [(k, _resolve(s, v, dest, "query", used)) for k, v in _pairs(a.query)]
        json_body = _resolve(s, a.json_body, dest, "body", used)
        body = _resolve(s, a.body, dest, "body", used)
    except PermissionDenied as exc:
        _give_back(s, used)
        s.audit("handle_refused", outcome="denied", detail=f"http_request {dest}: {exc.message}")
        raise
    content: bytes | None = None
    if json_body is not None:
        content = json.dumps(json_body).encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("content-type", "application/json"))
    elif body is not None:
        content = body.encode()
    try:
        response = s.http_client().request(a.method, url, headers=headers, params=query, content=content)
    except DestinationRefused as exc:
        _give_back(s, used)
        s.audit("destination_refused", outcome="denied", detail=f"http_request {dest}: {exc.message}")
        raise DestinationRefused(exc.message, action=exc.action) from None
    except httpx.TimeoutException:
        _give_back(s, used)
        raise TransportError(f"the request to {dest.host} timed out.", action="Retry later.") from None
    except httpx.HTTPError:
        _give_back(s, used)
        raise TransportError(
            f"the request to {dest.host} failed to connect.", action="Check the URL."
        ) from None
    finally:
        del headers, query, json_body, body, content
    if used:
        s.audit("handle_used", detail=f"http_request {dest} handles={','.join(used)}")
    limit = s.policy.http_max_response_chars
    text = s.scrub_output(response.text)  # before truncating: a cut must never split a value
    result: dict[str, Any] = {
        "status": response.status_code,
        "headers": {k: v for k, v in response.headers.items() if k.lower() in s.policy.http_response_headers},
        "body": text[:limit],
    }
    if len(text) > limit:
        result["truncated"] = f"the body was {len(text)} characters; only the first {limit} are shown"
    if response.is_redirect:
        result["note"] = "redirect not followed: a resolved secret is never sent to another location"
    return result


HTTP_TOOL = ToolSpec(
    "http_request",
    "Make an HTTP request that uses a secret without seeing it: put {{secret:HANDLE}} (from "
    "get_secret) in a header, query value or body, e.g. 'Authorization: Bearer {{secret:HANDLE}}'. "
    "It is resolved only toward the hosts the secret is bound to, over https. The response is "
    "returned with any secret masked.",
    HttpRequestArgs,
    http_request,
    read_only=True,
)
