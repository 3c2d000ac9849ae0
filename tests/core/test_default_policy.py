"""What the default policy does with every tool, pinned: runs, needs approval, or refused.

If this fails, a default changed. Defaults are a security promise: change them only on purpose,
and then change README.md, SECURITY.md and every adapter README the same way (a test checks
that they agree). A new tool must be added here with its default.
"""

from __future__ import annotations

from typing import Any

import pytest

from oneclaw_tools import OperatorPolicy, ToolError
from oneclaw_tools.policy import DEFAULT_REQUIRE_APPROVAL
from oneclaw_tools.tools import ALL_TOOLS

#: tool -> (what the default policy does, example arguments a model would send)
DEFAULTS: dict[str, tuple[str, dict[str, Any]]] = {
    "list_secrets": ("runs", {}),
    "describe_secret": ("runs", {"path": "svc/key"}),
    "get_secret": ("runs", {"path": "svc/key"}),
    "put_secret": ("runs", {"path": "svc/other", "value": "a-new-value-of-some-length"}),
    "delete_secret": ("runs", {"path": "svc/other"}),
    "rotate_and_store": ("runs", {"path": "svc/key"}),
    "get_env_bundle": ("runs", {"path": "svc/env"}),
    "create_vault": ("runs", {"name": "another"}),
    "list_vaults": ("runs", {}),
    "grant_access": (
        "needs approval",
        {"vault_id": "VAULT", "principal_type": "agent", "principal_id": "a-1", "permissions": ["read"]},
    ),
    "share_secret": (
        "needs approval",
        {"path": "svc/key", "email": "someone@example.com", "expires_at": "2099-01-01T00:00:00Z"},
    ),
    "list_versions": ("runs", {"path": "svc/key"}),
    "list_shares": ("runs", {}),
    "revoke_share": ("runs", {"share_id": "SHARE"}),
    "http_request": (
        "refused toward non-public addresses",
        {"url": "https://169.254.169.254/latest/meta-data/"},
    ),
    "request_secret": ("runs", {"path": "svc/wanted", "reason": "to call the API"}),
    "check_secret_request": ("runs", {"request_id": "REQUEST"}),
}


def test_every_tool_is_pinned() -> None:
    assert sorted(DEFAULTS) == sorted(t.name for t in ALL_TOOLS)
    assert frozenset(n for n, (d, _) in DEFAULTS.items() if d == "needs approval") == DEFAULT_REQUIRE_APPROVAL
    assert OperatorPolicy().require_approval == DEFAULT_REQUIRE_APPROVAL


@pytest.mark.parametrize("tool", list(DEFAULTS))
def test_the_default_policy(tool: str, make_session, recorder, dns) -> None:  # type: ignore[no-untyped-def]
    expected, args = DEFAULTS[tool]
    session = make_session(http_transport=recorder.transport, resolver=dns)
    vault = session.vault_for(None)
    session.backend.put_secret(vault, "svc/key", "k" * 32, type="api_key")
    session.backend.put_secret(vault, "svc/other", "o" * 32, type="api_key")
    session.backend.put_secret(vault, "svc/env", "A=1\nB=2", type="env_bundle")
    args = {k: (vault if v == "VAULT" else v) for k, v in args.items()}
    if args.get("share_id") == "SHARE":  # a share the operator made
        args["share_id"] = session.backend.create_share(
            vault, "svc/key", recipient_type="external_email", email="a@example.com",
            expires_at="2099-01-01T00:00:00Z",
        ).id  # fmt: skip
    if args.get("request_id") == "REQUEST":  # a request this session filed
        args["request_id"] = session.call("request_secret", {"path": "svc/x", "reason": "r"})["request_id"]
    if expected == "runs":
        session.call(tool, args)
        return
    with pytest.raises(ToolError) as err:
        session.call(tool, args)
    assert err.value.status == 403
    if expected == "needs approval":
        assert err.value.code == "approval_required"
        assert "share_recipients" in err.value.text and "approver" in err.value.text
    else:
        assert "link-local" in err.value.text
    assert recorder.sent == []
