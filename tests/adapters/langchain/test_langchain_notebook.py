"""``notebooks/langchain.ipynb`` runs top to bottom offline with the scripted model.

Executed with nbclient on the venv's ``python3`` kernel, with any provider key removed so the
scripted model is used. If it fails, the error names the cell; run the notebook by hand
(``jupyter nbconvert --execute``) to see the full traceback.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "langchain.ipynb"

pytestmark = [pytest.mark.framework, pytest.mark.slow]


def test_notebook_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    monkeypatch.setenv("HOME", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "using the scripted model" in outputs
    assert "no value leaked" in outputs
