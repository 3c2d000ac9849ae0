"""The env-vars layout on the local server: where a variable is stored, and its checks.

Every variable is an ordinary secret of type ``env`` under ``__env/<environment>/<KEY>`` (and
``__env/<environment>/__branch/<branch>/<KEY>`` for a preview override); its metadata holds
the rest (see :mod:`.env_vars`). These functions map between paths and (environment, branch,
key), check the request's fields (each failure an ``InvalidArgument`` naming the field and
the rule), and read a stored secret as an :class:`Entry`. No I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import InvalidArgument
from ..models import SecretMeta

__all__ = [
    "DEFAULT_ENVIRONMENTS",
    "DEFAULT_RESOLVE_ENVIRONMENT",
    "RESERVED_PREFIX",
    "Entry",
    "check_bool",
    "check_branch",
    "check_comment",
    "check_env",
    "check_environments",
    "check_key",
    "env_order",
    "env_path",
    "is_reserved",
    "iso",
    "parse_env_path",
]

RESERVED_PREFIX = "__env/"
DEFAULT_ENVIRONMENTS: tuple[str, ...] = ("production", "preview", "development")
#: What ``resolve`` without ``environment`` resolves: the least sensitive environment (an
#: agent that wants production names it); the response's ``environment`` says which.
DEFAULT_RESOLVE_ENVIRONMENT = "development"
_BRANCH_MARK = "__branch"
_KEY_RE = re.compile(r"[A-Z0-9_]{1,256}")
_ENV_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_BRANCH_RE = re.compile(r"[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*")
_MAX_BRANCH = 200
_MAX_COMMENT = 1024
_MAX_ENVIRONMENTS = 16
_KEY_RULE = "must be 1-256 characters of A-Z, 0-9 and _"
_ENV_RULE = "must be an environment slug: a-z, 0-9, '_' and '-', at most 64 characters"
_BRANCH_RULE = f"may contain only A-Z a-z 0-9 '_' '-' and '/' between parts, at most {_MAX_BRANCH} characters"


def is_reserved(path: str) -> bool:
    """Whether a secret path belongs to the env-vars store (hidden from plain secret lists)."""
    return path.startswith(RESERVED_PREFIX)


def env_path(environment: str, key: str, git_branch: str | None = None) -> str:
    """The secret path that stores ``key`` for ``environment`` (and a branch override)."""
    if git_branch:
        return f"{RESERVED_PREFIX}{environment}/{_BRANCH_MARK}/{git_branch}/{key}"
    return f"{RESERVED_PREFIX}{environment}/{key}"


def parse_env_path(path: str) -> tuple[str, str | None, str] | None:
    """``(environment, git_branch, key)`` for a reserved path, ``None`` for anything else."""
    if not is_reserved(path):
        return None
    parts = path[len(RESERVED_PREFIX) :].split("/")
    if len(parts) == 2 and _ENV_RE.fullmatch(parts[0]) and _KEY_RE.fullmatch(parts[1]):
        return parts[0], None, parts[1]
    if len(parts) >= 4 and parts[1] == _BRANCH_MARK and _ENV_RE.fullmatch(parts[0]):
        branch = "/".join(parts[2:-1])
        if _KEY_RE.fullmatch(parts[-1]) and _BRANCH_RE.fullmatch(branch):
            return parts[0], branch, parts[-1]
    return None


def iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def env_order(env: str) -> tuple[int, str]:
    return (
        DEFAULT_ENVIRONMENTS.index(env) if env in DEFAULT_ENVIRONMENTS else len(DEFAULT_ENVIRONMENTS),
        env,
    )


@dataclass(frozen=True)
class Entry:
    """One stored secret of the env-vars store."""

    meta: SecretMeta
    environment: str
    git_branch: str | None
    key: str

    @property
    def group(self) -> str:
        gid = self.meta.metadata.get("env_var_id")
        return gid if isinstance(gid, str) and gid else self.meta.id

    @property
    def sensitive(self) -> bool:
        return self.meta.metadata.get("sensitive") is True

    @property
    def comment(self) -> str | None:
        comment = self.meta.metadata.get("comment")
        return comment if isinstance(comment, str) else None

    def stored(self, name: str, default: str) -> str:
        value = self.meta.metadata.get(name)
        return value if isinstance(value, str) else default


def check_key(key: object) -> str:
    if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
        raise InvalidArgument("key", _KEY_RULE)
    return key


def check_env(env: object, argument: str = "environment") -> str:
    if not isinstance(env, str) or _ENV_RE.fullmatch(env) is None:
        raise InvalidArgument(argument, _ENV_RULE)
    return env


def check_branch(branch: object) -> str | None:
    if branch is None or branch == "":
        return None
    if not isinstance(branch, str) or len(branch) > _MAX_BRANCH or _BRANCH_RE.fullmatch(branch) is None:
        raise InvalidArgument("git_branch", _BRANCH_RULE)
    return branch


def check_environments(value: object, branch: str | None) -> list[str] | None:
    """The body's ``environments`` (``None`` when absent); a branch override is preview only."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > _MAX_ENVIRONMENTS:
        raise InvalidArgument("environments", f"must be a list of 1 to {_MAX_ENVIRONMENTS} environment slugs")
    envs = [check_env(e, "environments") for e in value]
    if len(set(envs)) != len(envs):
        raise InvalidArgument("environments", "must not repeat an environment")
    if branch is not None and envs != ["preview"]:
        raise InvalidArgument("git_branch", "applies only to the preview environment")
    return sorted(envs, key=env_order)


def check_comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_COMMENT or "\x00" in value:
        raise InvalidArgument("comment", f"must be a string of at most {_MAX_COMMENT} characters")
    return value


def check_bool(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(name, "must be true or false")
    return value
