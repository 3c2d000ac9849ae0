"""CrewAI test environment: offline and self-contained, set up before crewai is imported.

CrewAI resolves a telemetry host, checks the package index for new versions and writes under
``$HOME`` (a credentials key, a config folder, every kickoff's task outputs). This conftest
points all of it into one temporary folder at import time, before any test module imports
crewai, and exposes that folder so leak tests can grep every file CrewAI wrote.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from crewai_oneclaw.testing.offline import offline_env

CREWAI_BASE = Path(tempfile.mkdtemp(prefix="oneclaw-crewai-tests-"))
os.environ.update(offline_env(CREWAI_BASE))

with warnings.catch_warnings():
    # crewai's lazy `crewai.rag` module refuses attribute assignment during import, which
    # Python reports as an ImportWarning (an error under filterwarnings=error).
    warnings.simplefilter("ignore", ImportWarning)
    import crewai  # noqa: F401


@pytest.fixture(scope="session")
def crewai_base() -> Iterator[Path]:
    """The folder holding this run's ``HOME`` and ``CREWAI_STORAGE_DIR``."""
    yield CREWAI_BASE
    shutil.rmtree(CREWAI_BASE, ignore_errors=True)
