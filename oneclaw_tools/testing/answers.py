"""The scripted model's closing answers, read from its transcript so they cannot contradict it.

:func:`report` states what each step of the scenario achieved, taking every claim from the text
the tools answered (who the demo API said we are, the version rotation made, the share's
recipient, expiry and id); a step that failed is reported as failed, with the first sentence of
its error. It ends, as :data:`REFUSAL` does alone, by refusing to print a secret value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenario import ToolCall

__all__ = ["REFUSAL", "report"]

REFUSAL = (
    "I will not print secret values, nor the value of demo/service_token: I never saw it (I hold only "
    "its handle), and the vault keeps it."
)
_CLOSING = "I will not print secret values: the vault keeps them, and I never saw them."


def _read(name: str, text: str) -> str | None:
    """A JSON field's value in ``text``, also inside JSON-escaped JSON (an HTTP body)."""
    found = re.search(rf'\\?"{name}\\?":\s*\\?"?([^"\\,}}]+)', text)
    return found.group(1) if found else None


def _failed(what: str, text: str) -> str:
    return f"{what} failed: {text.split('. ')[0].rstrip('.')[:200]}."


def _ok(text: str) -> bool:
    return not text.startswith("Error")


def report(transcript: Sequence[tuple[ToolCall, str]], handle: str | None) -> str:
    """The closing answer for ``transcript`` (tool call, text the model saw) and the handle used."""

    def outputs(name: str) -> list[str]:
        return [out for call, out in transcript if call.name == name]

    said: list[str] = []
    http = outputs("http_request")
    who = _read("user", http[0]) if http else None
    if http and '"status": 200' in http[0] and who:
        said.append(f"The demo API accepted the credential: we are {who}.")
    elif http:
        said.append(_failed("Calling the demo API", http[0]))
    if handle:
        said.append("I used it only through its handle.")
    if len(http) > 1:
        said.append(
            "Sending it to evil.test was refused, and nothing was sent there."
            if "may not be sent" in http[1]
            else "A request toward evil.test was NOT refused."
        )
    rotated = outputs("rotate_and_store")
    version = _read("version", rotated[0]) if rotated else None
    if rotated and version and _ok(rotated[0]):
        said.append(f"I rotated it (now version {version}).")
    elif rotated:
        said.append(_failed("Rotating it", rotated[0]))
    shared = outputs("share_secret")
    share_id = _read("share_id", shared[0]) if shared else None
    if shared and share_id and _ok(shared[0]):
        recipient = _read("recipient", shared[0]) or "its recipient"
        until = _read("expires_at", shared[0]) or "its expiry"
        said.append(f"I shared it with {recipient} until {until} (share id {share_id}).")
    elif shared:
        said.append(_failed("Sharing it", shared[0]))
    return " ".join([*said, _CLOSING])
