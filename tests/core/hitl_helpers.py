"""Shared helpers of the approval tests (a uniquely named module: every test folder has a conftest)."""

from __future__ import annotations

from typing import Any

import pytest

from oneclaw_tools import Session, ToolError

__all__ = ["refused", "store_bytes"]


def store_bytes(s: Session) -> bytes:
    """The approval store's file and its write-ahead log, as they sit on disk."""
    path = s.approvals.store.path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def refused(s: Session, tool: str, args: dict[str, Any]) -> ToolError:
    """The error ``s.call(tool, args)`` raises (it must raise one)."""
    with pytest.raises(ToolError) as info:
        s.call(tool, args)
    return info.value
