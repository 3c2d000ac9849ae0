"""What a human approves: one exact action, described without values and pinned by a digest.

An :class:`Action` names the tool and every field that decides what the action does: the
vault, the path, the recipient (sharing) or principal (granting), the host and method
(``http_request``) and the remaining terms (expiry, open count, permissions...). Its
:attr:`Action.digest` is a SHA-256 over the canonical JSON of those fields; a grant is
consumed only by an action with the same digest, so an approval for one share never
approves another (another recipient, path, vault, expiry or agent changes the digest).

Arguments that may carry a value (``value``, ``body``, ``headers``...) are never shown and
never stored: they enter the digest only as an HMAC under a key that lives in the session's
memory, so a different body needs its own approval and the store holds nothing a value could
be recovered from.

Every other field is shown as the model typed it (a recipient id that merely looks like a token
is an identifier the human must see), except a field named in :attr:`Action.withheld`: one that
holds a value the session's guard knows (a model putting a stored secret into a recipient to get
it onto the human's screen). Such a field is shown, and stored, as :data:`WITHHELD`; it still
enters the digest. Typed text holding a bracket or a quote is always shown quoted, so nothing a
model types can read as :data:`WITHHELD` or as a mask.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = ["VALUE_ARGS", "WITHHELD", "Action", "action_for"]

#: arguments an approver never sees and the store never keeps (they may carry a value)
VALUE_ARGS = frozenset({"value", "body", "json_body", "headers", "query"})

#: what a human reads, and the store keeps, in place of a field holding a known secret value
WITHHELD = "[withheld: holds a secret value]"

#: typed text holding one of these is shown quoted (it could pose as a mask or as quoting)
_QUOTED = frozenset('[]"')


def _shown(value: Any) -> str:
    """A field as one line: a string with anything but printable characters (a newline that
    could fake another line of the prompt, a control or bidi character), with whitespace or
    ``=`` (``helper max_access_count=1`` would read as a second field), a bracket or a quote
    (``[withheld: ...]`` typed by a model must not read as ours) is shown quoted, escaped."""
    if isinstance(value, str):
        plain = "=" not in value and not any(c.isspace() or c in _QUOTED for c in value)
        if value.isprintable() and plain:
            return value
        return json.dumps(value, ensure_ascii=True)
    return _canonical(value)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class Action:
    """One exact action. ``fields`` holds only value-free, JSON-able facts; those named in
    ``withheld`` hold a known secret value and are never shown nor stored (see the module)."""

    tool: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    sealed: str = ""  # HMAC of the value-carrying arguments ("" when there are none)
    withheld: frozenset[str] = frozenset()  # not in the digest: it decides display only

    def shown_fields(self) -> dict[str, Any]:
        """The fields as a human may see them (withheld ones replaced by :data:`WITHHELD`)."""
        return {k: WITHHELD if k in self.withheld else v for k, v in self.fields.items()}

    @property
    def digest(self) -> str:
        body = {"tool": self.tool, "fields": dict(self.fields), "sealed": self.sealed}
        return hashlib.sha256(_canonical(body).encode("utf-8")).hexdigest()

    def summary(self) -> str:
        """One line a human can check: the tool, then each field (never a value)."""
        f = dict(self.fields)
        held = self.withheld

        def show(key: str, value: Any) -> str:
            return WITHHELD if key in held else _shown(value)

        parts = [self.tool]
        for key in ("vault", "path", "recipient", "principal", "method", "host"):
            if f.get(key) not in (None, ""):
                parts.append(f"{key}={show(key, f.pop(key))}")
            else:
                f.pop(key, None)
        agent = f.pop("agent", None)
        parts.extend(f"{k}={show(k, v)}" for k, v in sorted(f.items()))
        if self.sealed:
            parts.append("(with a request body or headers not shown)")
        if agent:
            parts.append(f"requested by {show('agent', agent)}")
        return " ".join(parts)

    def to_json(self) -> str:
        """What the store keeps: the shown fields (never a withheld one) and whether a body was sealed."""
        return _canonical({"tool": self.tool, "fields": self.shown_fields(), "sealed": bool(self.sealed)})


def action_for(
    tool: str,
    args: Mapping[str, Any],
    *,
    vault_id: str | None,
    agent: str,
    seal_key: bytes,
) -> Action:
    """The action a call of ``tool`` with (validated, defaults filled) ``args`` performs."""
    rest = {k: v for k, v in args.items() if k not in VALUE_ARGS and k != "vault_id"}
    fields: dict[str, Any] = {"agent": agent}
    if vault_id is not None:
        fields["vault"] = vault_id
    if tool == "share_secret":
        kind = rest.pop("recipient_type", None)
        email, rid = rest.pop("email", None), rest.pop("recipient_id", None)
        who = email if kind == "external_email" else rid
        fields["recipient"] = f"{kind}:{who}" if who else str(kind)
    if "principal_type" in rest or "principal_id" in rest:
        fields["principal"] = f"{rest.pop('principal_type', None)}:{rest.pop('principal_id', None)}"
    if "url" in rest:
        url = str(rest.pop("url"))
        parts = urlsplit(url)
        fields["host"] = parts.hostname or ""
        rest["url"] = url  # the exact URL stays bound (path and query select what is touched)
    if "method" in rest:
        fields["method"] = str(rest.pop("method"))
    if "path" in rest:
        fields["path"] = rest.pop("path")
    fields.update({k: v for k, v in rest.items() if v is not None})
    values = {k: args[k] for k in sorted(VALUE_ARGS) if args.get(k) not in (None, "", {}, [])}
    sealed = ""
    if values:
        sealed = hmac.new(seal_key, _canonical(values).encode("utf-8"), hashlib.sha256).hexdigest()
    return Action(tool=tool, fields=fields, sealed=sealed)
