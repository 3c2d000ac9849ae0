"""The network boundary of ``http_request``: public addresses only, checked when connecting.

A model steered by injected text would use ``http_request`` as an SSRF probe: the cloud
metadata service (``169.254.169.254``), the private network, the host's own loopback
services, or a name that resolves to any of those. So every destination address must be
*global*: loopback, private (RFC 1918, shared 100.64/10), link-local, unique-local (fc00::/7),
multicast, unspecified, reserved and documentation ranges are refused, and so is any IPv6 form
that carries one of those IPv4 addresses (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible,
NAT64 ``64:ff9b::/96``, 6to4, Teredo), and so is an IPv4 address in a legacy form the operating
system reads (``2130706433``, ``0x7f.1``, ``127.1``, a trailing dot), whatever a resolver answers
for it. The operator may open exactly what the deployment
needs: loopback (``allow_http_loopback``, for tests and the demo) and named networks
(``http_allow_networks``, CIDR).

Two places enforce it, and the model reaches neither:

* :class:`BoundaryTransport` wraps whatever transport sends the request (the default one, or
  an operator's own) and refuses the request before it is handed on, after resolving the host
  name with the session's resolver. An operator transport does not switch the check off.
* :class:`PinnedBackend`, the network backend of the default transport, resolves the name
  again *at connection time*, checks every address, and connects to the checked address
  itself (TLS still verifies the name), so a DNS answer that changes between the check and the
  connection (DNS rebinding) is checked too and cannot slip through.

A refusal is a :class:`DestinationRefused` (a 403 for the model) and nothing is sent. The
resolver is injectable (``resolver(host, port) -> addresses``) so tests never touch DNS.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import PermissionDenied

if TYPE_CHECKING:
    import httpcore
    import httpx

__all__ = [
    "DestinationRefused",
    "NetworkRules",
    "Resolver",
    "build_http_client",
    "is_loopback_host",
    "is_loopback_url",
    "refusal_reason",
    "system_resolver",
]

#: ``resolver(host, port)`` → the IP addresses (text) the host name resolves to
Resolver = Callable[[str, int], Sequence[str]]
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")
#: a host made only of numbers (decimal, octal, 0x-hex) and dots, as ``inet_aton`` reads them
_LEGACY_IPV4 = re.compile(r"[0-9](?:[0-9a-fA-FxX.])*")


class DestinationRefused(PermissionDenied):
    """The destination's address is outside what the operator allows; nothing was sent."""


def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (``getaddrinfo``), unique addresses in order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(int(ip))
    return None


def _ip_literal(host: str) -> str | None:
    """The address ``host`` names by itself, or None for a name to resolve.

    Besides the standard forms, the legacy IPv4 forms the operating system's ``inet_aton``
    reads (``2130706433``, ``0x7f.1``, ``127.1``, octal ``0177...``) and a trailing dot: httpx
    passes them on as names, and a resolver that knows only DNS could answer anything for them,
    while a connection made by the system would reach the address they spell.
    """
    bare = host.split("%", 1)[0]
    try:
        ipaddress.ip_address(bare)
        return host
    except ValueError:
        pass
    candidate = host[:-1] if host.endswith(".") else host
    if _LEGACY_IPV4.fullmatch(candidate) is None:
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(candidate))
    except OSError:
        return None


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP address (``::1`` with or without brackets); nothing is resolved.

    Where plain ``http://`` is tolerated (a local server, the MCP server's bind address), this
    is the one test of "this machine"; ``http_request``'s destinations are checked by
    :class:`NetworkRules` instead.
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """Whether the host of ``url`` is loopback (:func:`is_loopback_host`); an unreadable URL is not."""
    import httpx

    try:
        host = httpx.URL(url).host
    except (httpx.InvalidURL, UnicodeError, ValueError):
        return False
    return is_loopback_host(host)


