"""The ``setup.py`` of every adapter (each ``adapters/<name>/setup.py`` is a link to this file).

It gives the adapter the core's version and pins the core to exactly that version, so the
version has one source for all five distributions: ``oneclaw_tools/_version.py`` at the top of
the repository. An unpacked sdist (what ``python -m build`` and pip build the wheel from) carries
the version in its own ``PKG-INFO`` instead. The adapter's other dependencies are listed in its
``pyproject.toml`` under ``[tool.oneclaw] requires``; everything else is there too.
"""

import re
import tomllib
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).absolute().parent  # the adapter's folder (not this file's: it is linked)
SOURCE = HERE / "PKG-INFO"
if not SOURCE.is_file():
    SOURCE = HERE.parents[1] / "oneclaw_tools" / "_version.py"
VERSION = re.findall(r'(?m)^(?:__version__ = "|Version: )([^"\s]+)', SOURCE.read_text(encoding="utf-8"))[0]
REQUIRES = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["oneclaw"]["requires"]

setup(version=VERSION, install_requires=[f"oneclaw-tools=={VERSION}", *REQUIRES])
