"""``oneclaw-tools demo --framework crewai``: the shared scenario through a real ``Crew.kickoff``.

An embedded vault in a temporary folder gets canary credentials (one bound to a small API on
127.0.0.1 and to the wrapped third-party tools); a crew whose model is the shared
:class:`~oneclaw_tools.testing.scenario.Script` (through :class:`~crewai_oneclaw.scripted.ScriptedLLM`)
lists, describes, fetches a handle, calls the API with it, tries the adversarial tools, rotates
and shares. Every turn of what the model saw is printed; the run ends by searching everything
CrewAI recorded (messages, events, logs, caches, outputs, files under its temporary ``HOME``)
for every canary in every common encoding.

With ``ONECLAW_DEMO_MODEL`` and ``OPENAI_API_KEY`` set, a real model drives the crew instead
(CrewAI's ``LLM``), and the same no-leak check runs.

CrewAI's environment (telemetry off, a temporary ``HOME``) is set before crewai is imported and
restored afterwards; this module imports crewai only inside :func:`run_demo`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oneclaw_tools import Session
from oneclaw_tools.testing.scenario import (
    LEAK_PROMPT,
    USER_PROMPT,
    Script,
    assert_no_canary,
    local_api,
    scenario_policy,
    seed_canaries,
    third_party_tools,
)

from .offline import offline_env, use_env

__all__ = ["describe_turns", "run_demo"]

Echo = Callable[[str], None]


def _short(text: str, width: int = 300) -> str:
    text = text.replace("\n", " ⏎ ")
    return text if len(text) <= width else text[:width] + f"… ({len(text)} chars)"


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if content is None and message.get("tool_calls"):
        calls = message["tool_calls"]
        return "; ".join(f"{c['function']['name']}({c['function']['arguments']})" for c in calls)
    return str(content)


def describe_turns(seen: list[list[dict[str, Any]]], answers: list[Any]) -> list[str]:
    """One line per message the model received (only what is new at each call), then its answer."""
    lines: list[str] = []
    before = 0
    for turn, (messages, answer) in enumerate(zip(seen, answers, strict=False), start=1):
        for message in messages[before:] if before <= len(messages) else messages:
            lines.append(f"     {message.get('role', '?'):9} → model: {_short(_content(message))}")
        before = len(messages)
        shown = answer if isinstance(answer, str) else json.dumps(answer)
        if isinstance(answer, list):
            shown = "; ".join(f"{c['function']['name']}({c['function']['arguments']})" for c in answer)
        lines.append(f"[{turn:02}] model     → {_short(shown)}")
    return lines


def run_demo(*, echo: Echo = print, native: bool = True) -> int:
    """Run the scenario through CrewAI; returns 0 when the final no-leak check passes."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="oneclaw-crewai-demo-") as tmp:
        base = Path(tmp)
        with use_env(offline_env(base)):
            return _run(base, echo, native=native, started=started)


def _run(base: Path, echo: Echo, *, native: bool, started: float) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportWarning)  # crewai.rag's lazy module, at import
        from crewai.crews.crew_output import CrewOutput

        from .recorder import CrewRecorder
        from .scenario import build_crew, wrapped_third_party_tools
        from .scripted import ScriptedLLM

    real_model = os.environ.get("ONECLAW_DEMO_MODEL") if os.environ.get("OPENAI_API_KEY") else None
    with Session.local(base / "vault.db", policy=scenario_policy()) as session, local_api() as api:
        canaries = seed_canaries(session, api_host=api.host)
        api.token = canaries.api_token
        script = Script(api.url)
        llm: Any
        if real_model:  # pragma: no cover - needs a provider key
            from crewai import LLM

            llm = LLM(model=real_model)
        else:
            llm = ScriptedLLM.for_script(script, native=native)
        task = f"{USER_PROMPT}\n{LEAK_PROMPT}"
        crew = build_crew(
            session,
            llm,
            task_description=task,
            extra_tools=wrapped_third_party_tools(session, third_party_tools()),
        )
        mode = "a real model" if real_model else ("function calling" if native else "ReAct")
        echo(f"vault: a temporary embedded vault with {len(canaries.values)} canary secrets")
        echo(f"api:   {api.url}/whoami, which requires the credential at demo/service_token")
        echo(f"crew:  one agent, {len(crew.agents[0].tools or [])} tools, CrewAI {mode}")
        echo(f"user:  {task}")
        with CrewRecorder() as recorder:
            output = crew.kickoff()
        assert isinstance(output, CrewOutput)  # not streaming
        printed: list[str] = []
        if isinstance(llm, ScriptedLLM):
            printed = describe_turns(llm.seen, llm.answers)
            for line in printed:
                echo(line)
        echo(f"final answer: {output.raw}")
        haystack = recorder.collect(
            llm=llm, crew=crew, output=output, folders=[base / "home", base / "crewai-storage"]
        )
        try:
            if not real_model:
                script.check_flow()
            assert_no_canary([*haystack, *printed], canaries)
        except AssertionError as exc:
            echo(f"check FAILED: {exc}")
            return 1
    echo(
        f"check passed: none of the {len(canaries.values)} secret values appeared, raw or encoded, in the "
        f"{len(getattr(llm, 'seen', []))} model calls, {len(recorder.events)} CrewAI events, {len(recorder.logs)} "
        f"log records, the caches, the outputs or the files CrewAI wrote ({time.perf_counter() - started:.1f} s)."
    )
    return 0
