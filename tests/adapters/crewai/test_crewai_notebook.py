"""notebooks/crewai.ipynb runs top to bottom offline, with the scripted model.

The kernel inherits this process's environment, which the conftest made offline (telemetry
off, a temporary HOME); the provider key is removed so the scripted model is used. When it
fails, the nbclient error names the failing cell; run the notebook by hand to see it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "crewai.ipynb"

pytestmark = [pytest.mark.framework, pytest.mark.slow]


def test_notebook_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("PYTHONWARNINGS", "ignore::ImportWarning")
    nb = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = "\n".join(
        str(out.get("text", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "no leak in" in outputs
    assert "scripted (offline)" in outputs
    assert "The demo API accepted the credential" in outputs
