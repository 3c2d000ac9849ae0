"""The session: handles instead of values, safe errors, the operator policy, the audit.

If one of these fails, a promise of DESIGN.md is broken: read the assertion message, then the
matching section of ``oneclaw_tools/session.py``.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from oneclaw_tools import OperatorPolicy, Session, ToolError
from oneclaw_tools.policy import ApprovalRequest

VALUE = "sk_test_CANARYsession_0123456789abcdef"


def put(session: Session, path: str = "prod/api_key", value: str = VALUE, **kw: object) -> None:
    session.backend.put_secret(session.vault_for(None), path, value, **kw)  # type: ignore[arg-type]


def test_get_secret_returns_a_handle_and_never_the_value(session: Session) -> None:
    put(session)
    out = session.call("get_secret", {"path": "prod/api_key"})
    assert out["handle"].startswith("h_") and len(out["handle"]) >= 20
    assert out["placeholder"] == "{{secret:" + out["handle"] + "}}"
    assert VALUE not in json.dumps(out)
    assert out["version"] == 1 and out["type"] == "generic"
    assert session.reveal_unsafe(out["handle"]) == VALUE


def test_handles_are_unguessable_and_scoped_to_the_session(make_session) -> None:  # type: ignore[no-untyped-def]
    a, b = make_session(), make_session()
    put(a)
    h1 = a.call("get_secret", {"path": "prod/api_key"})["handle"]
    h2 = a.call("get_secret", {"path": "prod/api_key"})["handle"]
    assert h1 != h2
    with pytest.raises(Exception, match="no such handle"):
        b.reveal_unsafe(h1)


def test_put_secret_registers_the_value_with_the_guard_at_once(session: Session) -> None:
    out = session.call("put_secret", {"path": "svc/token", "value": VALUE, "type": "api_key"})
    assert out["version"] == 1 and VALUE not in json.dumps(out)
    assert VALUE not in session.scrub(f"the token is {VALUE}")
    out2 = session.call("put_secret", {"path": "svc/token", "value": VALUE + "x"})
    assert out2["version"] == 2


def test_every_tool_error_is_a_safe_tool_error(session: Session) -> None:
    with pytest.raises(ToolError) as err:
        session.call("get_secret", {"path": "missing/thing"})
    assert err.value.status == 404 and err.value.code == "not_found"
    assert "list_secrets" in err.value.text and str(err.value) == err.value.text
    assert err.value.__context__ is None and err.value.__cause__ is None


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ({"path": "../etc/passwd"}, "path"),
        ({"path": ""}, "path"),
        ({"path": "a/b", "version": "x"}, "version"),
        ({"path": "a/b", "version": 0}, "version"),
        ({"path": "a/b", "surprise": 1}, "surprise"),
        ({}, "path"),
    ],
)
def test_bad_arguments_name_the_argument(session: Session, args: dict[str, object], argument: str) -> None:
    with pytest.raises(ToolError) as err:
        session.call("get_secret", args)
    assert err.value.status == 400
    assert f"'{argument}'" in err.value.text


def test_a_value_in_a_bad_argument_is_never_echoed(session: Session) -> None:
    put(session)
    session.call("get_secret", {"path": "prod/api_key"})
    for args in ({"path": VALUE}, {"prefix": VALUE}, {"path": "a", "vault_id": VALUE}):
        tool = "list_secrets" if "prefix" in args else "describe_secret"
        with pytest.raises(ToolError) as err:
            session.call(tool, args)
        assert VALUE not in err.value.text and VALUE not in repr(err.value)


def test_an_unexpected_crash_shows_only_that_the_tool_failed(session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def explode(*a: object, **k: object) -> None:
        raise RuntimeError(f"db said {VALUE}")

    monkeypatch.setattr(session.backend, "list_secrets", explode)
    with pytest.raises(ToolError) as err:
        session.call("list_secrets", {})
    assert (
        err.value.text
        == "Error (tool_failed): tool list_secrets failed. Do not retry with the same arguments; tell the user."
    )


def test_unknown_tool(session: Session) -> None:
    with pytest.raises(ToolError, match="no such tool"):
        session.call("drop_database", {})


def test_policy_limits_tools_and_read_only_drops_writes(make_session) -> None:  # type: ignore[no-untyped-def]
    s = make_session(OperatorPolicy(tools=frozenset({"list_secrets", "get_secret", "put_secret"})))
    assert [t.name for t in s.specs] == ["list_secrets", "get_secret", "put_secret"]
    ro = make_session(OperatorPolicy(read_only=True))
    names = {t.name for t in ro.specs}
    assert "put_secret" not in names and "delete_secret" not in names and "get_secret" in names
    with pytest.raises(ToolError, match="no such tool"):
        ro.call("put_secret", {"path": "a", "value": "b"})


def test_policy_paths_are_enforced_and_filter_listing(make_session) -> None:  # type: ignore[no-untyped-def]
    s = make_session(OperatorPolicy(paths=("dev/**",)))
    put(s, "dev/a")
    put(s, "prod/b")
    assert [x["path"] for x in s.call("list_secrets", {})["secrets"]] == ["dev/a"]
    with pytest.raises(ToolError) as err:
        s.call("get_secret", {"path": "prod/b"})
    assert err.value.status == 403
    with pytest.raises(ToolError):
        s.call("put_secret", {"path": "prod/c", "value": "x" * 20})
    assert [m.path for m in s.backend.list_secrets(s.vault_for(None))] == ["dev/a", "prod/b"]


def test_no_tool_argument_can_widen_the_policy(make_session) -> None:  # type: ignore[no-untyped-def]
    s = make_session(OperatorPolicy(paths=("dev/**",), read_only=True))
    with pytest.raises(ToolError):
        s.call("get_secret", {"path": "dev/a", "policy": {"read_only": False}})
    with pytest.raises(ToolError):
        s.call("list_secrets", {"paths": ["**"]})
    assert s.policy.read_only and s.policy.paths == ("dev/**",)


def test_approval_callback_sees_no_value_and_can_deny(make_session) -> None:  # type: ignore[no-untyped-def]
    seen: list[ApprovalRequest] = []
    answer = {"ok": False}

    def approver(req: ApprovalRequest) -> bool:
        seen.append(req)
        return answer["ok"]

    s = make_session(OperatorPolicy(require_approval=frozenset({"put_secret"}), approver=approver))
    with pytest.raises(ToolError) as err:
        s.call("put_secret", {"path": "a/b", "value": VALUE})
    assert err.value.status == 403 and "denied" in err.value.text
    assert seen[0].tool == "put_secret" and "a/b" in seen[0].summary
    assert VALUE not in repr(seen[0]) and "value" not in seen[0].arguments
    assert s.backend.list_secrets(s.vault_for(None)) == []
    answer["ok"] = True
    assert s.call("put_secret", {"path": "a/b", "value": VALUE})["version"] == 1


def test_approval_without_an_approver_is_a_clear_error(make_session) -> None:  # type: ignore[no-untyped-def]
    s = make_session(OperatorPolicy(require_approval=frozenset({"delete_secret"})))
    put(s, "a/b")
    with pytest.raises(ToolError) as err:
        s.call("delete_secret", {"path": "a/b"})
    assert err.value.code == "approval_required"


def test_handles_expire_and_run_out(make_session, clock) -> None:  # type: ignore[no-untyped-def]
    s = make_session(
        OperatorPolicy(
            handle_ttl=timedelta(minutes=5), handle_max_uses=1, tool_bindings={"prod/**": ("echo",)}
        ),
        clock=clock,
    )
    put(s)
    h = s.call("get_secret", {"path": "prod/api_key"})["handle"]
    assert (
        s.run_wrapped("echo", lambda text: "ok " + str(len(text)), {"text": "{{secret:" + h + "}}"})
        == "ok 38"
    )
    with pytest.raises(ToolError, match="used up"):
        s.run_wrapped("echo", lambda text: text, {"text": "{{secret:" + h + "}}"})
    h2 = s.call("get_secret", {"path": "prod/api_key"})["handle"]
    clock.advance(minutes=6)
    with pytest.raises(ToolError, match="expired"):
        s.run_wrapped("echo", lambda text: text, {"text": "{{secret:" + h2 + "}}"})


def test_wrapped_tool_needs_the_handle_to_allow_it(session: Session) -> None:
    put(session, metadata={"allowed_tools": ["deploy"]})
    h = session.call("get_secret", {"path": "prod/api_key"})["handle"]
    out = session.run_wrapped("deploy", lambda key: {"echo": key}, {"key": "{{secret:" + h + "}}"})
    assert VALUE not in json.dumps(out) and "[secret:" in out["echo"]
    with pytest.raises(ToolError) as err:
        session.run_wrapped("other_tool", lambda key: key, {"key": "{{secret:" + h + "}}"})
    assert err.value.status == 403 and "other_tool" in err.value.text
    denied = [e for e in session.backend.audit_events(50) if e.outcome == "denied"]
    assert any(e.action == "handle_refused" for e in denied)


def test_exfiltration_guard_refuses_known_values_in_arguments(session: Session) -> None:
    put(session, metadata={"allowed_tools": ["post"]})
    session.call("get_secret", {"path": "prod/api_key"})
    calls: list[object] = []
    with pytest.raises(ToolError) as err:
        session.run_wrapped("post", lambda body: calls.append(body), {"body": f"key={VALUE}"})
    assert err.value.status == 403 and calls == []
    with pytest.raises(ToolError):
        session.call("http_request", {"url": "https://api.example.com/", "headers": {"X": VALUE}})
    assert any(e.action == "exfiltration_blocked" for e in session.backend.audit_events(50))


def test_wrapped_tool_exception_shows_only_its_type(session: Session) -> None:
    put(session, metadata={"allowed_tools": ["boom"]})
    h = session.call("get_secret", {"path": "prod/api_key"})["handle"]

    def boom(text: str) -> str:
        raise ValueError(f"rejected {text}")

    with pytest.raises(ToolError) as err:
        session.run_wrapped("boom", boom, {"text": "{{secret:" + h + "}}"})
    assert err.value.text == "Error (tool_failed): tool boom failed (ValueError)."
    assert err.value.__context__ is None


async def test_async_paths(session: Session) -> None:
    put(session, metadata={"allowed_tools": ["echo"]})
    out = await session.acall("get_secret", {"path": "prod/api_key"})
    text = await session.acall_text("describe_secret", {"path": "prod/api_key"})
    assert json.loads(text)["path"] == "prod/api_key"

    async def echo(text: str) -> str:
        return text

    res = await session.arun_wrapped("echo", echo, {"text": "{{secret:" + out["handle"] + "}}"})
    assert VALUE not in res
    with pytest.raises(ToolError):
        await session.acall("get_secret", {"path": "nope/nope"})


def test_logs_are_scrubbed_wherever_they_come_from(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    put(session)
    session.call("get_secret", {"path": "prod/api_key"})
    caplog.set_level(logging.DEBUG)
    other = logging.getLogger("some.third.party")
    other.info("token is %s", VALUE)
    try:
        raise RuntimeError(VALUE)
    except RuntimeError:
        other.exception("failed")
    assert VALUE not in caplog.text
    assert all(VALUE not in r.getMessage() for r in caplog.records)


def test_audit_records_tool_and_principal_never_values(session: Session) -> None:
    session.call("put_secret", {"path": "a/b", "value": VALUE})
    session.call("get_secret", {"path": "a/b"})
    events = session.backend.audit_events(100)
    assert any(e.tool == "get_secret" for e in events)
    assert VALUE not in repr(events)


def test_env_bundle_gives_one_handle_per_variable(session: Session) -> None:
    put(
        session,
        "app/env",
        "DB_URL=postgres://u:CANARYpw123456789@db/x\n# c\nAPI_KEY=CANARYkey0987654321",
        type="env_bundle",
    )
    out = session.call("get_env_bundle", {"path": "app/env"})
    keys = {v["key"]: v["handle"] for v in out["variables"]}
    assert set(keys) == {"DB_URL", "API_KEY"}
    assert "CANARY" not in json.dumps(out).replace("CANA…", "")
    assert session.reveal_unsafe(keys["API_KEY"]) == "CANARYkey0987654321"


def test_repr_shows_no_value(session: Session) -> None:
    put(session)
    out = session.call("get_secret", {"path": "prod/api_key"})
    handle = session.handles.get(out["handle"])
    for obj in (session, session.handles, handle, session.guard, session.backend):
        assert VALUE not in repr(obj)


@pytest.mark.parametrize(
    "text",
    [
        "[secret:v_043331d7]",
        "[secret:h_KSwjbYQwiarNgdiGVv9MBg]",
        "{{secret:h_KSwjbYQwiarNgdiGVv9MBg}}",
        "Authorization: Bearer {{secret:h_KSwjbYQwiarNgdiGVv9MBg}}",
        "secret: [secret:h_abc12345678]",
    ],
)
def test_masks_and_placeholders_are_never_masked_again(session: Session, text: str) -> None:
    assert session.scrub(text) == text
    stream = session.guard.stream()
    assert stream.feed(text) + stream.flush() == text


def test_capture_quarantines_detected_credentials_and_gives_a_handle(make_session) -> None:  # type: ignore[no-untyped-def]
    s = make_session(OperatorPolicy(capture=True))
    leaked = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    out = s.run_wrapped("shell", lambda cmd: f"config dump: GITHUB_TOKEN={leaked}\nok", {"cmd": "cat .env"})
    assert leaked not in out
    handle = out.split("[secret:")[1].split("]")[0]
    assert handle.startswith("h_")
    assert s.reveal_unsafe(handle) == leaked
    paths = [m.path for m in s.backend.list_secrets(s.vault_for(None), "quarantine/")]
    assert len(paths) == 1 and paths[0].startswith("quarantine/github")
    assert any(e.action == "captured" for e in s.backend.audit_events(20))
    # without capture the credential is masked by pattern, not stored
    plain = make_session()
    out2 = plain.run_wrapped("shell", lambda cmd: f"GITHUB_TOKEN={leaked}", {"cmd": "x"})
    assert leaked not in out2 and "[secret:pattern:" in out2


def test_containers_whose_constructor_differs_are_scrubbed_as_plain_ones(session: Session) -> None:
    session.register_value(VALUE)

    class Attributed(dict[str, object]):
        def __init__(self, pairs: object, extra: object) -> None:  # not dict's signature
            super().__init__(pairs)  # type: ignore[call-overload]

    class Stack(list[object]):
        def __init__(self, a: object, b: object) -> None:
            super().__init__()

    out = session.scrub(Attributed([("k", VALUE)], None))
    assert out == {"k": session.scrub(VALUE)} and VALUE not in repr(out)
    seq = Stack(1, 2)
    seq.append(VALUE)
    assert session.scrub(seq) == [session.scrub(VALUE)]


def test_a_share_link_is_masked_and_the_share_id_is_shown(make_session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A share link is a credential, and so is each part of it that opens the share (the local
    vault's token); the share id is not, so the model sees it and can revoke the share."""
    session = make_session(OperatorPolicy(approver=lambda request: True))
    made = []
    create = session.backend.create_share

    def keep(*args, **kwargs):  # type: ignore[no-untyped-def]
        share = create(*args, **kwargs)
        made.append(share)
        return share

    monkeypatch.setattr(session.backend, "create_share", keep)
    put(session)
    expiry = "2099-01-01T00:00:00Z"
    out = session.call(
        "share_secret", {"path": "prod/api_key", "recipient_type": "anyone_with_link", "expires_at": expiry}
    )
    link = made[0].share_url.reveal_unsafe()
    share_id, token = link.removeprefix("oneclaw://share/").split("#")
    assert out["share_id"] == share_id and out["state"] == "active"
    assert token not in repr(out) and link not in repr(out)
    echoed = f"GET /v1/share/{share_id} X-Share-Token: {token} url={link}"
    scrubbed = session.guard.scrub(echoed)
    assert share_id in scrubbed and token not in scrubbed and link not in scrubbed and "[secret:" in scrubbed
    assert f"oneclaw://share/{share_id}#[secret:" in session.guard.scrub(link)  # what is left opens nothing


