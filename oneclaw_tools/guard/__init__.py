"""The redaction guard: everything that flows back to a model passes through here.

Interface (stable; the session and every adapter use it):

* ``Guard(engine="auto", patterns=True)``; ``len(guard)`` is the number of registered values.
* ``Guard.register(value, label=None) -> str``: learn a value this session materialized, in all
  its forms (encodings, transformations, and for a long value any run of 24 characters);
  returns its mask ``[secret:<label>]``, stable for that value within the guard. Raises
  ``ValueError`` (and learns nothing) if an engine refuses it. ``register_many`` loads many.
* ``Guard.scrub(text) -> str``; ``scrub_bytes``; ``scrub_obj`` (dict keys and values, lists,
  tuples, JSON strings). Input without a secret comes back as the very same object.
* ``Guard.contains_secret(obj) -> bool``: does any registered value occur, in any encoding?
* ``Guard.detect(text) -> list[Finding]``: well-known credential formats with their spans.
  Pattern hits are masked as ``[secret:pattern:<rule_id>]`` by ``scrub``.
* ``Guard.stream() -> StreamScrubber``: ``feed(chunk) -> str`` and ``flush() -> str``.
* ``Guard.logging_filter()``: a :class:`logging.Filter` scrubbing records.

Engines: ``aho`` (ahocorasick-rs, a base dependency) and ``hyperscan`` (the ``fast`` extra);
``auto`` picks hyperscan when installed. Importing this package imports neither.
"""

from __future__ import annotations

from .guard import Guard
from .patterns import RULES, Finding, Rule
from .stream import StreamScrubber

__all__ = ["RULES", "Finding", "Guard", "Rule", "StreamScrubber"]
