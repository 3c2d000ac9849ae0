"""The vault env-vars API (§6.2 of the 1Claw REST reference) on the local server.

Routes: ``GET|POST /v1/vaults/{vault_id}/env-vars``, ``GET|PATCH|DELETE .../env-vars/{KEY}``
and ``GET .../env-vars/resolve``. There is no env-var table: every variable is an ordinary
secret of type ``env`` in the same vault, so encryption, versions, audit and policies come
from :class:`~oneclaw_tools.backends.local.LocalVault` unchanged.

Storage layout (one secret per environment, and per branch for preview overrides)::

    __env/<environment>/<KEY>                      vault level
    __env/<environment>/__branch/<branch>/<KEY>    git-branch override (preview only)

The secret's metadata holds ``env_var_id`` (shared by the secrets one POST created, so a
variable set for three environments is one ``EnvVar`` with ``environments`` of three),
``sensitive``, ``comment``, ``git_branch``, ``created_by`` and ``created_at``.

Permissions are the vault's policies on those paths: listing, reading and resolving need
``read`` (unreadable variables are left out, as in secret lists); POST needs ``write``;
PATCH needs ``read`` (to find the variable) and ``write``; DELETE and dropping an
environment in a PATCH need ``delete`` (which ``write`` covers). A policy on
``__env/production/**`` therefore grants exactly the production variables.

Deliberate local choices: there is no org level, so ``resolve`` knows the sources
``vault`` and ``branch_override`` only; without ``environment`` it resolves ``development``.
POST on an existing KEY replaces it in the named environments (a new version). A
multi-environment write that fails half-way is rolled back (new secrets soft-deleted, new
versions disabled). Values appear only in response bodies, never in a log line or an error.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..backends.local import LocalBackend, LocalVault
from ..errors import Gone, InvalidArgument, NotFound, OneClawError
from ..models import SecretMeta
from ..validation import validate_value

__all__ = [
    "DEFAULT_ENVIRONMENTS",
    "DEFAULT_RESOLVE_ENVIRONMENT",
    "RESERVED_PREFIX",
    "EnvVarsApi",
    "env_path",
    "is_reserved",
    "parse_env_path",
]

log = logging.getLogger("oneclaw_tools.server")
T = TypeVar("T")

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


def _iso(ts: datetime | None) -> str | None:
    return None if ts is None else ts.isoformat().replace("+00:00", "Z")


def _env_order(env: str) -> tuple[int, str]:
    return (
        DEFAULT_ENVIRONMENTS.index(env) if env in DEFAULT_ENVIRONMENTS else len(DEFAULT_ENVIRONMENTS),
        env,
    )


@dataclass(frozen=True)
class _Entry:
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


def _check_key(key: object) -> str:
    if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
        raise InvalidArgument("key", _KEY_RULE)
    return key


def _check_env(env: object, argument: str = "environment") -> str:
    if not isinstance(env, str) or _ENV_RE.fullmatch(env) is None:
        raise InvalidArgument(argument, _ENV_RULE)
    return env


def _check_branch(branch: object) -> str | None:
    if branch is None or branch == "":
        return None
    if not isinstance(branch, str) or len(branch) > _MAX_BRANCH or _BRANCH_RE.fullmatch(branch) is None:
        raise InvalidArgument("git_branch", _BRANCH_RULE)
    return branch


def _check_environments(value: object, branch: str | None) -> list[str] | None:
    """The body's ``environments`` (``None`` when absent); a branch override is preview only."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > _MAX_ENVIRONMENTS:
        raise InvalidArgument("environments", f"must be a list of 1 to {_MAX_ENVIRONMENTS} environment slugs")
    envs = [_check_env(e, "environments") for e in value]
    if len(set(envs)) != len(envs):
        raise InvalidArgument("environments", "must not repeat an environment")
    if branch is not None and envs != ["preview"]:
        raise InvalidArgument("git_branch", "applies only to the preview environment")
    return sorted(envs, key=_env_order)


