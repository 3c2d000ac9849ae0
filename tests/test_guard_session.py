"""The guard behind a session (issue 12): values of any size stored, fetched, used (by a
third-party tool, and by ``http_request`` toward a real server on 127.0.0.1 that reflects the
body) and scrubbed through ``Session.call``; a value the guard cannot learn is refused before it
is stored; the operator is warned about short values, without the value.

A failure here with a passing ``tests/test_guard_forms.py`` points at the session's
registration path (``oneclaw_tools/services.py``: ``register_value`` and ``issue_handle``).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.guard import Guard
from oneclaw_tools.guard.ignorable import normalize

ENGINES = ("aho", "hyperscan")
MIB = 1 << 20


def big_values() -> dict[str, str]:
    return {
        "1 MiB random": base64.b64encode(os.urandom(MIB * 3 // 4)).decode(),
        "200,000 repetitive": "y" * 200_000,
    }


@contextlib.contextmanager
def reflector() -> Iterator[tuple[str, list[bytes]]]:
    """A careless API on 127.0.0.1: ``POST /echo`` answers with the body it got, its base64 and
    the hex of its head. Yields the host (``127.0.0.1:PORT``) and the bodies received."""
    received: list[bytes] = []

    class Echo(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(body)
            data = (
                b"got: "
                + body
                + b"\nb64: "
                + base64.b64encode(body)
                + b"\nhead: "
                + body[:3000].hex().encode()
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", list(big_values()))
def test_big_values_stored_fetched_used_and_scrubbed(tmp_path: Path, engine: str, name: str) -> None:
    """If the http_request part fails on the value's bytes, the value never reached the server
    (a binding or size problem); if it fails on the result, the guard let a form through."""
    value = big_values()[name]
    assert len(value.encode()) <= MIB
    policy = OperatorPolicy(allow_http_loopback=True, http_max_response_chars=8 * MIB)
    with (
        reflector() as (host, received),
        Session.local(tmp_path / "vault.db", guard=Guard(engine), policy=policy) as session,
    ):
        metadata = {"allowed_tools": ["echo"], "allowed_hosts": [host]}
        stored = session.call("put_secret", {"path": "certs/chain", "value": value, "metadata": metadata})
        assert stored["version"] == 1 and value[:64] not in json.dumps(stored)
        fetched = session.call("get_secret", {"path": "certs/chain"})
        assert value[:64] not in json.dumps(fetched)
        handle = fetched["handle"]
        assert session.reveal_unsafe(handle) == value

        def echo(data: str) -> dict[str, str]:
            return {
                "whole": data,
                "b64": base64.b64encode(data.encode()).decode(),
                "part": "... " + data[1000:5000] + " ...",
            }

        out = session.run_wrapped("echo", echo, {"data": "{{secret:" + handle + "}}"})
        shown = json.dumps(out)
        assert value[1000:1100] not in shown and value[-100:] not in normalize(shown)
        assert out["whole"].startswith("[secret:") and out["part"].startswith("... [secret:")
        sent = session.call(
            "http_request",
            {
                "url": f"http://{host}/echo",
                "method": "POST",
                "json_body": {"data": "{{secret:" + handle + "}}"},
            },
        )
        assert received == [json.dumps({"data": value}).encode()], "the server did not get the value"
        reflected = sent["body"]
        assert sent["status"] == 200 and "truncated" not in sent
        assert reflected.startswith('got: {"data": "[secret:') and "\nb64: " in reflected
        b64 = base64.b64encode(received[0]).decode()
        for at in (0, len(value) // 3, len(value) - 1000):
            assert value[at : at + 1000] not in reflected
            assert b64[at : at + 1000] not in reflected
        assert received[0][:3000].hex()[100:1100] not in reflected
        text = f"log line: {value} (end)"
        scrubbed = session.scrub(text)
        assert scrubbed.startswith("log line: [secret:") and scrubbed.endswith("] (end)")
        rotated = session.call("rotate_and_store", {"path": "certs/chain", "value": value[::-1]})
        assert rotated["version"] == 2 and value[::-1][:64] not in json.dumps(rotated)


def test_a_value_the_guard_cannot_learn_is_refused_before_it_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session.local(tmp_path / "vault.db", guard=Guard("aho")) as session:
        value = "a-value-the-engine-refuses-" + "q" * 40
        from oneclaw_tools.guard import tiers as tiers_module

        def refuse(*_: object) -> object:
            raise RuntimeError("engine says no")

        monkeypatch.setattr(tiers_module, "make_tier", refuse)
        for tool, args in (
            ("put_secret", {"path": "svc/new", "value": value}),
            ("rotate_and_store", {"path": "svc/new", "value": value}),
        ):
            with pytest.raises(ToolError) as err:
                session.call(tool, args)
            assert err.value.status in (400, 404) and value not in err.value.text
        with pytest.raises(ToolError) as err:
            session.call("put_secret", {"path": "svc/new", "value": value})
        assert err.value.status == 400 and "'value'" in err.value.text and "not stored" in err.value.text
        monkeypatch.undo()
        with pytest.raises(ToolError) as missing:
            session.call("get_secret", {"path": "svc/new"})
        assert missing.value.status == 404  # nothing was stored


def test_short_values_warn_the_operator_when_stored_and_fetched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    short = "pw-42"
    with Session.local(tmp_path / "vault.db") as session, caplog.at_level(logging.WARNING):
        session.call("put_secret", {"path": "svc/pin", "value": short})
        stored = [r for r in caplog.records if "shorter than 8" in r.getMessage()]
        assert stored, "no warning when a short value is stored"
        caplog.clear()
        session.call("get_secret", {"path": "svc/pin"})
        fetched = [r for r in caplog.records if "shorter than 8" in r.getMessage()]
        assert fetched and "svc/pin" in fetched[0].getMessage()
        assert all(short not in r.getMessage() for r in caplog.records)
        assert session.scrub(f"pin {short}.") == f"pin {session.guard.register(short)}."
        assert session.scrub(f"pin x{short}") == f"pin x{short}"  # whole words only


def test_no_handle_is_given_for_a_value_the_guard_cannot_learn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    value = "stored-before-the-engine-broke-" + "k" * 40
    with Session.local(tmp_path / "vault.db", guard=Guard("aho")) as session:
        session.call("put_secret", {"path": "svc/key", "value": value})
        session.guard = Guard("aho")  # a fresh guard: the value is unknown to it
        session.services.guard = session.guard
        from oneclaw_tools.guard import tiers as tiers_module

        def refuse(*_: object) -> object:
            raise RuntimeError("engine says no")

        monkeypatch.setattr(tiers_module, "make_tier", refuse)
        with pytest.raises(ToolError) as err:
            session.call("get_secret", {"path": "svc/key"})
        assert err.value.status == 400 and value not in err.value.text
        assert len(session.handles) == 0
