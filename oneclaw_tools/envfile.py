"""The one ``.env`` parser: ``import``, env bundles, ``get_env_bundle`` and ``run`` all read here.

Built on python-dotenv's parser (the de-facto ``.env`` grammar), not a hand-written one. It
reads 1Claw's ``env_bundle`` rules (``KEY=VALUE`` lines, blanks and ``#`` comments skipped,
the value is everything after the first ``=``) and what real ``.env`` files add: ``export``,
single and double quotes (with escapes in double quotes), empty values, trailing comments
after whitespace, and CRLF line ends. Values are taken literally: no ``${VAR}`` interpolation,
so a secret containing ``$`` arrives as stored.

Where the grammars differ, dotenv's wins and the difference is deliberate: an unquoted value
ends at `` #`` (1Claw's split would keep the comment in the value), and surrounding quotes are
removed (1Claw keeps them). Quote a value that must contain `` #``.

Bad input is an :class:`~oneclaw_tools.errors.InvalidArgument` naming the line, never its
content (it may be a secret). A key without ``=`` or a key given twice is an error too.
"""

from __future__ import annotations

import io
import re

from .errors import InvalidArgument

__all__ = ["parse_env"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def parse_env(text: str, argument: str = "file") -> dict[str, str]:
    """``KEY -> value`` from ``.env`` text; errors name ``argument`` and the line number."""
    from dotenv.parser import parse_stream

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: dict[str, str] = {}
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            raise InvalidArgument(argument, f"line {line}: expected KEY=VALUE (quotes must be closed)")
        if binding.key is None:
            continue  # a blank line or a comment
        if _KEY.fullmatch(binding.key) is None:
            raise InvalidArgument(argument, f"line {line}: a key is letters, digits and '_'")
        if binding.value is None:
            raise InvalidArgument(argument, f"line {line}: {binding.key} has no '=' and no value")
        if binding.key in out:
            raise InvalidArgument(argument, f"line {line}: {binding.key} appears twice")
        out[binding.key] = binding.value
    return out
