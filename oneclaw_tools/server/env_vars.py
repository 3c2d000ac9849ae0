"""The vault env-vars API (§6.2 of the 1Claw REST reference) on the local server.

Routes: ``GET|POST /v1/vaults/{vault_id}/env-vars``, ``GET|PATCH|DELETE .../env-vars/{KEY}``
and ``GET .../env-vars/resolve``. There is no env-var table: every variable is an ordinary
secret of type ``env`` in the same vault, so encryption, versions, audit and policies come
from :class:`~oneclaw_tools.backends.local.LocalVault` unchanged.

Storage layout (one secret per environment, and per branch for preview overrides; the paths
and the field checks are in :mod:`.env_layout`)::

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
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..backends.local import LocalBackend, LocalVault
from ..errors import Gone, InvalidArgument, NotFound, OneClawError
from ..models import SecretMeta
from ..validation import validate_value
from .env_layout import (
    DEFAULT_ENVIRONMENTS,
    DEFAULT_RESOLVE_ENVIRONMENT,
    RESERVED_PREFIX,
    Entry,
    check_bool,
    check_branch,
    check_comment,
    check_env,
    check_environments,
    check_key,
    env_order,
    env_path,
    is_reserved,
    iso,
    parse_env_path,
)

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
    def _entries(b: LocalBackend, vault_id: str, environment: str | None = None) -> list[Entry]:
        prefix = RESERVED_PREFIX + (environment + "/" if environment else "")
        out = []
        for meta in b.list_secrets(vault_id, prefix):
            parsed = parse_env_path(meta.path)
            if parsed is not None and not meta.is_disabled:
                out.append(Entry(meta, *parsed))
        return out

    @staticmethod
    def _value(b: LocalBackend, entry: Entry) -> str | None:
        """The entry's value, or ``None`` when it cannot be read any more (disabled, expired)."""
        try:
            return b.get_secret(entry.meta.vault_id, entry.meta.path).value.reveal_unsafe()
        except (Gone, NotFound):
            return None

    @staticmethod
    def _json(group: list[Entry], value: str | None) -> dict[str, Any]:
        first = min(group, key=lambda e: env_order(e.environment))
        newest = max(group, key=lambda e: e.meta.created_at or datetime.min.replace(tzinfo=UTC))
        return {
            "id": first.group, "key": first.key,
            "environments": sorted({e.environment for e in group}, key=env_order),
            "git_branch": first.git_branch, "sensitive": newest.sensitive, "comment": newest.comment,
            "value": value, "version": max(e.meta.version for e in group),
            "created_by": first.stored("created_by", first.meta.created_by),
            "created_at": first.stored("created_at", iso(first.meta.created_at) or ""),
            "updated_at": iso(newest.meta.created_at),
        }  # fmt: skip

    @staticmethod
    def _select(entries: list[Entry], key: str, environment: str | None, branch: str | None) -> list[Entry]:
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
        environment = check_env(q["environment"]) if q.get("environment") else None
        branch_filter = check_branch(q.get("git_branch"))

        def work(b: LocalBackend) -> list[dict[str, Any]]:
            entries = self._entries(b, vault_id, environment)
            if branch_filter is not None:
                entries = [e for e in entries if e.git_branch == branch_filter]
            groups: dict[tuple[str, str | None, str], list[Entry]] = {}
            for e in entries:
                groups.setdefault((e.group, e.git_branch, e.key), []).append(e)
            out = []
            for group in groups.values():
                value = None
                if not group[0].sensitive:
                    value = self._value(b, min(group, key=lambda e: env_order(e.environment)))
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
        key = check_key(data.get("key"))
        value = validate_value(data.get("value"))
        branch = check_branch(data.get("git_branch"))
        envs = check_environments(data.get("environments"), branch)
        if envs is None:
            envs = ["preview"] if branch else list(DEFAULT_ENVIRONMENTS)
        sensitive = bool(check_bool(data, "sensitive"))
        comment = check_comment(data.get("comment"))

        def work(b: LocalBackend) -> dict[str, Any]:
            metadata = {
                "env_var_id": str(uuid.uuid4()), "key": key, "git_branch": branch, "sensitive": sensitive,
                "comment": comment, "created_by": str(b.principal), "created_at": iso(datetime.now(UTC)),
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
        key = check_key(request.path_params["key"])
        q = request.query_params
        environment = check_env(q["environment"]) if q.get("environment") else None
        branch = check_branch(q.get("git_branch"))
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
            value = self._value(b, min(chosen, key=lambda e: env_order(e.environment)))
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
        new_envs = check_environments(data.get("environments"), branch)
        sensitive = check_bool(data, "sensitive")
        comment = check_comment(data.get("comment")) if "comment" in data else None

        def work(b: LocalBackend) -> dict[str, Any]:
            group = self._select(self._entries(b, vault_id), key, environment, branch)
            current = min(group, key=lambda e: env_order(e.environment))
            value = new_value if new_value is not None else self._value(b, current)
            if value is None:
                raise NotFound(f"env var {key} not found.")
            metadata = dict(current.meta.metadata)
            metadata.update(env_var_id=current.group, key=key, git_branch=branch)
            metadata.setdefault("created_at", iso(current.meta.created_at))
            if sensitive is not None:
                metadata["sensitive"] = sensitive
            if "comment" in data:
                metadata["comment"] = comment
            envs = new_envs if new_envs is not None else sorted({e.environment for e in group}, key=env_order)
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
        environment = check_env(q["environment"]) if q.get("environment") else DEFAULT_RESOLVE_ENVIRONMENT
        branch = check_branch(q.get("git_branch"))

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
                "resolved_at": iso(datetime.now(UTC))}  # fmt: skip
        return JSONResponse(body, headers={"Cache-Control": "no-store"})
