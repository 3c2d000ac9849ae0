"""Boundary checks: every argument that reaches a backend passes through here first.

Each check raises :class:`~oneclaw_tools.errors.InvalidArgument` naming the argument and
the rule it broke, and never echoes the offending value (it could be a secret).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from .bindings import BindingError, check_metadata_keys, parse_bindings
from .errors import InvalidArgument
from .globs import glob_match
from .models import SECRET_TYPES

__all__ = [
    "MAX_PATH_LENGTH",
    "MAX_VALUE_BYTES",
    "PERMISSIONS",
    "ROTATE_CHARSETS",
    "glob_match",
    "parse_datetime",
    "validate_max_access_count",
    "validate_metadata",
    "validate_path",
    "validate_pattern",
    "validate_permissions",
    "validate_rotation",
    "validate_secret_type",
    "validate_value",
]

MAX_PATH_LENGTH = 512
MAX_VALUE_BYTES = 1024 * 1024  # 1 MiB, the router-rail limit 1Claw documents
MAX_METADATA_BYTES = 64 * 1024
PERMISSIONS: tuple[str, ...] = ("read", "write", "delete", "rotate")
ROTATE_CHARSETS: tuple[str, ...] = ("hex", "base64", "alphanumeric", "ascii")

_SEGMENT = r"[A-Za-z0-9_\-]+"
_PATH_RE = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")
_PATTERN_SEGMENT = re.compile(r"\*\*|[A-Za-z0-9_\-*]+")


def validate_path(path: object, argument: str = "path") -> str:
    """1Claw's path rule: segments of ``[A-Za-z0-9_-]`` joined by ``/``.

    Rejects empty paths, ``.``/``..``, leading/trailing or doubled slashes, NUL and any
    non-ASCII character (so a lookalike unicode path can never alias a real one).
    """
    if not isinstance(path, str):
        raise InvalidArgument(argument, "must be a string")
    if not path:
        raise InvalidArgument(argument, "must not be empty")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidArgument(argument, f"must be at most {MAX_PATH_LENGTH} characters")
    if _PATH_RE.fullmatch(path) is None:
        if path.startswith("/") or path.endswith("/"):
            rule = "must not start or end with '/'"
        elif "//" in path:
            rule = "must not contain empty segments ('//')"
        elif any(seg in (".", "..") for seg in path.split("/")):
            rule = "must not contain '.' or '..' segments"
        else:
            rule = "may contain only letters A-Z a-z, digits, '_', '-' and '/' between segments"
        raise InvalidArgument(argument, rule)
    return path


def validate_prefix(prefix: object, argument: str = "prefix") -> str:
    """A list prefix: empty, or the start of a valid path (a trailing '/' is allowed)."""
    if prefix is None:
        return ""
    if not isinstance(prefix, str):
        raise InvalidArgument(argument, "must be a string")
    if not prefix:
        return ""
    if len(prefix) > MAX_PATH_LENGTH:
        raise InvalidArgument(argument, f"must be at most {MAX_PATH_LENGTH} characters")
    body = prefix[:-1] if prefix.endswith("/") else prefix
    if not body or _PATH_RE.fullmatch(body) is None:
        raise InvalidArgument(argument, "must be the beginning of a valid secret path")
    return prefix


def validate_value(value: object, argument: str = "value") -> str:
    if not isinstance(value, str):
        raise InvalidArgument(argument, "must be a string")
    if not value:
        raise InvalidArgument(argument, "must not be empty")
    if "\x00" in value:
        raise InvalidArgument(argument, "must not contain NUL characters")
    if len(value) > MAX_VALUE_BYTES or len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
        raise InvalidArgument(argument, f"must be at most {MAX_VALUE_BYTES} bytes")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgument(argument, "must be valid Unicode text") from None
    return value


def validate_secret_type(type_: object, argument: str = "type") -> str:
    if not isinstance(type_, str) or type_ not in SECRET_TYPES:
        raise InvalidArgument(argument, "must be one of " + ", ".join(SECRET_TYPES))
    return type_


def validate_metadata(metadata: object, argument: str = "metadata") -> dict[str, Any]:
    import json

    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidArgument(argument, "must be a JSON object")
    try:
        encoded = json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidArgument(argument, "must contain only JSON values") from None
    if len(encoded) > MAX_METADATA_BYTES:
        raise InvalidArgument(argument, f"must be at most {MAX_METADATA_BYTES} bytes as JSON")
    if not all(isinstance(k, str) for k in metadata):
        raise InvalidArgument(argument, "keys must be strings")
    try:
        check_metadata_keys(metadata)
    except BindingError as exc:
        raise InvalidArgument(argument, str(exc)) from None
    hosts = metadata.get("allowed_hosts")
    if hosts is not None:
        if not isinstance(hosts, list):
            raise InvalidArgument(
                argument, "'allowed_hosts' must be a list of bindings such as 'api.example.com'"
            )
        try:
            parse_bindings(hosts)
        except BindingError as exc:
            raise InvalidArgument(argument, f"'allowed_hosts': {exc}") from None
    tools = metadata.get("allowed_tools")
    if tools is not None and (
        not isinstance(tools, list) or not all(isinstance(t, str) and t for t in tools)
    ):
        raise InvalidArgument(argument, "'allowed_tools' must be a list of tool names")
    return dict(metadata)


def parse_json_object(text: str, argument: str) -> dict[str, Any]:
    """``text`` read as a JSON object (as the command line takes arguments and metadata)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise InvalidArgument(argument, "must be a JSON object") from None
    if not isinstance(value, dict):
        raise InvalidArgument(argument, "must be a JSON object")
    return value


