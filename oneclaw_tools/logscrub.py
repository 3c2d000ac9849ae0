"""Log scrubbing: the one way a log record loses the values a guard knows.

:func:`scrub_record` rewrites a record in place: the formatted message (arguments merged, then
dropped), every other string attribute (those passed with ``extra=``), the traceback text
(formatted once, then scrubbed; ``exc_info`` is dropped so no handler can format the raw
exception again) and the stack text. Two doors lead to it:

* :class:`GuardFilter` (from ``Guard.logging_filter()``): one guard, on the handlers or loggers
  the application chooses;
* :func:`attach` / :func:`detach`: process-wide. The first attached owner wraps
  :meth:`logging.Logger.handle`, the one step every record passes on its way to the handlers
  once it is complete (``extra=`` is applied after the record factory runs, and
  ``logging.makeLogRecord`` bypasses the factory, so a factory would miss both). Each record is
  scrubbed there with the guards of all attached owners. A session attaches itself unless told
  ``scrub_logs=False`` and detaches when closed; when the last owner leaves, the wrapper is
  removed and logging is exactly as before. Owners are held weakly: a forgotten session stops
  scrubbing when collected.

To turn it off, open sessions with ``Session(..., scrub_logs=False)`` (and, if you want the
scrubbing on your own handlers only, add ``session.guard.logging_filter()`` to them).
"""

from __future__ import annotations

import logging
import threading
import traceback
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Protocol

__all__ = ["GuardFilter", "Scrubber", "attach", "detach", "installed", "scrub_record"]


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
    extras = {k: v for k, v in vars(record).items() if k not in _STANDARD and isinstance(v, str)}
    for guard in guards:
        message = guard.scrub(message)
        exc_text = guard.scrub(exc_text) if exc_text else exc_text
        stack = guard.scrub(stack) if stack else stack
        extras = {k: guard.scrub(v) for k, v in extras.items()}
    record.msg, record.args = message, None
    if exc_text:
        record.exc_text, record.exc_info = exc_text, None
    record.stack_info = stack
    vars(record).update(extras)


#: the attributes every LogRecord has (anything else came with ``extra=`` or a custom factory)
_STANDARD = frozenset(vars(logging.LogRecord("n", 0, "p", 0, "m", None, None))) | {"message", "asctime"}


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
_ORIGINAL_HANDLE: Callable[[logging.Logger, logging.LogRecord], Any] | None = None


def _scrubbing_handle(self: logging.Logger, record: logging.LogRecord) -> Any:
    owners = list(_OWNERS)
    if owners:
        scrub_record(record, [owner.guard for owner in owners])
    assert _ORIGINAL_HANDLE is not None
    return _ORIGINAL_HANDLE(self, record)


def installed() -> bool:
    """Is the process-wide scrubbing in place (at least one owner attached)?"""
    return _ORIGINAL_HANDLE is not None


def attach(owner: _HasGuard) -> None:
    """Scrub every record of the process with ``owner.guard`` from now on (until :func:`detach`)."""
    global _ORIGINAL_HANDLE
    with _LOCK:
        _OWNERS.add(owner)
        if _ORIGINAL_HANDLE is None:
            _ORIGINAL_HANDLE = logging.Logger.handle
            logging.Logger.handle = _scrubbing_handle  # type: ignore[method-assign]


def detach(owner: _HasGuard) -> None:
    """Stop scrubbing with ``owner.guard``; the last owner to leave removes the hook."""
    global _ORIGINAL_HANDLE
    with _LOCK:
        _OWNERS.discard(owner)
        if not _OWNERS and _ORIGINAL_HANDLE is not None:
            if logging.Logger.handle is _scrubbing_handle:
                logging.Logger.handle = _ORIGINAL_HANDLE  # type: ignore[method-assign,assignment]
                _ORIGINAL_HANDLE = None
