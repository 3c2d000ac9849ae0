"""Handlers see a narrow context, and logs are scrubbed by one mechanism.

If the first test fails, a handler was given (or reached) the whole session: give it only what
``oneclaw_tools.tools.context.ToolContext`` lists. If a logging test fails, look at
``oneclaw_tools/logscrub.py``, the one place a log record loses values.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from oneclaw_tools import Session
from oneclaw_tools.logscrub import GuardFilter, scrub_record
from oneclaw_tools.services import Services
from oneclaw_tools.tools import ALL_TOOLS
from oneclaw_tools.tools.context import ToolContext

VALUE = "sk_test_CANARYcontext_0123456789abcdef"


def test_handlers_receive_the_narrow_context_not_the_session(session: Session) -> None:
    seen: list[object] = []
    spec = next(s for s in ALL_TOOLS if s.name == "list_vaults")
    original = spec.handler

    def spy(ctx: ToolContext, args: Any) -> dict[str, Any]:
        seen.append(ctx)
        return original(ctx, args)

    object.__setattr__(spec, "handler", spy)  # ToolSpec is frozen
    try:
        session.call("list_vaults", {})
    finally:
        object.__setattr__(spec, "handler", original)
    assert len(seen) == 1 and isinstance(seen[0], Services) and not isinstance(seen[0], Session)
    for name in ("call", "reveal_unsafe", "run_wrapped", "specs"):
        assert not hasattr(seen[0], name), f"a handler can reach Session.{name}"
    members = {n for n in vars(ToolContext) if not n.startswith("_")}
    assert members <= set(dir(seen[0])), "Services no longer implements ToolContext"


def _record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("t", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_and_the_process_wide_factory_scrub_alike(session: Session) -> None:
    session.register_value(VALUE)
    try:
        raise RuntimeError(VALUE)
    except RuntimeError as exc:
        caught = exc
    by_filter = _record("token %s", VALUE, exc=caught)
    GuardFilter(session.guard).filter(by_filter)
    direct = _record("token %s", VALUE, exc=caught)
    scrub_record(direct, [session.guard])
    for record in (by_filter, direct):
        text = logging.Formatter("%(message)s").format(record)
        assert VALUE not in text and "Traceback" in text and "[secret:" in text
        assert record.exc_info is None and record.args is None
    assert by_filter.getMessage() == direct.getMessage() and by_filter.exc_text == direct.exc_text


def test_a_closed_session_no_longer_scrubs_the_process_logs(
    make_session, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import gc

    gc.collect()  # a session an earlier test forgot to close (and dropped) still scrubs until collected
    other = "sk_test_CANARYclosed_0123456789abcdef"
    session = make_session()
    session.register_value(other)
    caplog.set_level(logging.INFO)
    logging.getLogger("third.party").info("a %s", other)
    session.close()
    logging.getLogger("third.party").info("b %s", other)
    messages = [r.getMessage() for r in caplog.records if r.name == "third.party"]
    assert other not in messages[0] and other in messages[1]
