"""``OneClawToolSpec``: the core's tool specs as LlamaIndex ``FunctionTool`` objects.

The spec is a loop over ``session.specs`` (already filtered by the operator's policy): for each
spec it generates a sync and an async method, lists them in ``spec_functions`` the way every
``BaseToolSpec`` does, and ``to_tool_list()`` turns them into ``FunctionTool`` objects whose name,
description and argument model are the spec's own, so they cannot drift from the other surfaces.

The session is held on the spec instance, out of every schema. Each call goes through
``session.call_text`` / ``acall_text``; whatever comes back (a result or a ``ToolError``) becomes a
finished ``ToolOutput`` built by :mod:`._outputs`.

With ``human_approval=True`` a tool the operator's policy gates takes the workflow ``Context`` and
asks the human through ``InputRequiredEvent`` / ``HumanResponseEvent`` before it runs
(:mod:`.approval`); such a tool is async only.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from llama_index.core.tools import FunctionTool, ToolMetadata, ToolOutput
from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec
from llama_index.core.workflow import Context
from pydantic import BaseModel

from oneclaw_tools import Session, ToolSpec
from oneclaw_tools.naming import check_prefix, surface_name
from oneclaw_tools.toolkit import SessionConstructors

from ._outputs import GuardedFunctionTool, Settle, afinish, error_output, finish, ok_output, plain_args
from .approval import ask_approval

__all__ = ["OneClawToolSpec", "tool_surface"]

ASYNC_PREFIX = "a"


def _structured(text: str) -> Any:
    """The JSON result behind ``text`` for ``raw_output`` (the text itself if it is not JSON)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


