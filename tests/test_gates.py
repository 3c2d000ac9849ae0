"""The gates: lint, format, types and the one version source, run as tests so CI fails on drift.

``scripts/test.sh`` (the README's test command, and CI) runs pytest, so these checks run with
every test run:

* ``ruff check`` and ``ruff format --check`` over the whole repository (config in pyproject.toml).
  To fix: ``.venv/bin/ruff check --fix . && .venv/bin/ruff format .``.
* ``mypy --strict`` over the core and every adapter (``[tool.mypy] packages``). To fix: run
  ``.venv/bin/mypy`` and correct what it reports; do not widen the config.
* the version: ``oneclaw_tools/_version.py`` is its only source. Each adapter's ``setup.py``
  reads it and pins the core to it; no other file may name a version of its own.
* small modules: every shipped module (the core and each adapter's folder, ``testing``
  subpackages included) has at most :data:`MAX_MODULE_LINES` lines and opens with a docstring
  stating its contract. To fix: split the module by what its parts do (see the ``House:``
  commits for examples), never by raising the limit.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from oneclaw_tools import __version__

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = {
    "langchain": ("langchain-oneclaw", "langchain_oneclaw"),
    "llamaindex": ("llama-index-tools-oneclaw", "llama_index.tools.oneclaw"),
    "crewai": ("crewai-oneclaw", "crewai_oneclaw"),
    "mcp": ("oneclaw-mcp", "oneclaw_mcp"),
}
BIN = Path(sys.executable).parent
#: product modules stay readable in one sitting (issue 14: "under about 400 lines")
MAX_MODULE_LINES = 420
#: shorter than this, a module docstring names the module without stating what it promises
MIN_DOCSTRING_CHARS = 40


def _run(*argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_ruff_check() -> None:
    """Lint errors: run ``ruff check --fix .`` and fix what remains by hand."""
    done = _run(str(BIN / "ruff"), "check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_ruff_format() -> None:
    """Unformatted files (Markdown code blocks included): run ``ruff format .``."""
    done = _run(str(BIN / "ruff"), "format", "--check", "--no-cache", ".")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_mypy_strict_on_core_and_adapters() -> None:
    """Type errors in the core or an adapter: run ``mypy`` and fix them (strict is the floor)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert set(config["packages"]) == {"oneclaw_tools", *(module for _, module in ADAPTERS.values())}
    done = _run(sys.executable, "-m", "mypy", "--strict", timeout=900)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_one_version_source() -> None:
    """Every distribution has the core's version, and each adapter pins the core to it exactly.

    If this fails after a version bump, reinstall the adapters (``pip install -e adapters/...``):
    their metadata is read from ``oneclaw_tools/_version.py`` when they are built.
    """
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc|\.dev|\.post)\d+)?", __version__)
    assert importlib.metadata.version("oneclaw-tools") == __version__
    for folder, (dist, module) in ADAPTERS.items():
        assert importlib.metadata.version(dist) == __version__, dist
        assert f"oneclaw-tools=={__version__}" in (importlib.metadata.requires(dist) or []), dist
        assert __import__(module, fromlist=["__version__"]).__version__ == __version__, module
        project = tomllib.loads((ROOT / "adapters" / folder / "pyproject.toml").read_text())["project"]
        assert "version" not in project and {"version", "dependencies"} <= set(project["dynamic"]), folder


def test_no_other_file_writes_the_version() -> None:
    """A version literal outside ``oneclaw_tools/_version.py`` drifts: import or read that file."""
    literal = re.compile(rf"(?<![\d.]){re.escape(__version__)}(?![\d.])")
    tracked = _run("git", "ls-files", "*.py", "*.toml", "*.md", "*.txt", "*.cfg", "*.ipynb").stdout.split()
    if not tracked:  # not a git checkout (an unpacked sdist): nothing to compare
        pytest.skip("not a git checkout")
    offenders = [
        name
        for name in tracked
        if name != "oneclaw_tools/_version.py" and literal.search((ROOT / name).read_text(errors="replace"))
    ]
    assert not offenders, f"files naming version {__version__} themselves: {offenders}"


def _shipped_modules() -> list[Path]:
    roots = [ROOT / "oneclaw_tools", *(ROOT / "adapters" / folder for folder in ADAPTERS)]
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.py")
        if not {"__pycache__", "build"} & set(path.relative_to(ROOT).parts)
    )


def test_modules_are_small_and_state_their_contract() -> None:
    """A module over the limit or without a docstring: split it by what its parts do, and open
    each module with a docstring saying what it provides and promises."""
    modules = _shipped_modules()
    assert len(modules) > 100 and ROOT / "oneclaw_tools" / "session.py" in modules  # the walk found them
    long, undocumented = [], []
    for path in modules:
        text = path.read_text()
        name = str(path.relative_to(ROOT))
        if text.count("\n") > MAX_MODULE_LINES:
            long.append(f"{name} ({text.count(chr(10))} lines)")
        if len(ast.get_docstring(ast.parse(text)) or "") < MIN_DOCSTRING_CHARS:
            undocumented.append(name)
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
    assert not undocumented, f"modules without a docstring stating their contract: {undocumented}"
