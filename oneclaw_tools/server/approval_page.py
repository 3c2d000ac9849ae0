"""The approval page of ``oneclaw-tools serve``: pending approvals and secret requests, for a human.

Mounted at ``/approvals``. Reachable only from this machine: a request whose peer is not a
loopback address, or whose ``Host`` is not ``127.0.0.1`` / ``localhost`` / ``[::1]`` (a DNS
rebinding page in the operator's browser), is refused with 403.

Login: ``serve`` prints a one-time link ``/approvals/login?token=...``. Opening it consumes the
token and sets a random session cookie (HttpOnly, SameSite=Strict, path ``/approvals``); the
page session holds its own CSRF token and ends after :data:`SESSION_SECONDS`. Every POST must carry that token in the form
(compared in constant time); without it the request is refused with 403 and nothing changes.

The page lists each pending approval with its exact action (the summary and each field) and
approve / deny buttons; each pending secret request with its path, reason and a password field.
A request can also be refused. A supplied value goes straight into the vault at the requested path (:func:`oneclaw_tools.hitl.fulfil`)
and is never echoed, logged or put in a redirect. HTML is rendered by Jinja2 with autoescaping
(the summaries and reasons come from a model); a strict Content-Security-Policy allows no script.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

from jinja2 import Environment, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..backends.base import VaultBackend
from ..errors import OneClawError
from ..hitl import HitlStore, fulfil
from ..models import AuditEvent, SecretValue
from ..network import is_loopback_host

__all__ = ["COOKIE", "ApprovalPage"]

log = logging.getLogger("oneclaw_tools.server.page")

COOKIE = "oneclaw_page"
SESSION_SECONDS = 8 * 3600  # a page session ends after a working day
_MAX_FORM = 64 * 1024
_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>oneclaw approvals</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}.msg{background:#eef;padding:.5em}</style>
</head><body>
<h1>Pending approvals</h1>
{% if message %}<p class="msg" id="message">{{ message }}</p>{% endif %}
{% if not approvals %}<p id="no-approvals">No action is waiting for approval.</p>{% endif %}
{% for a in approvals %}
<section class="approval" id="{{ a.id }}">
<h2>{{ a.tool }} <small>{{ a.id }}</small></h2>
<p class="summary">{{ a.summary }}</p>
<table>{% for k, v in a.action.fields|dictsort %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
<tr><th>expires</th><td>{{ a.expires_at }}</td></tr></table>
<form method="post" action="/approvals/decide/{{ a.id }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button name="decision" value="approve" id="approve-{{ a.id }}">Approve once</button>
<button name="decision" value="deny" id="deny-{{ a.id }}">Deny</button>
</form></section>
{% endfor %}
<h1>Secrets requested</h1>
{% if not requests %}<p id="no-requests">No secret is requested.</p>{% endif %}
{% for r in requests %}
<section class="request" id="{{ r.id }}">
<h2>{{ r.path }} <small>{{ r.id }}</small></h2>
<p>Reason given by {{ r.requested_by }}: <q class="reason">{{ r.reason }}</q> (type {{ r.type }}, vault {{ r.vault_id }})</p>
<form method="post" action="/approvals/fulfil/{{ r.id }}" autocomplete="off">
<input type="hidden" name="csrf" value="{{ csrf }}">
<label>Value <input type="password" name="value" id="value-{{ r.id }}" autocomplete="off"></label>
<button id="supply-{{ r.id }}">Store it</button>
</form>
<form method="post" action="/approvals/refuse/{{ r.id }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<button id="refuse-{{ r.id }}">Refuse the request</button>
</form></section>
{% endfor %}
</body></html>"""


