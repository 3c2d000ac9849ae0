"""The five distributions build, pass ``twine check``, and each adapter installs alone from its wheel.

``python -m build`` makes a wheel and an sdist of the core and of every adapter (the ``dists``
fixture); ``twine check`` reads their metadata as the package index would. Then each adapter's
wheel is installed into a fresh virtualenv next to only the core's wheel (their dependencies come
from the package index, through pip's cache): it must import, report the core's version, and
bring no other agent framework along (crewai alone is about 1 GB).

If a build fails, read its output in the message. If an install fails, the adapter's
``[tool.oneclaw] requires`` or the core pin is wrong. If another framework came along, an
adapter's dependency or import reaches too far.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from install_helpers import DISTRIBUTIONS, ROOT, clean_env, run

from oneclaw_tools import __version__

pytestmark = pytest.mark.slow

FRAMEWORKS = {
    "langchain": "langchain_core",
    "llamaindex": "llama_index.core",
    "crewai": "crewai",
    "mcp": "mcp",
}
ADAPTERS = {folder.removeprefix("adapters/"): dist for folder, dist in DISTRIBUTIONS.items() if folder != "."}


def _metadata(wheel: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name).decode()


def test_twine_check_passes_for_all_five(dists: dict[str, dict[str, Path]], tmp_path: Path) -> None:
    files = [str(path) for built in dists.values() for path in built.values()]
    assert len(files) == 10
    out = run([sys.executable, "-m", "twine", "check", "--strict", *files], cwd=ROOT, env=clean_env(tmp_path))
    assert out.count("PASSED") == 10, out


def test_one_version_and_the_core_pinned(dists: dict[str, dict[str, Path]]) -> None:
    """Every wheel has the core's version; every adapter requires exactly that core."""
    for dist, built in dists.items():
        metadata = _metadata(built["wheel"])
        assert f"\nVersion: {__version__}\n" in metadata, dist
        assert built["sdist"].name == f"{dist.replace('-', '_')}-{__version__}.tar.gz"
        if dist != "oneclaw-tools":
            assert f"\nRequires-Dist: oneclaw-tools=={__version__}\n" in metadata, dist
    headers = _metadata(dists["oneclaw-tools"]["wheel"]).split("\n\n", 1)[0]
    requires = [
        line for line in headers.splitlines() if line.startswith(("Requires-Dist:", "Provides-Extra:"))
    ]
    for dist, _ in ADAPTERS.values():
        assert not [r for r in requires if dist in r], (
            f"the core requires {dist}, which pip cannot find from a clone"
        )


def test_wheels_ship_only_their_packages(dists: dict[str, dict[str, Path]]) -> None:
    for folder, (dist, module) in DISTRIBUTIONS.items():
        with zipfile.ZipFile(dists[dist]["wheel"]) as archive:
            names = [n for n in archive.namelist() if ".dist-info/" not in n]
        top = module.replace(".", "/") + "/"
        assert names and all(n.startswith(top) for n in names), (
            folder,
            sorted({n.split("/")[0] for n in names}),
        )
        assert f"{top}py.typed" in names


@pytest.mark.parametrize("adapter", sorted(ADAPTERS))
def test_adapter_wheel_installs_beside_only_the_core_wheel(
    adapter: str, dists: dict[str, dict[str, Path]], fresh_venv: Any, tmp_path: Path
) -> None:
    dist, module = ADAPTERS[adapter]
    python = fresh_venv(adapter)
    env = clean_env(tmp_path)
    wheels = [str(dists["oneclaw-tools"]["wheel"]), str(dists[dist]["wheel"])]
    run([str(python), "-m", "pip", "install", "-q", *wheels], cwd=tmp_path, env=env)
    others = [
        mod
        for name, mod in FRAMEWORKS.items()
        if name != adapter and not (adapter == "crewai" and name == "mcp")
    ]
    code = (
        "import importlib, importlib.metadata, importlib.util, json, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"m = importlib.import_module({module!r})\n"
        "present = [o for o in " + repr(others) + " if importlib.util.find_spec(o.split('.')[0]) is not None"
        " and (o.count('.') == 0 or importlib.util.find_spec(o) is not None)]\n"
        f"print(json.dumps({{'version': m.__version__, 'dist': importlib.metadata.version({dist!r}), "
        "'present': present}))\n"
    )
    report = json.loads(
        run([str(python), "-c", code], cwd=tmp_path, env=env, timeout=600).strip().splitlines()[-1]
    )
    assert report == {"version": __version__, "dist": __version__, "present": []}, report
