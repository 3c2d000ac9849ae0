"""Offline pieces for driving the MCP server from a real client; never imported by the runtime package.

* :mod:`.host`: a scripted MCP host (the shared ``Script`` as the model, a real
  ``mcp.ClientSession``) and a recorder of every JSON-RPC message in both directions.
* :mod:`.driver`: :class:`McpDriver`, the shared scenario over an in-memory MCP session, used by
  ``oneclaw-tools demo --framework mcp`` and by the surface conformance suite;
  :func:`scenario_extra_tools`, the scenario's third-party tools for ``--wrap``.
"""

__all__: list[str] = []
