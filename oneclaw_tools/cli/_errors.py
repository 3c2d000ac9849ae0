"""Failures of the command line in words for the operator: what went wrong, what to do.

A tool error's action is written for a model ("check the path with list_secrets"); at the
command line the reader is the operator, so the action is replaced by the operator's own
(``oneclaw-tools call list_secrets``), unless the error carries an action written for that one
case. An unexpected exception shows only its type: its message may hold anything, a value
included.
"""

from __future__ import annotations

import re

from ..errors import (
    ApprovalRequired,
    Conflict,
    Gone,
    IntegrityError,
    InvalidArgument,
    NotAuthenticated,
    NotFound,
    OneClawError,
    OutcomeUnknown,
    PaymentRequired,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
)

__all__ = ["describe_failure", "for_operator"]

#: a tool named in an action written for a model; the operator runs it with `oneclaw-tools call`
_TOOL_REF = re.compile(
    r"(?<![`\w])(list_secrets|list_vaults|list_versions|describe_secret|list_shares)(?![`\w])"
)

#: optional modules and the install command that brings them
_EXTRAS = {
    "uvicorn": 'pip install "oneclaw-tools[server]"',
    "starlette": 'pip install "oneclaw-tools[server]"',
    "jwt": 'pip install "oneclaw-tools[server]"',
    "hyperscan": 'pip install "oneclaw-tools[fast]"',
    "langchain_oneclaw": "pip install ./adapters/langchain (from a clone of the repository)",
    "llama_index": "pip install ./adapters/llamaindex (from a clone of the repository)",
    "crewai_oneclaw": "pip install ./adapters/crewai (from a clone of the repository)",
    "crewai": "pip install ./adapters/crewai (from a clone of the repository)",
    "oneclaw_mcp": "pip install ./adapters/mcp (from a clone of the repository)",
    "mcp": "pip install ./adapters/mcp (from a clone of the repository)",
    "langchain_core": "pip install ./adapters/langchain (from a clone of the repository)",
}

_OPERATOR_ACTIONS: tuple[tuple[type[OneClawError], str], ...] = (
    (InvalidArgument, "Fix it and run the command again (`oneclaw-tools COMMAND --help` shows the usage)."),
    (NotAuthenticated, "Check ONECLAW_AGENT_API_KEY (or ONECLAW_AGENT_TOKEN): it was refused or expired."),
    (PaymentRequired, "The 1Claw plan's quota is used up; upgrade the plan or free resources."),
    (ApprovalRequired, "A human must approve this action first."),
    (PermissionDenied, "The key in use lacks the permission; grant it with a policy, or use another key."),
    (NotFound, "Check the name: `oneclaw-tools call list_secrets` lists the paths."),
    (Conflict, "Pick another name."),
    (Gone, "It expired, was deleted or used up; store a new value with `oneclaw-tools put`."),
    (RateLimited, "Wait a little, then run the command again."),
    (OutcomeUnknown, "Check with `oneclaw-tools call list_versions` before writing again."),
    (TransportError, "Check ONECLAW_BASE_URL and the network, then run the command again."),
    (IntegrityError, "Restore the vault file from a backup, or use the right key file."),
    (ServerError, "The vault service failed; try again later."),
)


def for_operator(exc: OneClawError, command: str = "COMMAND") -> str:
    """The error's message with an action for the operator."""
    action = exc.action
    if action == type(exc).default_action or not action:
        action = next((text for cls, text in _OPERATOR_ACTIONS if isinstance(exc, cls)), action)
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        action = f"Wait {exc.retry_after:g} seconds, then run the command again."
    action = action.replace("COMMAND", command)
    action = _TOOL_REF.sub(lambda m: f"`oneclaw-tools call {m.group(1)}`", action)
    return f"{exc.message} {action}".strip()


def describe_failure(exc: BaseException, command: str = "COMMAND") -> str:
    """One line for any failure of ``command``."""
    if isinstance(exc, OneClawError):
        return for_operator(exc, command)
    if isinstance(exc, ModuleNotFoundError):
        top = (exc.name or "").split(".")[0]
        install = _EXTRAS.get(top)
        if install is not None:
            return f"this command needs the optional package '{top}'. Install it with: {install}"
        return f"a required module is missing ({top or 'unknown'}). Reinstall oneclaw-tools."
    if isinstance(exc, ImportError) and "pip install" in str(exc):  # our own hint, already worded
        return str(exc).splitlines()[0]
    if isinstance(exc, FileNotFoundError) and exc.filename is not None:
        return f"{exc.filename}: no such file or command. Check the name and the PATH."
    if isinstance(exc, PermissionError) and exc.filename is not None:
        return f"{exc.filename}: permission denied. Check the file's permissions."
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}. Check the file or address given, then run the command again."
    return (
        f"failed unexpectedly ({type(exc).__name__}); nothing secret is shown here. "
        "Run it again; if it keeps failing, report the command (without values) to the maintainers."
    )
