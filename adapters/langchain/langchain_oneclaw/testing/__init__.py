"""Offline pieces for driving a real LangChain agent loop; never imported by the runtime package.

* :mod:`.scripted`: :class:`ScriptedChatModel` (a real ``BaseChatModel`` whose turns come from a
  script), :class:`EventRecorder` (every callback event) and :class:`RunCollector` (a tracer).
* :mod:`.driver`: :class:`LangChainDriver`, the shared scenario in ``create_agent``, used by
  ``oneclaw-tools demo --framework langchain`` and by the surface conformance suite.
"""

from .scripted import EventRecorder, NextCall, RunCollector, ScriptedChatModel, message_text

__all__ = ["EventRecorder", "NextCall", "RunCollector", "ScriptedChatModel", "message_text"]
