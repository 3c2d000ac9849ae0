"""The shared scripted scenario as a real CrewAI crew (used by the demo, the notebook and tests).

:func:`function_tool` turns a plain Python function into an ordinary CrewAI tool, which is how
the scenario's "third-party" tools (echoes, a tool that raises) enter the crew; each is then
wrapped with :func:`~crewai_oneclaw.wrap.wrap_tool`. :func:`build_crew` assembles one agent with
the generated tools and the wrapped ones, a :class:`~crewai_oneclaw.testing.scripted.ScriptedLLM` (or any
CrewAI LLM) and one task whose description is the user's prompt (and the leak prompt).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, get_type_hints

from crewai import LLM, Agent, Crew, Task
from crewai.llms.base_llm import BaseLLM
from crewai.tools import BaseTool
from crewai.tools.base_tool import Tool
from pydantic import create_model

from ..tools import OneClawCrewTools
from ..wrap import wrap_tool

if TYPE_CHECKING:
    from oneclaw_tools import Session

__all__ = ["build_crew", "function_tool", "wrapped_third_party_tools"]


def function_tool(name: str, description: str, func: Callable[..., Any]) -> BaseTool:
    """An ordinary CrewAI tool for ``func`` (arguments from its signature), as a user would write."""
    hints = get_type_hints(func)
    fields: dict[str, Any] = {}
    for param in inspect.signature(func).parameters.values():
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (hints.get(param.name, str), default)
    schema = create_model(f"{name}_args", **fields)
    return Tool(name=name, description=description, func=func, args_schema=schema)


def wrapped_third_party_tools(
    session: Session, tools: Mapping[str, tuple[str, Callable[..., Any]]]
) -> list[BaseTool]:
    """``{name: (description, func)}`` as CrewAI tools behind the session's placeholders and guard."""
    return [wrap_tool(function_tool(name, desc, func), session) for name, (desc, func) in tools.items()]


def build_crew(
    session: Session,
    llm: BaseLLM | LLM,
    *,
    task_description: str,
    extra_tools: Iterable[BaseTool] = (),
    verbose: bool = False,
    max_iter: int = 30,
    cache: bool = True,
    prefix: str = "",
) -> Crew:
    """One agent with every generated tool (named with ``prefix``) plus ``extra_tools`` and one task.

    The crew cache is on by default here (CrewAI's own default is off): the worst case, in
    which only the tools' ``cache_function`` keeps results out of ``CacheHandler``.
    """
    agent = Agent(
        role="Credential operator",
        goal="Use the team's credentials to get work done without ever revealing a secret value.",
        backstory="You manage secrets through vault tools. You work with handles, never with values.",
        tools=[*OneClawCrewTools(session, prefix=prefix).tools(), *extra_tools],
        llm=llm,
        verbose=verbose,
        max_iter=max_iter,
        allow_delegation=False,
    )
    task = Task(
        description=task_description,
        expected_output="A short report of what was done, without any secret value.",
        agent=agent,
    )
    return Crew(agents=[agent], tasks=[task], verbose=verbose, cache=cache)
