"""Transports: stdio for desktop clients, streamable HTTP with bearer authentication for hosted use.

Over HTTP, every request must carry ``Authorization: Bearer <token>``; the token is compared in
constant time and anything else gets 401 before the MCP layer sees the request. Serving without a
token is allowed only on a loopback address, and only when asked for explicitly. On loopback the
SDK's DNS-rebinding protection is on (Host and Origin must be a loopback name), so a web page the
user visits cannot drive the server through the browser.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

import anyio
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from oneclaw_tools.network import is_loopback_host as is_loopback

from .server import SessionFactory, WrappedTool, build_server

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PATH",
    "BearerAuth",
    "build_http_app",
    "is_loopback",
    "quiet_disconnects",
    "run_stdio",
    "serve_http",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PATH = "/mcp"

_LOOPBACK_SECURITY = TransportSecuritySettings(
    enable_dns_rebinding_protection=True,
    allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*"],
    allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
)


async def run_stdio(
    session_factory: SessionFactory, *, extra_tools: Iterable[WrappedTool] = (), tool_prefix: str = ""
) -> None:
    """Serve one MCP session on stdin/stdout (one session, i.e. one handle store, per process)."""
    server = build_server(session_factory, extra_tools=extra_tools, tool_prefix=tool_prefix)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


class BearerAuth:
    """ASGI middleware: 401 unless ``Authorization: Bearer <token>`` matches (constant time)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token or token != token.strip():
            raise ValueError("the bearer token must be non-empty, without surrounding whitespace")
        self._app = app
        self._expected = token.encode()

    def _authorized(self, scope: Scope) -> bool:
        values = [value for key, value in scope.get("headers", ()) if key.lower() == b"authorization"]
        if len(values) != 1:
            return False
        scheme, _, presented = values[0].partition(b" ")
        # the scheme is case-insensitive (RFC 9110); the token is compared in constant time
        return scheme.lower() == b"bearer" and hmac.compare_digest(presented.strip(), self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            await _unauthorized(send)
            return
        await self._app(scope, receive, send)


async def _unauthorized(send: Send) -> None:
    body = b'{"error":"unauthorized","message":"a valid bearer token is required"}'
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="oneclaw-mcp"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _McpEndpoint:
    """The streamable HTTP endpoint as a plain ASGI app (Starlette routes it without wrapping)."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self._manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._manager.handle_request(scope, receive, send)


def build_http_app(
    session_factory: SessionFactory,
    *,
    token: str | None,
    loopback: bool = True,
    path: str = DEFAULT_PATH,
    extra_tools: Iterable[WrappedTool] = (),
    tool_prefix: str = "",
) -> ASGIApp:
    """The ASGI app serving streamable HTTP at ``path``; one session per ``Mcp-Session-Id``.

    ``token=None`` serves without authentication, which is refused unless ``loopback``.
    ``loopback`` also turns on the DNS-rebinding protection for loopback names.
    """
    if token is None and not loopback:
        raise ValueError("refusing to serve without a bearer token on a non-loopback address")
    server = build_server(session_factory, extra_tools=extra_tools, tool_prefix=tool_prefix)
    manager = StreamableHTTPSessionManager(
        app=server, security_settings=_LOOPBACK_SECURITY if loopback else None
    )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    app = Starlette(routes=[Route(path, endpoint=_McpEndpoint(manager))], lifespan=lifespan)
    return app if token is None else BearerAuth(app, token)


def serve_http(
    session_factory: SessionFactory,
    *,
    host: str = DEFAULT_HOST,
    port: int = 8000,
    token: str | None,
    path: str = DEFAULT_PATH,
    extra_tools: Iterable[WrappedTool] = (),
    tool_prefix: str = "",
    on_listen: Callable[[str], None] | None = None,
) -> None:
    """Run the HTTP app with uvicorn until interrupted.

    ``on_listen`` receives the endpoint's URL once the socket is bound (with the real port
    when ``port`` is 0).
    """
    import uvicorn

    app = build_http_app(
        session_factory,
        token=token,
        loopback=is_loopback(host),
        path=path,
        extra_tools=extra_tools,
        tool_prefix=tool_prefix,
    )
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)

    async def run() -> None:
        finished = anyio.Event()

        async def serve() -> None:
            try:
                await server.serve()
            finally:
                finished.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(serve)
            while not server.started and not finished.is_set():
                await anyio.sleep(0.02)
            if server.started and on_listen is not None:
                bound = [sock.getsockname() for s in server.servers for sock in s.sockets]
                real_port = bound[0][1] if bound else port
                shown = f"[{host}]" if ":" in host else host
                on_listen(f"http://{shown}:{real_port}{path}")

    anyio.run(run)


#: exceptions that mean only "the client went away"
_DISCONNECTS: tuple[type[BaseException], ...] = (
    anyio.ClosedResourceError,
    anyio.BrokenResourceError,
    anyio.EndOfStream,
    ConnectionError,
)
#: their names as the last line of a formatted traceback (the core's log scrubbing formats
#: tracebacks into ``exc_text`` and drops ``exc_info`` before any filter runs)
_DISCONNECT_LINE = re.compile(
    r"^(anyio\.)?(ClosedResourceError|BrokenResourceError|EndOfStream|ConnectionResetError|"
    r"BrokenPipeError|ConnectionAbortedError)\b"
)


class _QuietDisconnects(logging.Filter):
    """Drop the SDK's traceback for a client that disconnected: a normal end of a conversation."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None:
            return not _is_disconnect(exc)
        if record.exc_text:
            last = record.exc_text.rstrip().splitlines()[-1].strip()
            return _DISCONNECT_LINE.match(last) is None
        return True


def _is_disconnect(exc: BaseException) -> bool:
    if isinstance(exc, _DISCONNECTS):
        return True
    if isinstance(exc, BaseExceptionGroup):
        return all(_is_disconnect(inner) for inner in exc.exceptions)
    return False


def quiet_disconnects() -> None:
    """Install the disconnect filter on the root logger's handlers (configure logging first)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _QuietDisconnects) for f in handler.filters):
            handler.addFilter(_QuietDisconnects())