def validate_max_access_count(count: object, argument: str = "max_access_count") -> int:
    if count is None:
        return 0
    if isinstance(count, bool) or not isinstance(count, int):
        raise InvalidArgument(argument, "must be a whole number (0 = unlimited)")
    if count < 0:
        raise InvalidArgument(argument, "must not be negative (0 = unlimited)")
    if count > 2**31 - 1:
        raise InvalidArgument(argument, "is too large")
    return count


def parse_datetime(value: object, argument: str = "expires_at") -> datetime | None:
    """An RFC 3339 timestamp (or a datetime) as an aware UTC datetime; ``None`` stays ``None``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidArgument(
                argument, "must be an RFC 3339 date-time such as 2030-01-31T12:00:00Z"
            ) from None
    else:
        raise InvalidArgument(argument, "must be an RFC 3339 date-time string")
    if dt.tzinfo is None:
        raise InvalidArgument(argument, "must include a time zone (for example a trailing 'Z')")
    if not (1970 <= dt.year <= 9998):
        raise InvalidArgument(argument, "is out of range")
    return dt.astimezone(UTC)


def validate_permissions(perms: object, argument: str = "permissions") -> tuple[str, ...]:
    if not isinstance(perms, (list, tuple)) or not perms:
        raise InvalidArgument(argument, "must be a non-empty list of " + ", ".join(PERMISSIONS))
    out: list[str] = []
    for p in perms:
        if p not in PERMISSIONS:
            raise InvalidArgument(argument, "each entry must be one of " + ", ".join(PERMISSIONS))
        if p not in out:
            out.append(p)
    return tuple(out)


def validate_rotation(length: object, charset: object) -> None:
    """A server-side rotation's ``length`` (8-1024) and ``charset`` (one of :data:`ROTATE_CHARSETS`)."""
    if isinstance(length, bool) or not isinstance(length, int) or not 8 <= length <= 1024:
        raise InvalidArgument("length", "must be a whole number from 8 to 1024")
    if charset not in ROTATE_CHARSETS:
        raise InvalidArgument("charset", "must be one of " + ", ".join(ROTATE_CHARSETS))


def validate_pattern(pattern: object, argument: str = "secret_path_pattern") -> str:
    """A policy glob: segments of path characters or ``*``, or ``**`` (any depth)."""
    if not isinstance(pattern, str) or not pattern:
        raise InvalidArgument(argument, "must be a non-empty glob such as 'prod/*' or '**'")
    if len(pattern) > MAX_PATH_LENGTH:
        raise InvalidArgument(argument, f"must be at most {MAX_PATH_LENGTH} characters")
    for seg in pattern.split("/"):
        if _PATTERN_SEGMENT.fullmatch(seg) is None or ("**" in seg and seg != "**"):
            raise InvalidArgument(
                argument, "segments may contain only A-Z a-z 0-9 _ - and '*', or be exactly '**'"
            )
    return pattern


def utcnow() -> datetime:
    return datetime.now(UTC)
