"""Offline pieces for driving real LlamaIndex agent loops; never imported by the runtime package.

* :mod:`.scripted`: scripted models for ``FunctionAgent`` (native tool calls) and ``ReActAgent``.
* :mod:`.recorder`: every place LlamaIndex copies tool data to (instrumentation events and spans,
  the legacy callback manager, streamed workflow events, tool outputs).
* :mod:`.driver`: :class:`LlamaIndexDriver`, the shared scenario in a real agent, used by
  ``oneclaw-tools demo --framework llamaindex`` and by the surface conformance suite.
"""

__all__: list[str] = []
