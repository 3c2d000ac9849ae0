"""Destination bindings: where a secret may travel through ``http_request``.

A binding names a host and, optionally, a port, a path prefix, the methods, and where in the
request the value may go. It is written as text or as an object (both accepted wherever
bindings are: a secret's ``allowed_hosts`` metadata, the policy's ``host_bindings``, the CLI)::

    [METHODS ]HOST[:PORT][/PATH-PREFIX][ in PLACES]

    api.github.com                      any method, port 443, any path, header/query/body
    api.github.com/user                 only /user and below (/user/repos, not /users)
    POST api.stripe.com/v1/charges      only POST to /v1/charges and below
    GET,POST *.example.com:8443 in header
                                        sub-domains only (never the apex), port 8443, headers only

    {"host": "api.stripe.com", "path": "/v1/charges", "methods": ["POST"], "in": ["header"]}

Normalisation is done one way, the way httpx does it (it is what sends the request): a rule's
host and path are parsed by :class:`httpx.URL` exactly as a destination URL is, so IDNA
(``faß.de`` is ``xn--fa-hia.de``, never ``fass.de``), case, a trailing dot, percent-encoding
and dot segments can never make a rule and a URL disagree. Without a port a rule allows the
scheme's default port only. A path prefix matches on segment boundaries; a URL whose path
hides separators or dot segments in percent-encoding never matches a rule with a path.

Validation happens when a binding is stored: :func:`parse_binding` raises :class:`BindingError`
naming the mistake (``https://api.example.com`` is a URL, not a host; ``allowed_host`` is not a
known key), and :func:`check_metadata_keys` catches misspelt binding keys in metadata.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx is imported on first use, so importing the core stays light
    import httpx

__all__ = [
    "BINDING_KEYS",
    "METADATA_KEYS",
    "METHODS",
    "PLACES",
    "Binding",
    "BindingError",
    "Destination",
    "check_metadata_keys",
    "format_binding",
    "normalize_host",
    "parse_binding",
    "parse_bindings",
]

METHODS: tuple[str, ...] = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
PLACES: tuple[str, ...] = ("header", "query", "body")
#: the keys of a binding written as an object
BINDING_KEYS: tuple[str, ...] = ("host", "port", "path", "methods", "in")
#: the metadata keys that bind a secret (anything resembling them is refused as a misspelling)
METADATA_KEYS: tuple[str, ...] = ("allowed_hosts", "allowed_tools")
_HIDDEN = ("%2e", "%2f", "%5c")  # encoded '.', '/', '\\' in a path


class BindingError(ValueError):
    """A binding that cannot be used; the message names the mistake for whoever wrote it."""


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a request goes, as httpx will send it: upper-case method, normalised host."""

    method: str
    scheme: str
    host: str
    port: int
    path: str

    @property
    def default_port(self) -> int:
        return 443 if self.scheme == "https" else 80

    @classmethod
    def of(cls, method: str, url: httpx.URL) -> Destination:
        scheme = url.scheme
        default = 443 if scheme == "https" else 80
        return cls(
            method.upper(),
            scheme,
            url.raw_host.decode("ascii").lower().rstrip("."),
            url.port or default,
            url.raw_path.decode("ascii").partition("?")[0] or "/",
        )

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == self.default_port else f":{self.port}"
        return f"{self.method} {host}{port}{self.path}"


@dataclass(frozen=True, slots=True)
class Binding:
    """One parsed, normalised binding. ``str()`` gives its canonical text form."""

    host: str  # normalised; a leading "*." means sub-domains only
    port: int | None = None
    path: str = "/"
    methods: frozenset[str] | None = None
    places: frozenset[str] | None = None

    def allows(self, dest: Destination, place: str | None = None) -> bool:
        """May a value go to ``dest`` (and, when given, in that part of the request)?"""
        if self.methods is not None and dest.method not in self.methods:
            return False
        if place is not None and self.places is not None and place not in self.places:
            return False
        if dest.port != (self.port if self.port is not None else dest.default_port):
            return False
        if self.host.startswith("*."):
            suffix = self.host[1:]
            if not (dest.host.endswith(suffix) and len(dest.host) > len(suffix)):
                return False
        elif dest.host != self.host:
            return False
        if self.path == "/":
            return True
        lowered = dest.path.lower()
        if any(code in lowered for code in _HIDDEN):
            return False
        prefix = self.path.rstrip("/")
        return dest.path == prefix or dest.path.startswith(prefix + "/")

    def __str__(self) -> str:
        return format_binding(self)


