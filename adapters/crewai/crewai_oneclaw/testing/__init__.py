"""Offline pieces for driving a real CrewAI crew; never imported by the runtime package.

* :mod:`.offline`: the environment for an offline, self-contained CrewAI run (set it before
  crewai is first imported; this module imports nothing from crewai).
* :mod:`.scripted`: :class:`ScriptedLLM`, a CrewAI model that follows a script (native function
  calling or ReAct text).
* :mod:`.recorder`: every place a CrewAI run copies tool data to (events, logs, caches, outputs,
  files).
* :mod:`.crew`: a one-agent crew for the scenario, and ``function_tool`` (a plain function as an
  ordinary CrewAI tool).
* :mod:`.driver`: :class:`CrewAIDriver`, the shared scenario through ``Crew.kickoff``, used by
  ``oneclaw-tools demo --framework crewai`` and by the surface conformance suite.

Nothing is imported here, so importing the package does not import crewai.
"""

__all__: list[str] = []
