"""``python -m oneclaw_tools``: the same command line as ``oneclaw-tools`` (see :mod:`.cli`)."""

from .cli import main

raise SystemExit(main())