class OneClawToolSpec(SessionConstructors, BaseToolSpec):
    """Every oneclaw tool the operator's policy allows, for any LlamaIndex agent.

    >>> tools = OneClawToolSpec(Session.local(path)).to_tool_list()
    >>> agent = FunctionAgent(tools=tools, llm=llm)

    ``spec_functions`` holds ``(name, "a" + name)`` pairs, so each ``FunctionTool`` gets a real
    sync ``fn`` and a real ``async_fn``. Pass ``spec_functions=["list_secrets", ...]`` to
    ``to_tool_list`` to pick a subset (by the core's names). ``prefix="oneclaw_"`` names every
    tool ``oneclaw_<name>``, the same on every surface. Also ``OneClawToolSpec.from_env()``,
    ``OneClawToolSpec.remote(api_key=..., base_url=..., vault_id=...)`` and
    ``OneClawToolSpec.local(path)`` (each also takes ``human_approval=``; the same on every
    surface: ``oneclaw_tools.toolkit``).
    """

    spec_functions: list[SPEC_FUNCTION_TYPE]
    ADAPTER_OPTIONS = frozenset({"human_approval"})

    def __init__(self, session: Session, *, human_approval: bool = False, prefix: str = "") -> None:
        self._session = session
        self._human_approval = human_approval
        self._prefix = check_prefix(prefix)
        self._specs: dict[str, ToolSpec] = {spec.name: spec for spec in session.specs}
        self.spec_functions = [(name, ASYNC_PREFIX + name) for name in self._specs]
        for spec in self._specs.values():
            setattr(self, spec.name, self._sync_function(spec))
            if self._asks(spec.name):
                setattr(self, ASYNC_PREFIX + spec.name, self._approving_function(spec))
            else:
                setattr(self, ASYNC_PREFIX + spec.name, self._async_function(spec))

    @property
    def session(self) -> Session:
        """The session every generated tool calls (application code only; never in a schema)."""
        return self._session

    def __repr__(self) -> str:
        return f"OneClawToolSpec(tools={list(self._specs)!r})"

    # -- generated functions -----------------------------------------------------------------
    def _sync_function(self, spec: ToolSpec) -> Callable[..., ToolOutput]:
        session, name = self._session, spec.name

        def run(**kwargs: Any) -> ToolOutput:
            with Settle(session, name, "oneclaw tool") as call:
                call.args = plain_args(kwargs)
                text = session.call_text(name, call.args)
                call.output = ok_output(session, name, call.args, text, _structured(text))
            return call.result

        run.__name__ = run.__qualname__ = name
        run.__doc__ = spec.description
        return run

    def _async_function(self, spec: ToolSpec) -> Callable[..., Awaitable[ToolOutput]]:
        session, name = self._session, spec.name

        async def arun(**kwargs: Any) -> ToolOutput:
            with Settle(session, name, "oneclaw tool") as call:
                call.args = plain_args(kwargs)
                text = await session.acall_text(name, call.args)
                call.output = ok_output(session, name, call.args, text, _structured(text))
            return call.result

        arun.__name__ = arun.__qualname__ = ASYNC_PREFIX + name
        arun.__doc__ = spec.description
        return arun

    def _asks(self, name: str) -> bool:
        return self._human_approval and name in self._session.policy.require_approval

    def _approving_function(self, spec: ToolSpec) -> Callable[..., Awaitable[ToolOutput]]:
        """The async function of a gated tool: asks through workflow events, then runs."""
        session, name = self._session, spec.name
        plain = self._async_function(spec)

        async def arun(ctx: Context, **kwargs: Any) -> ToolOutput:
            kwargs = plain_args(kwargs)
            record = await asyncio.to_thread(session.approvals.pending_for, name, kwargs)
            if record is not None:
                refusal = await ask_approval(session, ctx, record)  # pauses the workflow
                if refusal is not None:
                    return error_output(session, name, kwargs, refusal)
            return await plain(**kwargs)

        arun.__name__ = arun.__qualname__ = ASYNC_PREFIX + name
        arun.__doc__ = spec.description
        # FunctionTool finds the Context parameter by comparing the annotation object; this
        # module's annotations are strings (postponed evaluation), so set the real class.
        arun.__annotations__ = {"ctx": Context, "kwargs": Any, "return": ToolOutput}
        return arun

    # -- BaseToolSpec hooks ------------------------------------------------------------------
    def get_fn_schema_from_fn_name(
        self, fn_name: str, spec_functions: list[SPEC_FUNCTION_TYPE] | None = None
    ) -> type[BaseModel] | None:
        """The spec's own pydantic argument model."""
        return self._spec(fn_name).args_model

    def get_metadata_from_fn_name(
        self, fn_name: str, spec_functions: list[SPEC_FUNCTION_TYPE] | None = None
    ) -> ToolMetadata | None:
        """Name, description and argument model exactly as the core defines them."""
        spec = self._spec(fn_name)
        name = surface_name(self._prefix, spec.name)
        return ToolMetadata(name=name, description=spec.description, fn_schema=spec.args_model)

    def to_tool_list(
        self,
        spec_functions: list[SPEC_FUNCTION_TYPE] | None = None,
        func_to_metadata_mapping: dict[str, ToolMetadata] | None = None,
    ) -> list[FunctionTool]:
        """One ``FunctionTool`` (sync ``fn`` + ``async_fn``) per selected spec.

        Same contract as ``BaseToolSpec.to_tool_list``; additionally each tool carries a callback
        that keeps the guarded ``ToolOutput`` the function built, so ``raw_output`` is never a
        bare value.
        """
        mapping = func_to_metadata_mapping or {}
        tools: list[FunctionTool] = []
        for entry in spec_functions or self.spec_functions:
            name = entry if isinstance(entry, str) else entry[0]
            name = name.removeprefix(ASYNC_PREFIX) if name not in self._specs else name
            spec = self._spec(name)
            metadata = mapping.get(name) or self.get_metadata_from_fn_name(name)
            tools.append(
                GuardedFunctionTool.from_defaults(
                    fn=None if self._asks(spec.name) else getattr(self, spec.name),
                    async_fn=getattr(self, ASYNC_PREFIX + spec.name),
                    tool_metadata=metadata,
                    callback=finish,
                    async_callback=afinish,
                )
            )
        return tools

    def _spec(self, name: str) -> ToolSpec:
        try:
            return self._specs[name]
        except KeyError:
            allowed = ", ".join(self._specs) or "none"
            raise ValueError(f"unknown or disallowed oneclaw tool {name!r}; allowed: {allowed}") from None


def tool_surface(session: Session, *, prefix: str = "") -> list[dict[str, Any]]:
    """The tools exactly as LlamaIndex presents them to a model (``metadata.to_openai_tool()``).

    Each entry is ``{"name", "description", "parameters"}``; used by the cross-surface test.
    """
    surface: list[dict[str, Any]] = []
    for tool in OneClawToolSpec(session, prefix=prefix).to_tool_list():
        function = tool.metadata.to_openai_tool()["function"]
        surface.append(
            {
                "name": function["name"],
                "description": function["description"],
                "parameters": function["parameters"],
            }
        )
    return surface
