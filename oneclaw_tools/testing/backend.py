"""The vault-backend conformance suite (as keyring's ``BackendBasicTests``).

Every backend, including a third-party one, proves it keeps 1Claw's semantics by
subclassing one class in a pytest module and implementing one factory hook::

    from oneclaw_tools.testing.backend import BackendConformanceTests

    class TestMyBackend(BackendConformanceTests):
        def make_backend(self, tmp_path):
            return MyBackend(..., clock=self.clock)

Time is injected, never slept: each test has a :class:`SettableClock` in ``self.clock``
(starting at the real time) and the backend must decide expiry with it; the expiry test moves
it forward. A backend whose expiry is decided elsewhere (a server) wires the clock there: the
remote suite gives one clock to the local server it starts and returns it from
:meth:`BackendConformanceTests.make_clock`. Each test works in a fresh vault with a unique
name. A share link is opened with :meth:`BackendConformanceTests.share_ref` (by default the
``share_url`` the backend returned); override it if your backend opens links differently.

A standard test must not be overridden (the guard test fails): if one does not apply to a
backend, fix the backend or propose a change to the suite.
"""

from __future__ import annotations

from ._backend_access import AccessTests
from ._backend_base import SettableClock
from ._backend_secrets import SecretTests

__all__ = ["BackendConformanceTests", "SettableClock"]


class BackendConformanceTests(SecretTests, AccessTests):
    """1Claw semantics every :class:`~oneclaw_tools.backends.base.VaultBackend` keeps.

    Implement :meth:`make_backend` (and, when the backend's time lives elsewhere, :meth:`make_clock`).
    """

    def test_no_standard_test_is_overridden(self) -> None:
        """A subclass redefined a standard test. Remove the override and fix the backend instead."""
        suite = set(BackendConformanceTests.__mro__)
        standard = {name for klass in suite for name in vars(klass) if name.startswith("test_")}
        for klass in type(self).__mro__:
            if klass in suite:
                continue
            overridden = standard & set(vars(klass))
            assert not overridden, f"{klass.__name__} overrides standard tests: {sorted(overridden)}"
