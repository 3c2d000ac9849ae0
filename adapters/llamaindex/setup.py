"""Builds this adapter at the core's version and pins the core to exactly that version.

The version has one source for all five distributions: ``oneclaw_tools/_version.py`` at the top
of the repository. An unpacked sdist (what ``python -m build`` and pip build the wheel from)
carries it in its own ``PKG-INFO`` instead. Everything else is in ``pyproject.toml``.
"""

import re
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
SOURCE = (
    HERE / "PKG-INFO" if (HERE / "PKG-INFO").is_file() else HERE.parents[1] / "oneclaw_tools" / "_version.py"
)
VERSION = re.findall(r'(?m)^(?:__version__ = "|Version: )([^"\s]+)', SOURCE.read_text(encoding="utf-8"))[0]

setup(
    version=VERSION,
    install_requires=[
        f"oneclaw-tools=={VERSION}",
        "llama-index-core>=0.14",
    ],
)
