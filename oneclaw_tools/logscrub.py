"""Log scrubbing: the one way a log record loses the values a guard knows.

:func:`scrub_record` rewrites a record in place: the formatted message (arguments merged, then
dropped), the traceback text (formatted once, then scrubbed; ``exc_info`` is dropped so no
handler can format the raw exception again) and the stack text. Two doors lead to it:

* :class:`GuardFilter` (from ``Guard.logging_filter()``): one guard, on the handlers or loggers
  the application chooses;
* :func:`attach` / :func:`detach`: process-wide. The first attached owner installs one
  log-record factory that scrubs every record, whoever logs it, with the guards of all
  attached owners (a session attaches itself unless told ``scrub_logs=False``, and detaches
  when closed). Owners are held weakly: a forgotten session stops scrubbing when collected.
"""

from __future__ import annotations

import logging
import threading
import traceback
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Protocol

__all__ = ["GuardFilter", "Scrubber", "attach", "detach", "scrub_record"]


class Scrubber(Protocol):
    def scrub(self, text: str) -> str: ...


class _HasGuard(Protocol):
    @property
    def guard(self) -> Scrubber: ...


def scrub_record(record: logging.LogRecord, scrubbers: Iterable[Scrubber]) -> None:
    """Scrub ``record`` in place with each scrubber, in order."""
    guards = list(scrubbers)
    if not guards:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the bare template
        message = str(record.msg)
    exc_text = record.exc_text
    if record.exc_info and record.exc_info[1] is not None and not exc_text:
        exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    stack = record.stack_info
    for guard in guards:
        message = guard.scrub(message)
        exc_text = guard.scrub(exc_text) if exc_text else exc_text
        stack = guard.scrub(stack) if stack else stack
    record.msg, record.args = message, None
    if exc_text:
        record.exc_text, record.exc_info = exc_text, None
    record.stack_info = stack


class GuardFilter(logging.Filter):
    """A :class:`logging.Filter` that scrubs each record it sees with one guard."""

    def __init__(self, guard: Scrubber) -> None:
        super().__init__()
        self._guard = guard

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record, (self._guard,))
        return True


_OWNERS: weakref.WeakSet[_HasGuard] = weakref.WeakSet()
_LOCK = threading.Lock()
_BASE_FACTORY: Callable[..., logging.LogRecord] | None = None


def _scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _BASE_FACTORY is not None
    record = _BASE_FACTORY(*args, **kwargs)
    scrub_record(record, [owner.guard for owner in list(_OWNERS)])
    return record


def attach(owner: _HasGuard) -> None:
    """Scrub every record of the process with ``owner.guard`` from now on (until :func:`detach`)."""
    global _BASE_FACTORY
    with _LOCK:
        _OWNERS.add(owner)
        if _BASE_FACTORY is None:
            _BASE_FACTORY = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_scrubbing_factory)


def detach(owner: _HasGuard) -> None:
    """Stop scrubbing with ``owner.guard`` (the factory stays, and does nothing without owners)."""
    _OWNERS.discard(owner)