def normalize_host(host: str) -> str:
    """A host as httpx sends it: IDNA 2008 (UTS 46) punycode, lower case, no trailing dot.

    Raises :class:`BindingError` when httpx would not accept it.
    """
    if not isinstance(host, str) or not host.strip():
        raise BindingError("the host is empty")
    import httpx

    text = host.strip()
    if any(c in text for c in "/?#@ \t") or "://" in text:
        raise BindingError(f"'{host}' is not a host name")
    if ":" in text and not text.startswith("["):  # a bare IPv6 address
        text = f"[{text}]"
    try:
        url = httpx.URL("https://" + text + "/")
        raw = url.raw_host.decode("ascii").lower().rstrip(".")
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError):
        raise BindingError(f"'{host}' is not a valid host name") from None
    if not raw or url.port is not None:
        raise BindingError(f"'{host}' is not a valid host name")
    return raw


def _host_part(text: str, original: str) -> tuple[str, int | None]:
    """``host[:port]`` (IPv6 in brackets) → normalised host and port."""
    port: int | None = None
    if text.startswith("["):
        inner, sep, rest = text[1:].partition("]")
        if not sep:
            raise BindingError(f"'{original}': an IPv6 address needs its closing ']'")
        host_text, port_text = "[" + inner + "]", rest[1:] if rest.startswith(":") else rest
        if rest and not rest.startswith(":"):
            raise BindingError(f"'{original}': unexpected text after the IPv6 address")
    elif ":" in text:
        host_text, _, port_text = text.rpartition(":")
    else:
        host_text, port_text = text, ""
    if port_text:
        port = _port(port_text, original)
    wildcard = host_text.startswith("*.")
    if "*" in (host_text[2:] if wildcard else host_text):
        raise BindingError(f"'{original}': '*' is allowed only as a leading '*.' (sub-domains)")
    host = normalize_host(host_text[2:] if wildcard else host_text)
    if wildcard and "." not in host:
        raise BindingError(
            f"'{original}': '*.' needs a domain with at least two labels, e.g. '*.example.com'"
        )
    return ("*." + host if wildcard else host), port


def _port(value: object, original: str) -> int:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise BindingError(f"'{original}': the port must be a number from 1 to 65535")
    return value


def _path(value: object, original: str) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise BindingError(f"'{original}': a path prefix starts with '/', e.g. '/v1/charges'")
    if any(c in value for c in "?#"):
        raise BindingError(f"'{original}': a path prefix has no query ('?') or fragment ('#')")
    if any(seg in (".", "..") for seg in value.split("/")):
        raise BindingError(f"'{original}': a path prefix has no '.' or '..' segments")
    import httpx

    try:
        return httpx.URL("https://binding.invalid" + value).raw_path.decode("ascii") or "/"
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise BindingError(f"'{original}': the path prefix is not a valid URL path") from None


def _choices(value: object, allowed: tuple[str, ...], what: str, original: str) -> frozenset[str]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise BindingError(f"'{original}': {what} must be a non-empty list of " + ", ".join(allowed))
    out = set()
    for item in items:
        norm = item.strip().upper() if what == "methods" and isinstance(item, str) else item
        if isinstance(norm, str) and what != "methods":
            norm = norm.strip().lower()
        if norm not in allowed:
            raise BindingError(f"'{original}': {what} may be only " + ", ".join(allowed))
        out.add(norm)
    return frozenset(out)


