"""The demo: an agent uses a credential it never sees, and the run proves it.

``oneclaw-tools demo`` creates an embedded vault in a temporary folder, seeds canary
credentials (one bound to a small API it starts on 127.0.0.1 that requires it), and runs an
agent loop: a scripted model by default, or a real OpenAI-compatible model when
``ONECLAW_DEMO_MODEL`` is set (with ``OPENAI_API_KEY`` and optionally ``OPENAI_BASE_URL``).
It prints what the model saw, turn by turn, and ends by searching all of it for every seeded
value in every common encoding.

With ``--framework langchain|llamaindex|crewai|mcp`` the same scenario runs through that
framework's real agent loop: the adapter's driver (``<adapter>.testing``), found through the
entry-point group ``oneclaw_tools.surfaces``, so the core imports no framework.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .session import Session, ToolError
from .testing.scenario import (
    LEAK_PROMPT,
    THIRD_PARTY_TOOLS,
    USER_PROMPT,
    Script,
    assert_no_canary,
    local_api,
    scenario_policy,
    seed_canaries,
)

__all__ = ["FRAMEWORK_DEMOS", "run_demo"]

#: framework → the adapter's folder in a clone of this repository (for the install hint)
FRAMEWORK_DEMOS = {
    "langchain": "adapters/langchain",
    "llamaindex": "adapters/llamaindex",
    "crewai": "adapters/crewai",
    "mcp": "adapters/mcp",
}

Echo = Callable[[str], None]


def _show(text: str, width: int = 400) -> str:
    return text if len(text) <= width else text[:width] + f"… ({len(text)} chars)"


def _tool(session: Session, name: str, args: dict[str, Any]) -> str:
    """Run a tool the way an adapter does: ours through the session, third-party ones wrapped."""
    try:
        if name in THIRD_PARTY_TOOLS:
            out = session.run_wrapped(name, THIRD_PARTY_TOOLS[name][1], args)
            return out if isinstance(out, str) else json.dumps(out)
        return session.call_text(name, args)
    except ToolError as err:
        return err.text


def _scripted_loop(session: Session, script: Script, seen: list[Any], echo: Echo) -> None:
    output: str | None = None
    turn = 0
    while True:
        call = script.next_call(output)
        turn += 1
        if call is None:
            answer = script.final_answer()
            seen.append(answer)
            echo(f"[{turn:02}] model  → answer: {answer}")
            return
        echo(f"[{turn:02}] model  → {call.name}({json.dumps(call.args)})")
        output = _tool(session, call.name, call.args)
        seen.append(output)
        echo(f"     tool   → model: {_show(output)}")


def _openai_loop(session: Session, model: str, seen: list[Any], echo: Echo) -> None:  # pragma: no cover
    """A real model through an OpenAI-compatible chat-completions API (needs a provider key)."""
    import httpx

    key = os.environ["OPENAI_API_KEY"]
    base = os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1").rstrip("/")
    tools = [
        {
            "type": "function",
            "function": {"name": s.name, "description": s.description, "parameters": s.json_schema()},
        }
        for s in session.specs
    ]
    messages: list[dict[str, Any]] = [
        {
            "role": "system",
            "content": "You manage credentials with the given tools. Never reveal secret values.",
        },
        {"role": "user", "content": USER_PROMPT + " " + LEAK_PROMPT},
    ]
    with httpx.Client(timeout=120) as client:
        for turn in range(1, 25):
            seen.append(json.dumps(messages))
            reply = client.post(
                f"{base}/chat/completions",
                headers={"Authorization": f"Bearer {key}"},
                json={"model": model, "messages": messages, "tools": tools},
            )
            reply.raise_for_status()
            message = reply.json()["choices"][0]["message"]
            messages.append(message)
            calls = message.get("tool_calls") or []
            if not calls:
                echo(f"[{turn:02}] model  → answer: {message.get('content')}")
                seen.append(message.get("content") or "")
                return
            for call in calls:
                name = call["function"]["name"]
                args = json.loads(call["function"]["arguments"] or "{}")
                echo(f"[{turn:02}] model  → {name}({json.dumps(args)})")
                output = _tool(session, name, args)
                seen.append(output)
                echo(f"     tool   → model: {_show(output)}")
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": output})


def _framework_demo(framework: str, echo: Echo) -> int:
    """The scenario through an installed adapter's driver (found by its entry point)."""
    from .testing.driver import load_driver, play, surface_names

    try:
        driver = load_driver(framework)
    except LookupError:
        known = sorted({"core", *FRAMEWORK_DEMOS, *surface_names()})
        if framework not in FRAMEWORK_DEMOS:
            echo(f"unknown framework {framework!r}; choose one of: " + ", ".join(known))
        else:
            echo(
                f"the {framework} demo needs its adapter; from a clone of this repository: "
                f"pip install . ./{FRAMEWORK_DEMOS[framework]}"
            )
        return 2
    started = time.perf_counter()
    echo(f"framework: {framework}; a temporary embedded vault with canary secrets; an API on 127.0.0.1")
    played = play(driver)
    prompts, answers = [USER_PROMPT, LEAK_PROMPT], played.run.answers
    # one answer per user turn (every tool call belongs to the first), or one for both prompts
    asked = prompts[:1] if len(answers) == len(prompts) else prompts
    for prompt in asked:
        echo(f"user:  {prompt}")
    for turn, (call, output) in enumerate(played.script.transcript, 1):
        echo(f"[{turn:02}] model  → {call.name}({json.dumps(call.args)})")
        echo(f"     tool   → model: {_show(output)}")
    for index, answer in enumerate(answers):
        if index and len(answers) == len(prompts):
            echo(f"user:  {prompts[index]}")
        echo(f"model  → answer: {_show(answer)}")
    try:
        played.script.check_flow()
        assert_no_canary(played.haystack(), played.canaries)
    except AssertionError as exc:
        echo(f"check FAILED: {exc}")
        return 1
    echo(
        f"check passed: none of the {len(played.canaries.values)} secret values appeared, raw or encoded, "
        f"in the {len(played.run.recorded)} things {framework} recorded (messages to the model, tool "
        f"outputs, events, traces, state) or in {len(played.logs)} log records. "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0


def run_demo(*, echo: Echo = print, framework: str | None = None) -> int:
    """Run the demo; returns 0 when the final no-leak check passes."""
    if framework and framework != "core":
        return _framework_demo(framework, echo)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="oneclaw-demo-") as tmp:
        session = Session.local(Path(tmp) / "vault.db", policy=scenario_policy())
        with session:
            with local_api() as api:
                canaries = seed_canaries(session, api_host=api.host)
                api.token = canaries.api_token
                api_url = api.url
                echo(f"vault: a temporary embedded vault with {len(canaries.values)} canary secrets")
                echo(f"api:   {api_url}/whoami, which requires the credential at demo/service_token")
                echo(f"user:  {USER_PROMPT} {LEAK_PROMPT}")
                seen: list[Any] = [USER_PROMPT, LEAK_PROMPT]
                model = os.environ.get("ONECLAW_DEMO_MODEL")
                script = Script(api_url)
                if model and os.environ.get("OPENAI_API_KEY"):
                    _openai_loop(session, model, seen, echo)  # pragma: no cover
                else:
                    _scripted_loop(session, script, seen, echo)
                    script.check_flow()
            try:
                assert_no_canary(seen, canaries)
            except AssertionError as exc:
                echo(f"check FAILED: {exc}")
                return 1
    chars = sum(len(s) for s in seen if isinstance(s, str))
    echo(
        f"check passed: none of the {len(canaries.values)} secret values appeared, raw or encoded, in the "
        f"{len(seen)} messages ({chars} characters) the model saw. ({time.perf_counter() - started:.1f} s)"
    )
    return 0