def _check_comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_COMMENT or "\x00" in value:
        raise InvalidArgument("comment", f"must be a string of at most {_MAX_COMMENT} characters")
    return value


def _check_bool(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(name, "must be true or false")
    return value


class _Host(Protocol):
    """What the env-vars routes need from the server's API object (``app._Api``)."""

    root: LocalVault

    async def _run(
        self, request: Request, work: Callable[[LocalBackend], T], *, optional_auth: bool = False
    ) -> T: ...

    async def _body(self, request: Request, allowed: tuple[str, ...], required: tuple[str, ...] = (),
                    optional: bool = False, authenticate: bool = False) -> dict[str, Any]: ...  # fmt: skip


class EnvVarsApi:
    """The env-vars route handlers; each runs as the request's principal."""

    def __init__(self, host: _Host) -> None:
        self.host = host

    def routes(self, prefix: str) -> list[tuple[str, Callable[[Request], Awaitable[Response]], list[str]]]:
        """``(path, handler, methods)`` rows for ``create_app``; ``resolve`` before ``{key}``."""
        return [
            (prefix + "/env-vars", self.collection, ["GET", "POST"]),
            (prefix + "/env-vars/resolve", self.resolve, ["GET"]),
            (prefix + "/env-vars/{key}", self.item, ["GET", "PATCH", "DELETE"]),
        ]

    # -- reading the store -----------------------------------------------------------------------
    @staticmethod
    def _entries(b: LocalBackend, vault_id: str, environment: str | None = None) -> list[_Entry]:
        prefix = RESERVED_PREFIX + (environment + "/" if environment else "")
        out = []
        for meta in b.list_secrets(vault_id, prefix):
            parsed = parse_env_path(meta.path)
            if parsed is not None and not meta.is_disabled:
                out.append(_Entry(meta, *parsed))
        return out

    @staticmethod
    def _value(b: LocalBackend, entry: _Entry) -> str | None:
        """The entry's value, or ``None`` when it cannot be read any more (disabled, expired)."""
        try:
            return b.get_secret(entry.meta.vault_id, entry.meta.path).value.reveal_unsafe()
        except (Gone, NotFound):
            return None

    @staticmethod
    def _json(group: list[_Entry], value: str | None) -> dict[str, Any]:
        first = min(group, key=lambda e: _env_order(e.environment))
        newest = max(group, key=lambda e: e.meta.created_at or datetime.min.replace(tzinfo=UTC))
        return {
            "id": first.group, "key": first.key,
            "environments": sorted({e.environment for e in group}, key=_env_order),
            "git_branch": first.git_branch, "sensitive": newest.sensitive, "comment": newest.comment,
            "value": value, "version": max(e.meta.version for e in group),
            "created_by": first.stored("created_by", first.meta.created_by),
            "created_at": first.stored("created_at", _iso(first.meta.created_at) or ""),
            "updated_at": _iso(newest.meta.created_at),
        }  # fmt: skip

    @staticmethod
    def _select(entries: list[_Entry], key: str, environment: str | None, branch: str | None) -> list[_Entry]:
        """The variable (group of entries) that ``key``/``environment``/``git_branch`` names."""
        mine = [e for e in entries if e.key == key and e.git_branch == branch]
        if environment is not None:
            hit = [e for e in mine if e.environment == environment]
            if not hit:
                raise NotFound(f"env var {key} not found in environment {environment}.",
                               action="List the variables with GET .../env-vars.")  # fmt: skip
            return [e for e in mine if e.group == hit[0].group]
        groups = {e.group for e in mine}
        if not groups:
            raise NotFound(f"env var {key} not found.", action="List the variables with GET .../env-vars.")
        if len(groups) > 1:
            raise InvalidArgument(
                "environment", f"is required: {key} is set separately in several environments"
            )
        return mine

    # -- writing the store -----------------------------------------------------------------------
    def _write_all(
        self, b: LocalBackend, vault_id: str, paths: Iterable[str], value: str, metadata: dict[str, Any]
    ) -> None:
        """Store ``value`` at every path, or at none: a failure undoes this request's writes."""
        written: list[SecretMeta] = []
        try:
            for path in paths:
                written.append(b.put_secret(vault_id, path, value, type="env", metadata=metadata))
        except OneClawError:
            for meta in reversed(written):
                self._undo(meta)
            raise

    def _undo(self, meta: SecretMeta) -> None:
        root = self.host.root
        try:
            older = [v for v in root.list_versions(meta.vault_id, meta.path)
                     if v.version != meta.version and not v.is_disabled]  # fmt: skip
            if older:
                root.disable_version(meta.vault_id, meta.path, meta.version)
            else:
                root.delete_secret(meta.vault_id, meta.path)
        except OneClawError as exc:
            log.error("env-var rollback failed: %s", exc.code)

    # -- routes --------------------------------------------------------------------------------
    async def collection(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        if request.method == "POST":
            return await self._create(request, vault_id)
        q = request.query_params
        environment = _check_env(q["environment"]) if q.get("environment") else None
        branch_filter = _check_branch(q.get("git_branch"))

        def work(b: LocalBackend) -> list[dict[str, Any]]:
            entries = self._entries(b, vault_id, environment)
            if branch_filter is not None:
                entries = [e for e in entries if e.git_branch == branch_filter]
            groups: dict[tuple[str, str | None, str], list[_Entry]] = {}
            for e in entries:
                groups.setdefault((e.group, e.git_branch, e.key), []).append(e)
            out = []
            for group in groups.values():
                value = None
                if not group[0].sensitive:
                    value = self._value(b, min(group, key=lambda e: _env_order(e.environment)))
                    if value is None:
                        continue
                out.append(self._json(group, value))
            return sorted(out, key=lambda v: (v["key"], v["git_branch"] or "", v["environments"]))

        items = await self.host._run(request, work)
        return JSONResponse({"env_vars": items}, headers={"Cache-Control": "no-store"})

    async def _create(self, request: Request, vault_id: str) -> Response:
        data = await self.host._body(
            request, ("key", "value", "environments", "git_branch", "sensitive", "comment"), ("key", "value")
        )
        key = _check_key(data.get("key"))
        value = validate_value(data.get("value"))
        branch = _check_branch(data.get("git_branch"))
        envs = _check_environments(data.get("environments"), branch)
        if envs is None:
            envs = ["preview"] if branch else list(DEFAULT_ENVIRONMENTS)
        sensitive = bool(_check_bool(data, "sensitive"))
        comment = _check_comment(data.get("comment"))

        def work(b: LocalBackend) -> dict[str, Any]:
            metadata = {
                "env_var_id": str(uuid.uuid4()), "key": key, "git_branch": branch, "sensitive": sensitive,
                "comment": comment, "created_by": str(b.principal), "created_at": _iso(datetime.now(UTC)),
            }  # fmt: skip
            self._write_all(b, vault_id, [env_path(e, key, branch) for e in envs], value, metadata)
            group = [e for e in self._entries(b, vault_id) if e.group == metadata["env_var_id"]]
            if not group:  # written, but the caller may not read it back: answer from what we wrote
                now = metadata["created_at"]
                return {"id": metadata["env_var_id"], "key": key, "environments": envs, "git_branch": branch,
                        "sensitive": sensitive, "comment": comment, "value": value, "version": 1,
                        "created_by": metadata["created_by"], "created_at": now, "updated_at": now}  # fmt: skip
            return self._json(group, value)

        body = await self.host._run(request, work)
        return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})

    async def item(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        key = _check_key(request.path_params["key"])
        q = request.query_params
        environment = _check_env(q["environment"]) if q.get("environment") else None
        branch = _check_branch(q.get("git_branch"))
        if request.method == "PATCH":
            return await self._patch(request, vault_id, key, environment, branch)
        if request.method == "DELETE":

            def delete(b: LocalBackend) -> None:
                if environment is not None:
                    try:
                        b.delete_secret(vault_id, env_path(environment, key, branch))
                    except (Gone, NotFound):
                        raise NotFound(f"env var {key} not found in environment {environment}.") from None
                    return
                mine = [e for e in self._entries(b, vault_id) if e.key == key and e.git_branch == branch]
                if not mine:
                    raise NotFound(f"env var {key} not found.")
                for e in mine:
                    b.delete_secret(vault_id, e.meta.path)

            await self.host._run(request, delete)
            return Response(status_code=204)

        def read(b: LocalBackend) -> dict[str, Any]:
            group = self._select(self._entries(b, vault_id), key, environment, branch)
            chosen = [e for e in group if e.environment == environment] or group
            value = self._value(b, min(chosen, key=lambda e: _env_order(e.environment)))
            if value is None:
                raise NotFound(f"env var {key} not found.")
            return self._json(group, value)

        body = await self.host._run(request, read)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def _patch(
        self, request: Request, vault_id: str, key: str, environment: str | None, branch: str | None
    ) -> Response:
        data = await self.host._body(request, ("value", "environments", "sensitive", "comment"))
        new_value = None if data.get("value") is None else validate_value(data["value"])
        new_envs = _check_environments(data.get("environments"), branch)
        sensitive = _check_bool(data, "sensitive")
        comment = _check_comment(data.get("comment")) if "comment" in data else None

        def work(b: LocalBackend) -> dict[str, Any]:
            group = self._select(self._entries(b, vault_id), key, environment, branch)
            current = min(group, key=lambda e: _env_order(e.environment))
            value = new_value if new_value is not None else self._value(b, current)
            if value is None:
                raise NotFound(f"env var {key} not found.")
            metadata = dict(current.meta.metadata)
            metadata.update(env_var_id=current.group, key=key, git_branch=branch)
            metadata.setdefault("created_at", _iso(current.meta.created_at))
            if sensitive is not None:
                metadata["sensitive"] = sensitive
            if "comment" in data:
                metadata["comment"] = comment
            envs = (
                new_envs if new_envs is not None else sorted({e.environment for e in group}, key=_env_order)
            )
            self._write_all(b, vault_id, [env_path(e, key, branch) for e in envs], value, metadata)
            for e in group:
                if e.environment not in envs:
                    b.delete_secret(vault_id, e.meta.path)
            fresh = [e for e in self._entries(b, vault_id) if e.group == current.group and e.key == key]
            return self._json(fresh or group, value)

        body = await self.host._run(request, work)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def resolve(self, request: Request) -> Response:
        vault_id = request.path_params["vault_id"]
        q = request.query_params
        environment = _check_env(q["environment"]) if q.get("environment") else DEFAULT_RESOLVE_ENVIRONMENT
        branch = _check_branch(q.get("git_branch"))

        def work(b: LocalBackend) -> tuple[dict[str, str], dict[str, str]]:
            values: dict[str, str] = {}
            sources: dict[str, str] = {}
            entries = self._entries(b, vault_id, environment)
            levels = [(None, "vault")] + ([(branch, "branch_override")] if branch else [])
            for level, source in levels:  # later levels override earlier ones
                for e in sorted(entries, key=lambda e: e.key):
                    if e.git_branch != level:
                        continue
                    value = self._value(b, e)
                    if value is not None:
                        values[e.key], sources[e.key] = value, source
            return values, sources

        values, sources = await self.host._run(request, work)
        body = {"vars": values, "sources": sources, "environment": environment, "git_branch": branch,
                "resolved_at": _iso(datetime.now(UTC))}  # fmt: skip
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