def refusal_reason(ip: _IP) -> str | None:
    """Why an address is not a public destination (``None`` when it is)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = refusal_reason(inner)
            return None if reason is None else f"an IPv6 form of a {reason} address"
        if ip.is_site_local or ip in ipaddress.ip_network("fc00::/7"):
            return "unique-local"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED, "shared (carrier-grade NAT)"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "reserved"),
    )
    return next((name for hit, name in checks if hit), None)


@dataclass(frozen=True)
class NetworkRules:
    """What the operator opened: loopback, and extra networks (CIDR)."""

    allow_loopback: bool = False
    allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def of(cls, allow_loopback: bool, networks: Iterable[str]) -> NetworkRules:
        return cls(allow_loopback, tuple(ipaddress.ip_network(n, strict=False) for n in networks))

    def check_address(self, address: str, host: str) -> _IP:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise DestinationRefused(f"{host} resolved to something that is not an IP address.") from None
        plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        if any(plain in net for net in self.allow_networks if net.version == plain.version):
            return ip
        if self.allow_loopback and plain.is_loopback:
            return ip
        reason = refusal_reason(ip)
        if reason is not None:
            what = host if host == address else f"{host} (which resolves to {address})"
            raise DestinationRefused(
                f"the destination {what} is a {reason} address; http_request reaches public addresses only.",
                action="Use a public https URL. Only the operator can allow other networks "
                "(allow_http_loopback, http_allow_networks).",
            )
        return ip

    def resolve(self, host: str, port: int, resolver: Resolver) -> list[str]:
        """Every address ``host`` resolves to, each checked; refused if any is not allowed."""
        host = host.strip("[]")
        literal = _ip_literal(host)
        if literal is not None:
            addresses: Sequence[str] = [literal]
        else:
            try:
                addresses = resolver(host, port)
            except (OSError, UnicodeError) as exc:
                raise _Unresolved(host) from exc
        if not addresses:
            raise _Unresolved(host)
        for address in addresses:
            self.check_address(address, host)
        return list(addresses)


class _Unresolved(OSError):
    def __init__(self, host: str) -> None:
        super().__init__(f"could not resolve {host}")


def _boundary_backend(rules: NetworkRules, resolver: Resolver) -> httpcore.NetworkBackend:
    import httpcore

    class PinnedBackend(httpcore.NetworkBackend):
        """Resolve, check and connect to the checked address (no second lookup)."""

        def __init__(self) -> None:
            self._inner = httpcore.SyncBackend()

        def connect_tcp(
            self,
            host: str,
            port: int,
            timeout: float | None = None,
            local_address: str | None = None,
            socket_options: Iterable[Any] | None = None,
        ) -> httpcore.NetworkStream:
            try:
                addresses = rules.resolve(host, port, resolver)
            except _Unresolved:
                raise httpcore.ConnectError(f"could not resolve {host}") from None
            last: Exception | None = None
            for address in addresses:
                try:
                    return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    last = exc
            assert last is not None
            raise last

        def connect_unix_socket(
            self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
        ) -> httpcore.NetworkStream:
            raise DestinationRefused("http_request does not connect to unix sockets.")

        def sleep(self, seconds: float) -> None:
            self._inner.sleep(seconds)

    return PinnedBackend()


def _boundary_transport(
    inner: httpx.BaseTransport, rules: NetworkRules, resolver: Resolver
) -> httpx.BaseTransport:
    import httpx

    class BoundaryTransport(httpx.BaseTransport):
        """Refuses a request whose host is not an allowed address, before the inner transport."""

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            host = request.url.raw_host.decode("ascii")
            try:
                rules.resolve(
                    host, request.url.port or (443 if request.url.scheme == "https" else 80), resolver
                )
            except _Unresolved:
                raise httpx.ConnectError(f"could not resolve {host}", request=request) from None
            return inner.handle_request(request)

        def close(self) -> None:
            inner.close()

    return BoundaryTransport()


def build_http_client(
    *,
    rules: NetworkRules,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 15.0,
) -> httpx.Client:
    """The client ``http_request`` sends with: no redirects, no proxies from the environment,
    the boundary in front of ``transport`` and, for the default transport, at connection time."""
    import httpcore
    import httpx

    resolve = resolver if resolver is not None else system_resolver
    if transport is None:
        default = httpx.HTTPTransport(trust_env=False)
        default._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=_boundary_backend(rules, resolve),
        )
        transport = default
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        timeout=timeout,
        transport=_boundary_transport(transport, rules, resolve),
    )
