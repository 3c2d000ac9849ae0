"""Test kits shipped with the package, for this project and for third-party backends.

* :mod:`oneclaw_tools.testing.backend`: the vault-backend conformance suite (needs pytest).
  Subclass ``BackendConformanceTests`` in a test module and implement its one factory hook.
* :mod:`oneclaw_tools.testing.scenario`: the scripted agent scenario every surface runs.

Nothing is imported here, so importing the package does not import pytest.
"""

__all__: list[str] = []
