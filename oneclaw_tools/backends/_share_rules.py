"""1Claw's rules for a new share's options, checked the same way by the embedded and OpenBao backends.

:func:`check_share_options` takes the completed :class:`~.base.ShareOptions` of ``create_share``
and returns them checked, or raises :class:`~oneclaw_tools.errors.InvalidArgument` naming the
first bad argument, before anything is read or written: a known ``recipient_type``; a
``recipient_id`` exactly for a user or agent share; an e-mail address exactly for an
``external_email`` share; a future ``expires_at`` (a share always expires); a
``max_access_count`` of 0 (unlimited) or more; a non-empty passphrase without control
characters. A ``creator`` share is made out to the principal the backend names. Who may share
(the read permission, an agent's e-mail share) is the backend's to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import InvalidArgument
from ..validation import parse_datetime, validate_max_access_count
from ._local_core import check_future, check_id, check_text
from .base import ShareOptions

__all__ = ["RECIPIENT_TYPES", "CheckedShare", "check_share_options"]

RECIPIENT_TYPES: tuple[str, ...] = ("user", "agent", "external_email", "anyone_with_link", "creator")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True, slots=True)
class CheckedShare:
    """A share's options after the checks (``creator`` resolved; the passphrase kept out of repr)."""

    recipient_type: str
    recipient_id: str | None
    email: str | None
    expires_at: datetime
    max_access_count: int
    passphrase: str | None = field(repr=False)


def check_share_options(options: ShareOptions, *, creator: tuple[str, str], now: datetime) -> CheckedShare:
    """``options`` (completed by :func:`~.base.complete_options`) checked; ``creator`` is the
    ``(recipient_type, recipient_id)`` a share to ``"creator"`` goes to."""
    recipient_type, recipient_id, email = options["recipient_type"], options["recipient_id"], options["email"]
    if recipient_type not in RECIPIENT_TYPES:
        raise InvalidArgument("recipient_type", "must be one of " + ", ".join(RECIPIENT_TYPES))
    if recipient_type in ("user", "agent"):
        if recipient_id is None:
            raise InvalidArgument("recipient_id", f"is required for a share to a {recipient_type}")
        recipient_id = check_id(recipient_id, "recipient_id")
    elif recipient_type == "creator":
        recipient_type, recipient_id = creator
    elif recipient_id is not None:
        raise InvalidArgument("recipient_id", f"is not used for recipient_type '{recipient_type}'")
    if recipient_type == "external_email":
        if not isinstance(email, str) or len(email) > 254 or _EMAIL.fullmatch(email) is None:
            raise InvalidArgument("email", "must be an email address such as name@example.com")
    elif email is not None:
        raise InvalidArgument("email", "is only used with recipient_type 'external_email'")
    if options["expires_at"] is None:
        raise InvalidArgument("expires_at", "is required for a share")
    expires = check_future(parse_datetime(options["expires_at"]), now, "expires_at")
    assert expires is not None
    max_access = validate_max_access_count(options["max_access_count"])
    passphrase = options["passphrase"]
    if passphrase is not None:
        check_text(passphrase, "passphrase", max_len=1024, allow_empty=False)
    return CheckedShare(recipient_type, recipient_id, email, expires, max_access, passphrase)
