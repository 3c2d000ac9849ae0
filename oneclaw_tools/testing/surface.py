"""The surface conformance suite (as ``langchain-tests``' standard tests, for agent-framework surfaces).

Every surface proves it keeps the promises by subclassing one class in a pytest module and
implementing one factory hook::

    from oneclaw_tools.testing.surface import SurfaceConformanceTests

    class TestMySurface(SurfaceConformanceTests):
        def make_driver(self):
            return MyDriver()   # a oneclaw_tools.testing.driver.SurfaceDriver

The suite plays the shared scenario once per class (:func:`~oneclaw_tools.testing.driver.play`):
a real agent loop of the framework, only the model scripted, every tool of the agent (ours and
the scenario's unwrapped third-party echo tools) guarded by the adapter's one call. Then it
checks that the scenario really happened (a silent failure must not pass a leak test), that
errors are safe, and that no seeded value, in any common encoding, is in anything the framework
recorded, the log records, or the console (pytest's captured stdout/stderr).

A standard test must not be overridden (the guard test fails): if one does not apply to a
surface, fix the surface or propose a change to the suite. Add surface-specific tests beside
them, reading the class-scoped ``played`` fixture.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from ..session import Session
from .driver import Played, SurfaceDriver, play
from .leaks import assert_no_canary
from .scenario import LEAK_PROMPT, THIRD_PARTY_TOOLS

__all__ = ["SurfaceConformanceTests"]

#: module-name pieces a runtime import must never load
_FORBIDDEN = (".testing", ".demo", "oneclaw_tools.testing", "oneclaw_tools.demo")


class SurfaceConformanceTests:
    """What every surface keeps. Implement :meth:`make_driver`."""

    def make_driver(self) -> SurfaceDriver:
        """Return the surface's driver (a fresh one)."""
        raise NotImplementedError("implement make_driver() in your test class")

    # -- fixtures -----------------------------------------------------------------------
    @pytest.fixture(scope="class")
    @classmethod
    def driver(cls) -> SurfaceDriver:
        return cls().make_driver()

    @pytest.fixture(scope="class")
    @classmethod
    def played(
        cls, driver: SurfaceDriver, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[tuple[Played, str]]:
        """The scenario, played once per class, with the console it printed."""
        capture = request.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.read_global_capture()  # drop what came before
        result = play(driver, tmp_path_factory.mktemp(f"surface-{driver.name}"))
        console = ""
        if capture is not None:
            out, err = capture.read_global_capture()
            console = out + err
        yield result, console

    # -- the guard ----------------------------------------------------------------------
    def test_no_standard_test_is_overridden(self) -> None:
        """A subclass redefined a standard test. Remove the override and fix the surface instead."""
        standard = {name for name in vars(SurfaceConformanceTests) if name.startswith("test_")}
        for klass in type(self).__mro__:
            if klass is SurfaceConformanceTests or klass is object:
                break
            overridden = standard & set(vars(klass))
            assert not overridden, f"{klass.__name__} overrides standard tests: {sorted(overridden)}"

    # -- packaging ----------------------------------------------------------------------
    def test_importing_the_adapter_loads_no_demo_or_testing_module(self, driver: SurfaceDriver) -> None:
        """Runtime code imported a demo, a scripted model or a recorder. Move the import into the
        adapter's ``testing`` subpackage (runtime code never imports it, nor ``oneclaw_tools.testing``)."""
        assert driver.module, "set SurfaceDriver.module to the adapter's import name"
        code = (
            "import importlib, json, sys\n"
            f"importlib.import_module({driver.module!r})\n"
            "print(json.dumps(sorted(sys.modules)))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        loaded = json.loads(done.stdout)
        bad = [m for m in loaded if m == "pytest" or any(piece in m for piece in _FORBIDDEN)]
        assert not bad, f"import {driver.module} loaded {bad}"

    def test_tool_names_are_the_cores(self, driver: SurfaceDriver, tmp_path: Any) -> None:
        """The surface offers exactly the core's tools, in the core's order (no renaming, no extras)."""
        with Session.local(tmp_path / "vault.db") as session:
            assert driver.tool_names(session) == [spec.name for spec in session.specs]

    # -- the scenario -------------------------------------------------------------------
    def test_the_scenario_really_happened(self, played: tuple[Played, str]) -> None:
        """The handle was used (API answered 200), the exfiltration refused, rotation and share done,
        every tool offered, and each unwrapped third-party tool got the real value just in time."""
        result, _ = played
        result.script.check_flow()
        assert set(THIRD_PARTY_TOOLS) <= set(result.run.offered), result.run.offered
        assert {"list_secrets", "get_secret", "http_request", "share_secret"} <= set(result.run.offered)
        called = {name for name, _ in result.received}
        assert called == set(THIRD_PARTY_TOOLS), (
            f"third-party tools not run: {set(THIRD_PARTY_TOOLS) - called}"
        )
        token = result.canaries.api_token
        assert all("{{secret:" not in text for _, text in result.received), "a placeholder was not resolved"
        assert all(token in text for name, text in result.received[: len(THIRD_PARTY_TOOLS)]), (
            "the scenario's third-party turns did not get the credential's value"
        )
        assert result.run.answers and result.run.answers[-1], "the agent gave no final answer"

    def test_errors_reach_the_model_safely(self, played: tuple[Played, str]) -> None:
        """A third-party tool raising with the value shows only that it failed; a refused
        destination says why; neither carries the exception's text."""
        result, _ = played
        (boom,) = result.script.outputs("boom")
        assert "tool boom failed" in boom and "upstream rejected" not in boom, boom[:200]
        refused = result.script.outputs("http_request")[1]
        assert "may not be sent" in refused, refused[:200]

    def test_no_value_anywhere(self, played: tuple[Played, str]) -> None:
        """No seeded value, raw or encoded, in anything recorded. The message names the canary's
        index and encoding: bisect ``played.run.recorded`` to find the channel, then fix the adapter
        path that copied it (never loosen the search)."""
        result, console = played
        assert result.run.recorded, "the driver recorded nothing: a leak check over nothing proves nothing"
        assert any(LEAK_PROMPT in json.dumps(item, default=str) for item in result.run.recorded), (
            "the leak prompt never reached the model"
        )
        haystack = [*result.haystack(), console]
        assert_no_canary(haystack, result.canaries)
        planted = result.canaries.api_token
        with pytest.raises(AssertionError, match="canary #"):
            assert_no_canary([*haystack, f"x{planted}x"], result.canaries)
