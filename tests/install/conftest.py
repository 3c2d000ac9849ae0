"""Fixtures for the install tests: the five distributions built once, and fresh virtualenvs.

``dists`` builds a wheel and an sdist of the core and of every adapter with ``python -m build``
(without build isolation: the development venv already has setuptools, and the build then needs
no network), once per test session. ``fresh_venv`` makes a virtualenv without system
site-packages.
"""

from __future__ import annotations

import sys
import venv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from install_helpers import DISTRIBUTIONS, ROOT, clean_env, run


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    """``{distribution: {"wheel": path, "sdist": path}}`` for all five, built from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    home = tmp_path_factory.mktemp("home")
    for folder in DISTRIBUTIONS:
        run(
            [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "-o", str(out), folder],
            cwd=ROOT,
            env=clean_env(home),
            timeout=600,
        )
    found: dict[str, dict[str, Path]] = {}
    for dist, _ in DISTRIBUTIONS.values():
        stem = dist.replace("-", "_")
        (wheel,) = out.glob(f"{stem}-*.whl")
        (sdist,) = out.glob(f"{stem}-*.tar.gz")
        found[dist] = {"wheel": wheel, "sdist": sdist}
    return found


@pytest.fixture
def fresh_venv(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """``fresh_venv(name)`` → the python of a new virtualenv (no system site-packages)."""

    def make(name: str) -> Path:
        folder = tmp_path / name
        venv.EnvBuilder(with_pip=True, system_site_packages=False).create(folder)
        return folder / ("Scripts" if sys.platform == "win32" else "bin") / "python"

    yield make
