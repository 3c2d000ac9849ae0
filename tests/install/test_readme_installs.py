"""Every ``pip install`` command written in a README's code blocks works, from a clean clone.

The commands are extracted from the fenced code blocks of every README in the repository (the
root's and each adapter's; a command in running prose, such as the names that will work once the
distributions are published, is not a command to run). The repository is cloned (``git clone``
of this checkout's committed state, nothing untracked), a fresh virtualenv is made, and each
command runs in the clone's root, as a reader would type it, with ``pip`` meaning that
virtualenv's pip. Their dependencies come from the package index through pip's cache.

If this fails: the message names the README and the command. Fix the README (a name pip cannot
find, a path that does not exist from the root of a clone) or the packaging it points at.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from install_helpers import ROOT, clean_env, run

pytestmark = pytest.mark.slow

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
_PIP = re.compile(r"(?:^|[\s;&|(])(?:\S*/)?pip3?\s+install\s+(?P<args>[^\n;&|#]*)")


def readmes() -> list[Path]:
    tracked = subprocess.run(
        ["git", "ls-files", "README.md", "*/README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / name for name in tracked]


def pip_commands(text: str) -> list[list[str]]:
    """The argument lists of the ``pip install`` commands in ``text``'s fenced code blocks."""
    found: list[list[str]] = []
    for block in _FENCE.findall(text):
        for line in block.splitlines():
            for match in _PIP.finditer(line):
                args = shlex.split(match.group("args"))
                if args:
                    found.append(args)
    return found


def test_the_extraction_finds_what_a_reader_would_type() -> None:
    text = (
        "Once published, `pip install langchain-oneclaw` works.\n"
        "```bash\npython3 -m venv .venv && .venv/bin/pip install -q -e . && demo\n"
        'pip install . ./adapters/langchain      # a comment\npip install "x[fast]"\n```\n'
    )
    assert pip_commands(text) == [["-q", "-e", "."], [".", "./adapters/langchain"], ["x[fast]"]]


def test_every_readme_pip_install_works_from_a_clean_clone(fresh_venv: Any, tmp_path: Path) -> None:
    commands = [
        (path.relative_to(ROOT), args) for path in readmes() for args in pip_commands(path.read_text())
    ]
    assert len({str(path) for path, _ in commands}) >= 5, f"too few READMEs with install commands: {commands}"
    clone = tmp_path / "clone"
    env = clean_env(tmp_path)
    run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], cwd=tmp_path, env=env, timeout=300)
    python = fresh_venv("readers")
    for readme, args in commands:
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *args],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert done.returncode == 0, f"{readme}: pip install {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    check = "import oneclaw_tools, langchain_oneclaw, llama_index.tools.oneclaw, crewai_oneclaw, oneclaw_mcp"
    run([str(python), "-W", "ignore", "-c", check], cwd=tmp_path, env=env, timeout=600)


def test_every_readme_says_what_changes_once_published() -> None:
    """Each README that installs from a clone also says, in prose, the command that will work once
    the distributions are on an index (the core's README names all five)."""
    from install_helpers import DISTRIBUTIONS

    prose = {path.relative_to(ROOT).as_posix(): _FENCE.sub("", path.read_text()) for path in readmes()}
    root = prose["README.md"]
    assert "Once the distributions are published" in root and '`"oneclaw-tools[fast]"`' in root
    for folder, (dist, _) in DISTRIBUTIONS.items():
        if folder != ".":
            own = prose[f"{folder}/README.md"]
            assert "Once published" in own and f"`pip install {dist}`" in own, folder
            assert f"`pip install {dist}`" in root or f"`{dist}`" in root, dist
