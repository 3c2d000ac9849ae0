"""No value, key, token or share link travels into a log line, a repr or an error, over real HTTP.

Every logger is captured at DEBUG (httpx, uvicorn, ours) while an agent stores, reads,
rotates, shares and opens a share through the remote client, and provokes errors. If a
canary shows up, the message says where: find who formats that record or message.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from oneclaw_tools.backends.remote import OneClawVault
from oneclaw_tools.errors import OneClawError
from oneclaw_tools.server.testing import make_agent, running_server

CANARY = "leak-canary-9d2e7f1a"


def test_nothing_secret_reaches_logs_reprs_or_errors(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with running_server(tmp_path) as (server, url):
        _, key, vault_id = make_agent(server, "leaky")
        with OneClawVault(key.reveal_unsafe(), base_url=url) as client:
            meta = client.put_secret(vault_id, "app/token", CANARY, max_access_count=3)
            secret = client.get_secret(vault_id, "app/token")
            assert secret.value.reveal_unsafe() == CANARY
            client.rotate_secret(vault_id, "app/token")
            share = client.create_share(
                vault_id, "app/token", recipient_type="anyone_with_link",
                expires_at=datetime.now(UTC) + timedelta(hours=1), passphrase="open-sesame-passphrase",
            )  # fmt: skip
            assert share.share_url is not None
            link = share.share_url.reveal_unsafe()
            opened = client.access_share(link, "open-sesame-passphrase")
            token = client._auth._token
            assert token is not None
            secrets = [CANARY, key.reveal_unsafe(), token.value.reveal_unsafe(), link.rsplit(".", 1)[1],
                       opened.value.reveal_unsafe(), "open-sesame-passphrase"]  # fmt: skip
            texts += [repr(client), repr(secret), str(secret), repr(meta), repr(share), str(share.to_dict())]
            texts += [repr(client._auth), repr(client.principal), repr(opened)]
            for attempt in (
                lambda: client.put_secret(vault_id, CANARY + "=", "v"),
                lambda: client.put_secret(vault_id, "app/token", CANARY, type=CANARY),
                lambda: client.access_share(link, "wrong-passphrase-123"),
                lambda: client.get_secret("no-such-vault", "app/token"),
            ):
                with pytest.raises(OneClawError) as info:
                    attempt()
                texts += [
                    str(info.value),
                    repr(info.value),
                    info.value.for_model(),
                    str(info.value.to_dict()),
                ]
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    for secret_text in secrets:
        for text in texts:
            assert secret_text not in text, f"a secret leaked into: {text[:200]!r}"
