"""notebooks/llamaindex.ipynb runs top to bottom offline (scripted model) and ends with its checks.

If it fails, the cell's traceback is in the error; run the notebook by hand with no OPENAI_API_KEY.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[3] / "notebooks" / "llamaindex.ipynb"


@pytest.mark.slow
@pytest.mark.framework
def test_notebook_runs_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ONECLAW_AGENT_API_KEY", "ONECLAW_LOCAL_VAULT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # the kernel writes its runtime files under a temp home
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    outputs = [
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    ]
    text = "".join(outputs)
    assert "model: ScriptedFunctionCallingLLM" in text
    assert "tool  → get_secret:" in text and "tool  → share_secret:" in text
    assert "no secret value in" in text
    assert not [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