@pytest.mark.parametrize(
    ("recipient", "id_opens_it"), [("anyone_with_link", True), ("external_email", False)]
)
def test_a_share_id_that_alone_opens_the_share_stays_masked(
    make_session, monkeypatch: pytest.MonkeyPatch, recipient: str, id_opens_it: bool
) -> None:  # type: ignore[no-untyped-def]
    """1Claw's link is ``https://…/v1/share/<id>`` and opens an ``anyone_with_link`` share without
    authentication: there the id is the credential. A share to a person needs their login."""
    import dataclasses

    session = make_session(OperatorPolicy(approver=lambda request: True))
    from oneclaw_tools.models import SecretValue

    create = session.backend.create_share

    def oneclaw_style(*args, **kwargs):  # type: ignore[no-untyped-def]
        share = create(*args, **kwargs)
        url = SecretValue(f"https://api.1claw.xyz/v1/share/{share.id}")
        return dataclasses.replace(share, share_url=url)

    monkeypatch.setattr(session.backend, "create_share", oneclaw_style)
    put(session)
    args = {"path": "prod/api_key", "recipient_type": recipient, "expires_at": "2099-01-01T00:00:00Z"}
    if recipient == "external_email":
        args["email"] = "ops@example.com"
    out = session.call("share_secret", args)
    shares = session.call("list_shares", {})["shares"]
    real_id = shares[0]["id"] if not id_opens_it else None
    if id_opens_it:
        assert "[secret:" in out["share_id"] and all("[secret:" in s["id"] for s in shares)
    else:
        assert out["share_id"] == real_id and "[secret:" not in repr(out)
