"""Issue 11's attacks through the MCP server, as a hijacked client model would send them.

The MCP client here is the model's side (no elicitation support, so no human answers); every
way out must come back as an ``isError`` result with a reason, be audited, and send nothing:
the session's HTTP client sends through a recording ``httpx.MockTransport`` and names resolve
only through the test's resolver.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from oneclaw_mcp import build_server
from oneclaw_mcp.testing.host import McpRecorder, result_text, tapped_client

from oneclaw_tools import Session

EXPIRY = "2099-01-01T00:00:00Z"


async def test_a_hijacked_mcp_client_gets_nothing_out(tmp_path: Path) -> None:
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200))
    sessions: list[Session] = []

    def make() -> Session:
        session = Session.local(
            tmp_path / "vault.db", http_transport=transport, resolver=lambda host, port: ["10.0.0.7"]
        )
        sessions.append(session)
        return session

    seed = make()
    vault = seed.vault_for(None)
    seed.backend.put_secret(
        vault, "prod/key", "sk_live_" + "M" * 30, metadata={"allowed_hosts": ["api.example.com"]}
    )
    other = seed.backend.create_vault("other").id
    seed.close()

    async with tapped_client(build_server(make), McpRecorder()) as client:
        got = await client.call_tool("get_secret", {"path": "prod/key"})
        handle = json.loads(result_text(got))["handle"]
        attacks = {
            "share": (
                "share_secret",
                {"path": "prod/key", "recipient_type": "anyone_with_link", "expires_at": EXPIRY},
            ),
            "grant": (
                "grant_access",
                {
                    "vault_id": vault,
                    "principal_type": "user",
                    "principal_id": "mallory",
                    "permissions": ["read"],
                },
            ),
            "vault": ("get_secret", {"path": "prod/key", "vault_id": other}),
            "metadata": ("http_request", {"url": "https://169.254.169.254/latest/meta-data/"}),
            "mapped": ("http_request", {"url": "https://[::ffff:127.0.0.1]/"}),
            "handle elsewhere": (
                "http_request",
                {"url": "https://[::ffff:127.0.0.1]/", "headers": {"A": "{{secret:" + handle + "}}"}},
            ),
            "internal name": (
                "http_request",
                {"url": "https://api.example.com/", "headers": {"A": "{{secret:" + handle + "}}"}},
            ),
        }
        texts = {}
        for label, (tool, args) in attacks.items():
            result = await client.call_tool(tool, args)
            assert result.isError, (label, result_text(result))
            texts[label] = result_text(result)
        listed = json.loads(result_text(await client.call_tool("list_vaults", {})))
    assert "approv" in texts["share"] and "approv" in texts["grant"]
    assert "outside" in texts["vault"] and "may not be sent" in texts["handle elsewhere"]
    for k in ("metadata", "mapped", "internal name"):
        assert "public addresses only" in texts[k], (k, texts[k])
    assert [v["id"] for v in listed["vaults"]] == [vault]
    assert sent == []
    with Session.local(tmp_path / "vault.db") as check:
        events = {(e.action, e.outcome) for e in check.backend.audit_events(200)}
        assert check.backend.list_outbound_shares() == []
    assert {("destination_refused", "denied"), ("vault_refused", "denied")} <= events
