"""Destination bindings: one format, normalised the way httpx sends, validated when stored.

A failure here means a rule and a URL could disagree (a handle sent where the operator did not
allow it), or a mistaken binding was silently accepted. The format is documented in
:mod:`oneclaw_tools.bindings`; keep that docstring, this file and SECURITY.md in agreement.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oneclaw_tools import ToolError
from oneclaw_tools.bindings import (
    Binding,
    BindingError,
    Destination,
    format_binding,
    parse_binding,
)
from oneclaw_tools.errors import PermissionDenied
from oneclaw_tools.handles import HandleStore
from oneclaw_tools.models import SecretValue


def dest(url: str, method: str = "GET") -> Destination:
    return Destination.of(method, httpx.URL(url))


@pytest.mark.parametrize(
    ("rule", "canonical"),
    [
        ("api.github.com", "api.github.com"),
        ("API.GitHub.com.", "api.github.com"),
        ("api.github.com/user", "api.github.com/user"),
        ("POST api.stripe.com/v1/charges", "POST api.stripe.com/v1/charges"),
        ("post,get *.Example.com:8443 in query,header", "GET,POST *.example.com:8443 in header,query"),
        ("faß.de", "xn--fa-hia.de"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("[::1]:8080", "[::1]:8080"),
        ("127.0.0.1:8080/api", "127.0.0.1:8080/api"),
        (
            {"host": "api.stripe.com", "path": "/v1/charges", "methods": ["post"], "in": ["header"]},
            "POST api.stripe.com/v1/charges in header",
        ),
        ({"host": "api.example.com", "port": 8443}, "api.example.com:8443"),
    ],
)
def test_rules_normalise_to_one_canonical_form(rule: object, canonical: str) -> None:
    binding = parse_binding(rule)
    assert format_binding(binding) == canonical
    assert parse_binding(canonical) == binding


@pytest.mark.parametrize(
    ("rule", "names"),
    [
        ("https://api.example.com", "is a URL"),
        ("http://api.example.com/v1", "write 'api.example.com/v1'"),
        ({"allowed_host": "api.example.com"}, "unknown binding key 'allowed_host'"),
        ({"hosts": "api.example.com"}, "did you mean 'host'"),
        ({"host": "https://api.example.com"}, "give the host name alone"),
        ("api.example.com:0", "port must be a number"),
        ("*.com", "at least two labels"),
        ("api.*.com", "only as a leading"),
        ("FETCH api.example.com", "methods may be only"),
        ("api.example.com in cookie", "in may be only"),
        ("api.example.com/../admin", "no '.' or '..'"),
        ("", "empty"),
        (42, "a binding is a string"),
    ],
)
def test_mistakes_are_refused_naming_the_mistake(rule: object, names: str) -> None:
    with pytest.raises(BindingError) as err:
        parse_binding(rule)
    assert names in str(err.value)


def test_idna_is_one_way_fass_is_not_fass() -> None:
    """faß.de and fass.de are different registrable names (IDNA 2008, as httpx sends them)."""
    binding = parse_binding("faß.de")
    assert binding.allows(dest("https://faß.de/x"))
    assert binding.allows(dest("https://xn--fa-hia.de/x"))
    assert not binding.allows(dest("https://fass.de/x"))
    assert not parse_binding("fass.de").allows(dest("https://faß.de/x"))


@pytest.mark.parametrize(
    ("rule", "url", "method", "place", "ok"),
    [
        ("api.github.com/user", "https://api.github.com/user", "GET", None, True),
        ("api.github.com/user", "https://api.github.com/user/repos", "GET", None, True),
        ("api.github.com/user", "https://api.github.com/users", "GET", None, False),
        ("api.github.com/user", "https://api.github.com/", "GET", None, False),
        ("api.github.com/user", "https://api.github.com/user/../admin", "GET", None, False),
        ("api.github.com/user", "https://api.github.com/user/%2e%2e/admin", "GET", None, False),
        ("api.github.com/user", "https://api.github.com/user%2f..%2fadmin", "GET", None, False),
        ("POST api.stripe.com/v1/charges", "https://api.stripe.com/v1/charges", "POST", None, True),
        ("POST api.stripe.com/v1/charges", "https://api.stripe.com/v1/charges", "GET", None, False),
        ("api.example.com in header", "https://api.example.com/", "GET", "header", True),
        ("api.example.com in header", "https://api.example.com/", "GET", "query", False),
        ("api.example.com in header", "https://api.example.com/", "GET", "body", False),
        ("api.example.com", "https://api.example.com:8443/", "GET", None, False),
        ("api.example.com:8443", "https://api.example.com:8443/", "GET", None, True),
        ("api.example.com", "https://API.EXAMPLE.COM./", "GET", None, True),
        ("*.example.com", "https://a.b.example.com/", "GET", None, True),
        ("*.example.com", "https://example.com/", "GET", None, False),
        ("*.example.com", "https://evilexample.com/", "GET", None, False),
        ("api.example.com", "https://\u0430pi.example.com/", "GET", None, False),
    ],
)
def test_destination_matching(rule: str, url: str, method: str, place: str | None, ok: bool) -> None:
    assert parse_binding(rule).allows(dest(url, method), place) is ok


def test_a_handle_refuses_a_placeholder_outside_its_places() -> None:
    store = HandleStore()
    handle = store.issue(
        SecretValue("v" * 20),
        vault_id="v",
        path="p",
        version=1,
        type="api_key",
        allowed_hosts=["POST api.stripe.com/v1/charges in header"],
    )
    target = dest("https://api.stripe.com/v1/charges", "POST")
    with pytest.raises(PermissionDenied):
        store.consume(handle.id, tool="http_request", destination=target, place="query")
    with pytest.raises(PermissionDenied):
        store.consume(handle.id, tool="http_request", destination=dest("https://api.stripe.com/v1/x", "POST"))
    assert store.consume(handle.id, tool="http_request", destination=target, place="header") is handle
    assert handle.uses == 1
    store.release(handle.id)
    assert handle.uses == 0


def test_stored_bindings_are_validated_through_the_tool(session) -> None:  # type: ignore[no-untyped-def]
    """A hijacked or merely mistaken model gets a 400 naming the mistake, and nothing is stored."""
    for metadata, names in [
        ({"allowed_hosts": ["https://api.example.com"]}, "is a URL"),
        ({"allowed_host": ["api.example.com"]}, "did you mean 'allowed_hosts'"),
        ({"allowed_hosts": "api.example.com"}, "must be a list"),
        ({"allowed_hosts": [{"host": "api.example.com", "methods": ["STEAL"]}]}, "methods may be only"),
    ]:
        with pytest.raises(ToolError) as err:
            session.call("put_secret", {"path": "svc/key", "value": "v" * 24, "metadata": metadata})
        assert err.value.status == 400
        assert names in err.value.text
    assert session.call("list_secrets", {})["count"] == 0
    ok = session.call(
        "put_secret",
        {
            "path": "svc/key",
            "value": "v" * 24,
            "metadata": {"allowed_hosts": ["POST api.stripe.com/v1/charges"]},
        },
    )
    assert ok["allowed_hosts"] == ["POST api.stripe.com/v1/charges"]


def test_binding_is_hashable_and_canonical_dedupes() -> None:
    rules = {
        parse_binding("api.example.com"),
        parse_binding("API.example.com."),
        parse_binding({"host": "api.example.com"}),
    }
    assert rules == {Binding("api.example.com")}


def test_object_bindings_in_metadata_and_policy_reach_the_handle(make_session) -> None:  # type: ignore[no-untyped-def]
    """Bindings written as objects (metadata or the operator's host_bindings) are canonical on
    the handle, and what the model is shown names them in text form."""
    from oneclaw_tools import OperatorPolicy

    session = make_session(
        OperatorPolicy(
            host_bindings={"svc/**": [{"host": "api.github.com", "path": "/user", "in": ["header"]}]}
        )
    )
    session.call(
        "put_secret",
        {
            "path": "svc/key",
            "value": "v" * 24,
            "metadata": {
                "allowed_hosts": [{"host": "api.stripe.com", "methods": ["POST"], "path": "/v1/charges"}]
            },
        },
    )
    out = session.call("get_secret", {"path": "svc/key"})
    assert out["allowed_hosts"] == ["POST api.stripe.com/v1/charges", "api.github.com/user in header"]
    described = session.call("describe_secret", {"path": "svc/key"})
    assert described["allowed_hosts"] == out["allowed_hosts"]


_labels = st.text(st.sampled_from("abcxyz019-ßüа"), min_size=1, max_size=8).filter(
    lambda s: not s.startswith("-") and not s.endswith("-")
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_labels, min_size=2, max_size=4),
    st.sampled_from(["", ":8443"]),
    st.sampled_from(["", "/v1", "/a/b"]),
)
def test_a_rule_and_the_url_it_names_agree_after_normalisation(
    labels: list[str], port: str, path: str
) -> None:
    """Whatever the spelling, a rule's canonical form reads back to itself and allows exactly the
    URL written with the same host (as httpx sends it), never a sibling path."""
    host = ".".join(labels)
    try:
        binding = parse_binding(host + port + path)
        url = httpx.URL(f"https://{host}{port}{path or '/'}")
    except (BindingError, httpx.InvalidURL, UnicodeError, ValueError):
        return  # not a valid host name for httpx either: nothing to compare
    assert parse_binding(format_binding(binding)) == binding
    assert binding.allows(dest(str(url)))
    if path:
        assert not binding.allows(dest(f"https://{host}{port}{path}x"))
