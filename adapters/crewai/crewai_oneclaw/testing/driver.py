"""The shared scenario through a real ``Crew.kickoff`` (native function calling or ReAct).

Only the model is scripted (:class:`~.scripted.ScriptedLLM` playing the shared ``Script``). The
scenario's third-party tools are ordinary CrewAI tools nobody wrapped; the crew gets them, like
ours, through the adapter's one-call guard. The crew runs with ``verbose=True`` and the crew
cache switched on (the worst case), CrewAI's environment pointed into a temporary folder (no
telemetry, ``HOME`` and storage under it) and that folder as the working directory, where
CrewAI keeps project-local state. Everything it leaves behind is recorded: the messages the
model received, every CrewAI event, the caches, ``tools_results``, the ``CrewOutput`` and every
file under the folder (and under ``folders`` given to the driver).

crewai is imported inside :meth:`CrewAIDriver.run_agent`, after its environment is set.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from oneclaw_tools import Session
from oneclaw_tools.testing.driver import AgentRun, SurfaceDriver, ThirdParty
from oneclaw_tools.testing.scenario import Script

from .offline import offline_env, use_env

__all__ = ["CrewAIDriver"]


class CrewAIDriver(SurfaceDriver):
    """``native=True``: CrewAI's function-calling path; ``native=False``: ReAct text.
    ``folders``: more folders whose files are searched (e.g. where CrewAI was first imported)."""

    name = "crewai"
    module = "crewai_oneclaw"

    def __init__(self, *, native: bool = True, folders: Iterable[Path] = ()) -> None:
        self.native = native
        self.folders = list(folders)

    def tool_names(self, session: Session) -> list[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)  # crewai.rag's lazy module, at import
            from ..tools import OneClawCrewTools

            return [tool.name for tool in OneClawCrewTools(session).tools()]

    def run_agent(
        self, session: Session, script: Script, third_party: ThirdParty, prompts: Sequence[str]
    ) -> AgentRun:
        with tempfile.TemporaryDirectory(prefix="oneclaw-crewai-") as tmp:
            base = Path(tmp)
            work = base / "work"
            work.mkdir()
            old_cwd = Path.cwd()
            with use_env(offline_env(base)):
                os.chdir(work)  # CrewAI keeps project-local state under the working directory
                try:
                    return self._run(session, script, third_party, prompts, [base, *self.folders])
                finally:
                    os.chdir(old_cwd)

    def _run(
        self,
        session: Session,
        script: Script,
        third_party: ThirdParty,
        prompts: Sequence[str],
        folders: list[Path],
    ) -> AgentRun:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImportWarning)  # crewai.rag's lazy module, at import
            from crewai.crews.crew_output import CrewOutput

            from ..wrap import guard_crew
            from .crew import build_crew, function_tool
            from .recorder import CrewRecorder, files_under
            from .scripted import ScriptedLLM

        llm = ScriptedLLM.for_script(script, native=self.native)
        theirs = [function_tool(name, description, func) for name, (description, func) in third_party.items()]
        crew = build_crew(
            session,
            llm,
            task_description="\n".join(prompts),
            extra_tools=theirs,  # nobody wrapped them
            verbose=True,
        )
        guard_crew(crew, session)  # the one call that guards every tool of the crew
        with CrewRecorder() as recorder:
            output = crew.kickoff()
        assert isinstance(output, CrewOutput)  # not streaming
        recorded: list[Any] = recorder.collect(llm=llm, crew=crew, output=output, folders=folders)
        offered = [t["function"]["name"] for t in llm.tools_offered[0]] if llm.tools_offered[0] else []
        if not offered:  # ReAct: the tools are described in the prompt
            offered = [tool.name for tool in crew.agents[0].tools or []]
        details = {
            "llm": llm,
            "crew": crew,
            "output": output,
            "recorder": recorder,
            "files": list(files_under(folders)),
        }
        return AgentRun(answers=[str(output.raw)], offered=offered, recorded=recorded, details=details)
