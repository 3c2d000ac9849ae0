"""The two shipped conformance suites guard themselves: a subclass cannot silently drop a test.

Both suites (:mod:`oneclaw_tools.testing.backend` for backends, :mod:`oneclaw_tools.testing.surface`
for agent-framework surfaces) carry ``test_no_standard_test_is_overridden``. These tests show it
trips on an override at any depth of a subclass chain (as the adapters' tests use: a checks class,
then one ``Test*`` class per agent kind), and that the backend suite takes time from its
injectable clock, never from a real sleep. And the interface that suite checks is the only one:
every backend implements the one synchronous ``VaultBackend``, with no async twin beside it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import oneclaw_tools.backends
from oneclaw_tools.backends.base import VaultBackend
from oneclaw_tools.backends.local import LocalVault
from oneclaw_tools.backends.openbao import OpenBaoVault
from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.testing import backend as backend_suite
from oneclaw_tools.testing.backend import BackendConformanceTests
from oneclaw_tools.testing.surface import SurfaceConformanceTests


class _SurfaceChecks(SurfaceConformanceTests):
    def test_no_value_anywhere(self) -> None:  # type: ignore[override]
        """An override that would skip the leak check."""


class _SurfaceLeaf(_SurfaceChecks):
    pass


class _HonestSurface(SurfaceConformanceTests):
    def test_an_extra_surface_specific_check(self) -> None:
        """Added beside the standard tests: allowed."""


class _BackendLeaf(BackendConformanceTests):
    def test_expiry_gives_410_for_secrets_and_shares(self) -> None:  # type: ignore[override]
        """An override of a standard test from one of the suite's halves."""


@pytest.mark.parametrize("suite", [_SurfaceLeaf, _BackendLeaf])
def test_an_overridden_standard_test_fails_the_guard(suite: type) -> None:
    with pytest.raises(AssertionError, match="overrides standard tests"):
        suite().test_no_standard_test_is_overridden()


def test_added_tests_pass_the_guard() -> None:
    _HonestSurface().test_no_standard_test_is_overridden()


def test_the_backend_override_example_is_a_standard_test() -> None:
    """Keeps the example above honest: the name it overrides is one of the suite's tests."""
    standard = {name for klass in BackendConformanceTests.__mro__ for name in vars(klass)}
    assert "test_expiry_gives_410_for_secrets_and_shares" in standard


def test_the_backend_suite_never_sleeps() -> None:
    """Expiry and retries in the suite move ``self.clock``; a real sleep makes it slow and flaky."""
    folder = Path(backend_suite.__file__).parent
    for path in [folder / "backend.py", *folder.glob("_backend_*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                assert name != "sleep", f"{path.name}:{node.lineno} sleeps"


def test_every_backend_implements_the_one_synchronous_interface() -> None:
    """Embedded, 1Claw and OpenBao implement ``VaultBackend`` completely; it has no coroutine and no
    module of the backends package declares an async twin (DESIGN.md: one interface, one suite)."""
    for backend in (LocalVault, OneClawVault, OpenBaoVault):
        assert issubclass(backend, VaultBackend) and not inspect.isabstract(backend), backend
    assert not [name for name, f in inspect.getmembers(VaultBackend) if inspect.iscoroutinefunction(f)]
    package = oneclaw_tools.backends
    for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        twins = [name for name in vars(module) if name.startswith("Async")]
        assert not twins, f"{info.name} declares {twins}"
