"""The notebooks in ``notebooks/`` run top to bottom offline, configure everything in plain sight
and clean up after themselves.

Each one is executed with nbclient on the venv's ``python3`` kernel, with every provider key
removed so its stand-in model (defined in the notebook) is used. Checked: no cell imports a test
helper (a ``testing`` module of ours or a framework's); the run ends with the notebook's own
no-leak check; the folder it wrote its vault and key file into is gone at the end, and nothing
was written where it ran. If one fails, the error names the cell; run the notebook by hand
(``jupyter nbconvert --to notebook --execute notebooks/NAME.ipynb``) to see it whole.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: notebook → the line naming its offline stand-in model
NOTEBOOKS = {
    "langchain": "model: OfflineModel",
    "llamaindex": "model: MockFunctionCallingLLM",
    "crewai": "model: OfflineModel",
}
PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")
_HELPER_IMPORT = re.compile(r"^\s*(?:from|import)\s+([\w.]*\btesting\b[\w.]*)", re.M)

pytestmark = [pytest.mark.framework, pytest.mark.slow]


def test_the_notebooks_are_the_three_adapters() -> None:
    assert sorted(path.stem for path in (ROOT / "notebooks").glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs_offline_in_plain_sight_and_cleans_up(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)  # type: ignore[no-untyped-call]
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert _HELPER_IMPORT.findall(code) == [], "a notebook configures everything itself, no test helpers"
    assert not [c for c in notebook.cells if c.get("outputs")], "commit the notebook without outputs"

    for key in PROVIDER_KEYS:
        monkeypatch.delenv(key, raising=False)
    for key in ("ONECLAW_AGENT_API_KEY", "ONECLAW_AGENT_TOKEN", "ONECLAW_LOCAL_VAULT", "BAO_ADDR"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the kernel's own runtime files
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    where = tmp_path / "cwd"
    where.mkdir()
    NotebookClient(
        notebook, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(where)}}
    ).execute()

    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    text = "".join(str(out.get("text", "")) for out in outputs)
    assert NOTEBOOKS[name] in text, text[-2000:]
    assert "the token is in none of" in text and "the API received it 1 time(s)" in text, text[-2000:]
    assert "Error 403 (permission_denied)" in text  # the hijacked step was refused
    folder = re.search(r"files go under (\S+)", text)
    assert folder and f"removed {folder.group(1)} -> gone" in text
    assert not Path(folder.group(1)).exists()
    assert list(where.iterdir()) == [], "the notebook wrote outside its temporary folder"
