"""The approval page of ``oneclaw-tools serve``, driven in real headless Chromium.

The server runs on a free 127.0.0.1 port; the browser is Debian's ``/usr/bin/chromium`` driven by
Playwright (no browser is downloaded). An agent session on the same vault files approvals and a
secret request; the test logs in with the one-time link, approves, denies, supplies a value, and
checks that a POST without the CSRF token, a reused login link and a foreign Host are refused.
If it fails, read ``oneclaw_tools/server/approval_page.py``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.server import ServerThread, open_server

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is in requirements-dev.txt")

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHARED = "sk_live_PAGEshared_0a1b2c3d4e5f6a7b8c9d"
SUPPLIED = "xoxp-PAGEsupplied-1234567890abcdef"
BOB = {"path": "team/token", "email": "bob@example.com", "expires_at": "2031-01-01T00:00:00Z"}
EVE = {**BOB, "email": "eve@evil.example"}

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="scripts/test.sh installs Debian chromium"
)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict[str, Any]]:
    vault = tmp_path / "vault.db"
    server = open_server(vault)
    agent = Session.local(vault, policy=OperatorPolicy())
    agent.backend.put_secret(agent.vault_for(None), "team/token", SHARED)
    try:
        with ServerThread(server.app) as base:
            yield {"base": base, "server": server, "agent": agent}
    finally:
        agent.close()
        server.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


def try_share(agent: Session, args: dict[str, Any]) -> str:
    try:
        agent.call("share_secret", args)
    except ToolError as err:
        return err.text
    return "shared"


def test_login_approve_deny_supply_in_chromium(setup: dict[str, Any], browser: Any) -> None:
    agent, server, base = setup["agent"], setup["server"], setup["base"]
    assert "approval_required" in try_share(agent, BOB) and "approval_required" in try_share(agent, EVE)
    bob, eve = server.page.store.pending()
    rid = agent.call("request_secret", {"path": "ci/slack", "reason": "post <b>the</b> release note"})[
        "request_id"
    ]

    page = browser.new_page()
    login = base + server.page.login_path()
    page.goto(login)
    assert page.url == base + "/approvals/"
    assert "bob@example.com" in page.inner_text(f"#{bob.id} .summary")
    assert "team/token" in page.inner_text(f"#{bob.id}")
    assert page.inner_text(f"#{rid} .reason") == "post <b>the</b> release note"  # escaped, not markup

    page.click(f"#approve-{bob.id}")
    assert "approved" in page.inner_text("#message")
    page.click(f"#deny-{eve.id}")
    assert "denied" in page.inner_text("#message")
    assert page.locator("#no-approvals").count() == 1
    assert try_share(agent, BOB) == "shared"
    assert "approval_required" in try_share(agent, EVE)

    page.fill(f"#value-{rid}", SUPPLIED)
    page.click(f"#supply-{rid}")
    assert "fulfilled" in page.inner_text("#message") and SUPPLIED not in page.content()
    out = agent.call("check_secret_request", {"request_id": rid})
    assert out["status"] == "fulfilled" and SUPPLIED not in json.dumps(out)
    assert agent.reveal_unsafe(out["handle"]) == SUPPLIED
    audited = [
        (e.action, e.outcome) for e in server.vault.audit_events(200) if e.principal == "approval-page"
    ]
    assert audited == [("approval", "ok"), ("approval", "denied"), ("secret_fulfilled", "ok")]  # so far
    assert all(SUPPLIED not in str(e) for e in server.vault.audit_events(200))

    # a request can be refused instead
    other = agent.call("request_secret", {"path": "ci/other", "reason": "r"})["request_id"]
    page.reload()
    page.click(f"#refuse-{other}")
    assert "refused" in page.inner_text("#message") and page.locator("#no-requests").count() == 1
    with pytest.raises(ToolError, match="cancelled"):
        agent.call("check_secret_request", {"request_id": other})

    # the login link works once
    second = browser.new_page()
    response = second.goto(login)
    assert response.status == 403 and "not valid" in second.inner_text("#refused")


def test_a_post_without_the_csrf_token_is_refused(setup: dict[str, Any], browser: Any) -> None:
    agent, server, base = setup["agent"], setup["server"], setup["base"]
    try_share(agent, BOB)
    [bob] = server.page.store.pending()
    page = browser.new_page()
    page.goto(base + server.page.login_path())  # logged in: the cookie is set
    for form in ({"decision": "approve"}, {"decision": "approve", "csrf": "forged"}):
        refused = page.request.post(f"{base}/approvals/decide/{bob.id}", form=form, max_redirects=0)
        assert refused.status == 403 and "CSRF" in refused.text()
    rid = agent.call("request_secret", {"path": "ci/x", "reason": "r"})["request_id"]
    refused = page.request.post(f"{base}/approvals/fulfil/{rid}", form={"value": SUPPLIED}, max_redirects=0)
    assert refused.status == 403 and SUPPLIED not in refused.text()
    assert [p.status for p in server.page.store.pending()] == ["pending"]
    assert [r.id for r in server.page.store.pending_requests()] == [rid]
    assert "approval_required" in try_share(agent, BOB)


def test_without_login_or_from_a_foreign_host_nothing_is_shown(setup: dict[str, Any]) -> None:
    agent, server, base = setup["agent"], setup["server"], setup["base"]
    try_share(agent, BOB)
    with httpx.Client(base_url=base, trust_env=False) as client:
        assert client.get("/approvals/").status_code == 403
        rebound = client.get(server.page.login_path(), headers={"host": "attacker.example"})
        assert rebound.status_code == 403
        assert client.get(server.page.login_path()).status_code == 303  # still unused: host refused first


def test_serve_prints_a_one_time_login_link(tmp_path: Path) -> None:
    import os
    import re
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONECLAW_")}
    env["ONECLAW_LOCAL_VAULT"] = str(tmp_path / "vault.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "oneclaw_tools", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        link = None
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        while link is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+/approvals/login\?token=[\w-]+)", line)
            link = found.group(1) if found else None
        assert link is not None, "serve did not print the approval page's login link"
        with httpx.Client(trust_env=False) as client:
            for _ in range(100):  # the link is printed before uvicorn accepts connections
                try:
                    first = client.get(link)
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert first.status_code == 303 and "oneclaw_page" in first.cookies
            assert client.get(f"http://127.0.0.1:{port}/approvals/").status_code == 200
            with httpx.Client(trust_env=False) as other:
                assert other.get(link).status_code == 403  # used once
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stderr is not None:
            proc.stderr.close()


def test_a_page_session_ends(setup: dict[str, Any]) -> None:
    from oneclaw_tools.server import approval_page

    server, base = setup["server"], setup["base"]
    clock = [1000.0]
    server.page._now = lambda: clock[0]
    with httpx.Client(base_url=base, trust_env=False) as client:
        assert client.get(server.page.login_path()).status_code == 303
        assert client.get("/approvals/").status_code == 200
        clock[0] += approval_page.SESSION_SECONDS + 1
        assert client.get("/approvals/").status_code == 403
