"""The redaction guard: everything that flows back to a model passes through here.

Interface (stable; the session and every adapter use only this):

* ``Guard.register(value, label=None) -> str``: learn a value this session materialized;
  returns its mask (``[secret:<label>]``), stable for that value within the guard.
* ``Guard.scrub(text) -> str``; ``scrub_bytes``; ``scrub_obj`` (dicts/lists/JSON strings).
* ``Guard.contains_secret(obj) -> bool``: does any registered value (in any variant) occur?
* ``Guard.logging_filter()``: a :class:`logging.Filter` scrubbing records.

This placeholder matches registered values exactly; the full engine replaces it.
"""

from __future__ import annotations

import logging
import secrets as _secrets
from typing import Any

__all__ = ["Guard"]


class Guard:
    def __init__(self) -> None:
        self._masks: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._masks)

    def __repr__(self) -> str:
        return f"Guard(values={len(self._masks)})"

    def register(self, value: str, label: str | None = None) -> str:
        mask = self._masks.get(value)
        if mask is None:
            mask = f"[secret:{label or 'v_' + _secrets.token_hex(4)}]"
            self._masks[value] = mask
        return mask

    def scrub(self, text: str) -> str:
        for value in sorted(self._masks, key=len, reverse=True):
            if value in text:
                text = text.replace(value, self._masks[value])
        return text

    def scrub_bytes(self, data: bytes) -> bytes:
        text = data.decode("utf-8", "surrogateescape")
        out = self.scrub(text)
        return data if out == text else out.encode("utf-8", "surrogateescape")

    def scrub_obj(self, obj: Any) -> Any:
        if isinstance(obj, str):
            return self.scrub(obj)
        if isinstance(obj, bytes):
            return self.scrub_bytes(obj)
        if isinstance(obj, dict):
            return {self.scrub_obj(k): self.scrub_obj(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(self.scrub_obj(v) for v in obj)
        return obj

    def contains_secret(self, obj: Any) -> bool:
        return self.scrub_obj(obj) != obj

    def logging_filter(self) -> logging.Filter:
        guard = self

        class _Filter(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                record.msg = guard.scrub(record.getMessage())
                record.args = None
                return True

        return _Filter()
