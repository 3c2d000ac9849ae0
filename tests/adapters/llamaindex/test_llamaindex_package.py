"""The distribution: a namespace-package layout like every llama-index-tools-* package, importable
without the other frameworks, exporting a pinned surface, and a demo that passes its own check."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import llama_index.tools.oneclaw as oneclaw_li
import pytest
from llama_index.tools.oneclaw.testing.driver import LlamaIndexDriver

from oneclaw_tools import __version__
from oneclaw_tools.testing.driver import play

ADAPTER = Path(oneclaw_li.__file__).resolve().parents[3]
OTHER_FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "crewai", "mcp")


def test_public_surface() -> None:
    assert oneclaw_li.__all__ == [
        "ApprovalRequiredEvent",
        "OneClawToolSpec",
        "__version__",
        "guard_agent",
        "guard_tools",
        "tool_surface",
        "wrap_tool",
        "wrap_tools",
    ]
    assert oneclaw_li.__version__ == __version__
    for name in set(oneclaw_li.__all__) - {"__version__"}:
        assert getattr(oneclaw_li, name).__module__.startswith("llama_index.tools.oneclaw")


def test_source_tree_is_a_namespace_layout() -> None:
    """Shipping llama_index/__init__.py would shadow llama-index-core for every user."""
    assert (ADAPTER / "pyproject.toml").is_file()
    assert not (ADAPTER / "llama_index" / "__init__.py").exists()
    assert not (ADAPTER / "llama_index" / "tools" / "__init__.py").exists()
    assert (ADAPTER / "llama_index" / "tools" / "oneclaw" / "py.typed").is_file()
    import llama_index

    assert getattr(llama_index, "__file__", None) is None, "llama_index must stay a namespace package"


@pytest.mark.slow
def test_wheel_ships_only_its_own_package(tmp_path: Path) -> None:
    # the repository's layout in miniature: the adapter and the core's one version source
    source = tmp_path / "adapters" / "llamaindex"
    shutil.copytree(ADAPTER, source, ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__"))
    (tmp_path / "oneclaw_tools").mkdir()
    shutil.copy(ADAPTER.parents[1] / "oneclaw_tools" / "_version.py", tmp_path / "oneclaw_tools")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"),
            *("-w", str(tmp_path / "dist"), str(source)),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob(f"llama_index_tools_oneclaw-{__version__}-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    package_files = [n for n in names if ".dist-info/" not in n]
    assert package_files and all(n.startswith("llama_index/tools/oneclaw/") for n in package_files)
    assert "llama_index/tools/oneclaw/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert f"Requires-Dist: oneclaw-tools=={__version__}" in metadata
    assert "Requires-Dist: llama-index-core>=0.14" in metadata


@pytest.mark.slow
def test_import_and_use_without_the_other_frameworks(tmp_path: Path) -> None:
    """In a fresh interpreter where langchain, crewai and mcp cannot be imported at all."""
    code = textwrap.dedent(
        f"""
        import importlib.abc, json, sys
        BLOCKED = {OTHER_FRAMEWORKS!r}

        class Absent(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed here")
                return None

        sys.meta_path.insert(0, Absent())
        from oneclaw_tools import Session
        from llama_index.tools.oneclaw import OneClawToolSpec
        with Session.local(sys.argv[1]) as session:
            out = OneClawToolSpec(session).to_tool_list()[0].call()
        loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(BLOCKED))
        print(json.dumps({{"loaded": loaded, "is_error": out.is_error, "tool": out.tool_name}}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "v.db")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"loaded": [], "is_error": False, "tool": "list_secrets"}


@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
def test_core_cli_demo_runs_this_adapter() -> None:
    """``oneclaw-tools demo --framework llamaindex`` goes through the core's dispatcher."""
    from oneclaw_tools.demo import run_demo as core_run_demo

    lines: list[str] = []
    assert core_run_demo(echo=lines.append, framework="llamaindex") == 0, "\n".join(lines)
    text = "\n".join(lines)
    assert "model  → get_secret(" in text and "model  → share_secret(" in text
    assert "tool   → model: Error (tool_failed): tool boom failed (RuntimeError)." in text
    assert lines[-1].startswith("check passed")


@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211")
async def test_run_demo_from_inside_a_running_loop() -> None:
    """A notebook plays the scenario inside its event loop: it must still work."""
    played = play(LlamaIndexDriver())
    played.script.check_flow()
    assert played.run.answers