def _parse_text(rule: str) -> Binding:
    tokens = rule.split()
    if not tokens:
        raise BindingError("a binding is empty")
    if "://" in rule:
        scheme_less = rule.split("://", 1)[1].split()[0] if rule.split("://", 1)[1].split() else ""
        raise BindingError(
            f"'{rule}' is a URL; a binding names a host (and optionally a path), "
            f"without a scheme: write '{scheme_less.rstrip('/')}'"
        )
    methods = places = None
    if len(tokens) >= 2 and tokens[-2] == "in":
        places = _choices(tokens[-1], PLACES, "in", rule)
        tokens = tokens[:-2]
    if len(tokens) == 2:
        methods = _choices(tokens[0], METHODS, "methods", rule)
        tokens = tokens[1:]
    if len(tokens) != 1:
        raise BindingError(
            f"'{rule}' is not a binding: write [METHODS ]HOST[:PORT][/PATH][ in header,query,body]"
        )
    dest = tokens[0]
    slash = dest.find("/", dest.find("]") + 1 if dest.startswith("[") else 0)
    host_port, path = (dest, "/") if slash < 0 else (dest[:slash], dest[slash:])
    host, port = _host_part(host_port, rule)
    return Binding(host, port, _path(path, rule), methods, places)


def _parse_object(rule: Mapping[str, Any]) -> Binding:
    shown = "{" + ", ".join(str(k) for k in rule) + "}"
    unknown = [k for k in rule if k not in BINDING_KEYS]
    if unknown:
        key = str(unknown[0])
        near = difflib.get_close_matches(key, BINDING_KEYS, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise BindingError(f"unknown binding key '{key}'{hint}; the keys are " + ", ".join(BINDING_KEYS))
    host_text = rule.get("host")
    if not isinstance(host_text, str) or not host_text:
        raise BindingError(f"the binding {shown} needs a 'host'")
    if "://" in host_text or "/" in host_text:
        raise BindingError(f"'host' is '{host_text}'; give the host name alone, e.g. 'api.example.com'")
    host, port = _host_part(host_text, host_text)
    if rule.get("port") is not None:
        if port is not None:
            raise BindingError(f"'{host_text}': give the port once, in 'host' or in 'port'")
        port = _port(rule["port"], host_text)
    methods = (
        None if rule.get("methods") is None else _choices(rule["methods"], METHODS, "methods", host_text)
    )
    places = None if rule.get("in") is None else _choices(rule["in"], PLACES, "in", host_text)
    return Binding(host, port, _path(rule.get("path", "/"), host_text), methods, places)


@lru_cache(maxsize=4096)
def _parse_cached(rule: str) -> Binding:
    return _parse_text(rule)


def parse_binding(rule: object) -> Binding:
    """Parse and normalise one binding (text or object); :class:`BindingError` if invalid."""
    if isinstance(rule, Binding):
        return rule
    if isinstance(rule, str):
        return _parse_cached(rule.strip())
    if isinstance(rule, Mapping):
        return _parse_object(rule)
    raise BindingError("a binding is a string such as 'api.example.com' or an object with a 'host'")


def parse_bindings(rules: Iterable[object]) -> tuple[Binding, ...]:
    """Parse a list of bindings, keeping the first of duplicates; the first invalid one raises."""
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Iterable):
        raise BindingError("bindings are a list, e.g. ['api.example.com']")
    return tuple(dict.fromkeys(parse_binding(rule) for rule in rules))


def format_binding(binding: Binding) -> str:
    """The canonical text form (what :func:`parse_binding` reads back to the same binding)."""
    host = binding.host
    if ":" in host:
        host = f"[{host}]"
    text = host + (f":{binding.port}" if binding.port is not None else "")
    if binding.path != "/":
        text += binding.path
    if binding.methods is not None:
        text = ",".join(m for m in METHODS if m in binding.methods) + " " + text
    if binding.places is not None:
        text += " in " + ",".join(p for p in PLACES if p in binding.places)
    return text


def _squash(key: str) -> str:
    return key.lower().replace("_", "").replace("-", "")


def check_metadata_keys(metadata: Mapping[str, Any]) -> None:
    """Refuse metadata keys that look like a binding key but are not one (``allowed_host``)."""
    known = {_squash(k): k for k in METADATA_KEYS}
    for key in metadata:
        if key in METADATA_KEYS:
            continue
        squashed = _squash(str(key))
        near = known.get(squashed) or next(
            iter(difflib.get_close_matches(squashed, list(known), n=1, cutoff=0.8)), None
        )
        if near is not None or squashed.startswith("allow"):
            suggestion = f" (did you mean '{known.get(near, near)}'?)" if near else ""
            raise BindingError(
                f"unknown binding key '{key}'{suggestion}; the binding keys are " + ", ".join(METADATA_KEYS)
            )
