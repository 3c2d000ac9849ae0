"""The same tools, unchanged, over the remote backend: a session on ``OneClawVault`` talking to
``oneclaw-tools serve``'s app on 127.0.0.1, configured only through 1Claw's variables.

The shared scenario runs end to end (list → describe → get → use the handle → third-party echoes →
exfiltration refused → rotate → share) and nothing the model saw holds a value.
"""

from __future__ import annotations

import json
from pathlib import Path

from oneclaw_tools import Session, ToolError
from oneclaw_tools.server.testing import ALL_PERMISSIONS, running_server
from oneclaw_tools.testing.scenario import (
    THIRD_PARTY_TOOLS,
    Script,
    assert_no_canary,
    local_api,
    scenario_policy,
    seed_canaries,
)


def test_scenario_over_the_remote_backend(tmp_path: Path) -> None:
    """Runs with a user key (``1ck_``): the scenario shares to an e-mail address, which 1Claw
    (and the local server) refuse to agents."""
    with running_server(tmp_path) as (server, base_url):
        record, key = server.agents.create_user("scenario-user")
        vault_id = server.vault.create_vault("scenario-vault").id
        server.vault.create_policy(
            vault_id, principal_type="user", principal_id=record.id, permissions=ALL_PERMISSIONS
        )
        env = {
            "ONECLAW_AGENT_API_KEY": key.reveal_unsafe(),
            "ONECLAW_VAULT_ID": vault_id,
            "ONECLAW_BASE_URL": base_url,
        }
        with Session.from_env(env, policy=scenario_policy()) as session, local_api() as api:
            assert session.backend.kind != "local"
            assert session.vault_for(None) == vault_id
            canaries = seed_canaries(session, api_host=api.host)
            api.token = canaries.api_token
            script = Script(api.url)
            seen: list[str] = []
            output: str | None = None
            while (call := script.next_call(output)) is not None:
                try:
                    if call.name in THIRD_PARTY_TOOLS:
                        result = session.run_wrapped(call.name, THIRD_PARTY_TOOLS[call.name][1], call.args)
                        output = result if isinstance(result, str) else json.dumps(result)
                    else:
                        output = session.call_text(call.name, call.args)
                except ToolError as err:
                    output = err.text
                seen.append(output)
            script.check_flow()
            assert_no_canary([*seen, repr(session), repr(session.backend)], canaries)