class ApprovalPage:
    """The page's state (login token, page sessions) and its Starlette app."""

    def __init__(
        self, store: HitlStore, vault: VaultBackend, *, token_factory: Callable[[], str] | None = None
    ) -> None:
        self.store = store
        self.vault = vault
        self._new_token = token_factory or (lambda: secrets.token_urlsafe(32))
        self._login_token: str | None = self._new_token()
        self._sessions: dict[str, tuple[str, float]] = {}  # cookie -> (csrf token, started)
        self._now = time.monotonic
        self._flash = ""
        self._lock = threading.Lock()
        self._env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
        self._template = self._env.from_string(_PAGE)
        self.app = Starlette(
            routes=[
                Route("/login", self.login, methods=["GET"]),
                Route("/", self.index, methods=["GET"]),
                Route("/decide/{approval_id}", self.decide, methods=["POST"]),
                Route("/fulfil/{request_id}", self.supply, methods=["POST"]),
                Route("/refuse/{request_id}", self.refuse_request, methods=["POST"]),
            ]
        )

    def __repr__(self) -> str:
        return "ApprovalPage()"

    def login_path(self) -> str:
        """The one-time login link's path (a fresh token if the last one was used)."""
        with self._lock:
            if self._login_token is None:
                self._login_token = self._new_token()
            return f"/approvals/login?token={self._login_token}"

    # -- plumbing ----------------------------------------------------------------------------
    def _refuse(self, status: int, text: str) -> Response:
        body = self._env.from_string(
            "<!doctype html><title>refused</title><p id='refused'>{{ t }}</p>"
        ).render(t=text)
        return HTMLResponse(body, status_code=status, headers=_HEADERS)

    def _local(self, request: Request) -> bool:
        peer = request.client.host if request.client else None
        host = (request.headers.get("host") or "").lower()
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
        return is_loopback_host(peer or "") and hostname in _LOCAL_HOSTS

    def _csrf_for(self, request: Request) -> str | None:
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        with self._lock:
            found = self._sessions.get(cookie)
            if found is None:
                return None
            csrf, started = found
            if self._now() - started > SESSION_SECONDS:
                del self._sessions[cookie]
                return None
            return csrf

    async def _form(self, request: Request) -> dict[str, str] | None:
        if (
            request.headers.get("content-type", "").split(";")[0].strip()
            != "application/x-www-form-urlencoded"
        ):
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > _MAX_FORM:
                return None
        try:
            parsed = parse_qs(
                body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=8
            )
        except (UnicodeDecodeError, ValueError):
            return None
        return {k: v[0] for k, v in parsed.items() if len(v) == 1}

    async def _checked_form(self, request: Request) -> dict[str, str] | Response:
        if not self._local(request):
            return self._refuse(403, "The approval page answers on this machine only.")
        csrf = self._csrf_for(request)
        if csrf is None:
            return self._refuse(403, "Not logged in: open the login link `oneclaw-tools serve` printed.")
        form = await self._form(request)
        sent = (form or {}).get("csrf", "")
        if form is None or not hmac.compare_digest(sent.encode(), csrf.encode()):
            log.warning("approval page: a POST without the right CSRF token was refused")
            return self._refuse(403, "Refused: the form's CSRF token is missing or wrong. Reload the page.")
        return form

    def _audit(self, action: str, outcome: str, ref: str, detail: str, path: str | None = None) -> None:
        """The decision also goes to the vault's audit (``oneclaw-tools audit``), without values."""
        event = AuditEvent(
            ts=datetime.now(UTC), principal="approval-page", action=action, outcome=outcome, path=path,
            detail=f"{ref}: {detail}",
        )  # fmt: skip
        try:
            self.vault.record_audit(event)
        except OneClawError:
            log.warning("approval page: could not record an audit event (%s)", action)

    def _back(self, message: str) -> Response:
        with self._lock:
            self._flash = message
        return RedirectResponse("/approvals/", status_code=303, headers=_HEADERS)

    # -- routes ------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        if not self._local(request):
            return self._refuse(403, "The approval page answers on this machine only.")
        token = request.query_params.get("token", "")
        with self._lock:
            expected, ok = self._login_token, False
            if expected is not None and hmac.compare_digest(token.encode(), expected.encode()):
                self._login_token, ok = None, True  # one time only
                cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                self._sessions[cookie] = (csrf, self._now())
        if not ok:
            return self._refuse(403, "This login link is not valid (each link works once).")
        response = RedirectResponse("/approvals/", status_code=303, headers=_HEADERS)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", path="/approvals")
        return response

    async def index(self, request: Request) -> Response:
        if not self._local(request):
            return self._refuse(403, "The approval page answers on this machine only.")
        csrf = self._csrf_for(request)
        if csrf is None:
            return self._refuse(403, "Not logged in: open the login link `oneclaw-tools serve` printed.")
        approvals = await run_in_threadpool(self.store.pending)
        requests = await run_in_threadpool(self.store.pending_requests)
        with self._lock:
            message, self._flash = self._flash, ""
        html = self._template.render(approvals=approvals, requests=requests, csrf=csrf, message=message)
        return HTMLResponse(html, headers=_HEADERS)

    async def decide(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if isinstance(form, Response):
            return form
        decision = form.get("decision")
        if decision not in ("approve", "deny"):
            return self._refuse(400, "The decision must be approve or deny.")
        approval_id = request.path_params["approval_id"]
        try:
            record = await run_in_threadpool(
                lambda: self.store.decide(approval_id, approve=decision == "approve", by="approval-page")
            )
        except OneClawError as exc:
            return self._back(exc.message)
        outcome = "ok" if record.status == "approved" else "denied"
        await run_in_threadpool(self._audit, "approval", outcome, record.id, record.summary)
        return self._back(f"{record.id} {record.status}: {record.summary}")

    async def refuse_request(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if isinstance(form, Response):
            return form
        request_id = request.path_params["request_id"]
        try:
            req = await run_in_threadpool(lambda: self.store.cancel_request(request_id, by="approval-page"))
        except OneClawError as exc:
            return self._back(exc.message)
        await run_in_threadpool(self._audit, "secret_request_cancelled", "denied", req.id, req.path, req.path)
        return self._back(f"{req.id} refused: {req.path}")

    async def supply(self, request: Request) -> Response:
        form = await self._checked_form(request)
        if isinstance(form, Response):
            return form
        value = form.pop("value", "")
        request_id = request.path_params["request_id"]
        if not value:
            return self._back(f"{request_id}: the value must not be empty.")
        secret = SecretValue(value)
        del value
        try:
            req = await run_in_threadpool(
                lambda: fulfil(self.store, self.vault, request_id, secret, by="approval-page")
            )
        except OneClawError as exc:
            return self._back(exc.message)
        await run_in_threadpool(
            self._audit, "secret_fulfilled", "ok", req.id, f"version {req.version}", req.path
        )
        return self._back(f"{req.id} fulfilled: {req.path} version {req.version} (the value is not shown).")
