"""LangChain's standard tool tests (``langchain-tests``) for every tool of the toolkit.

One standard class per suite, parametrized over the toolkit's tools by an autouse fixture, so a
new spec in the core is covered without touching this file; a spec without an example below
fails ``test_every_tool_has_an_example`` (add one that matches its argument model).

``ToolsUnitTests`` checks names, input schemas and that the example matches the schema;
``ToolsIntegrationTests`` invokes each tool with and without a ``ToolCall``, sync and async,
on a real embedded vault (a failing call must still come back as a valid ``ToolMessage``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_oneclaw import OneClawToolkit
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from oneclaw_tools import Session

EXAMPLES: dict[str, dict[str, Any]] = {
    "list_secrets": {"prefix": "prod/"},
    "describe_secret": {"path": "prod/db/password"},
    "get_secret": {"path": "prod/db/password"},
    "put_secret": {"path": "prod/new/token", "value": "example-value-for-schema", "type": "api_key"},
    "delete_secret": {"path": "prod/old/token"},
    "rotate_and_store": {"path": "prod/db/password", "length": 24, "charset": "hex"},
    "get_env_bundle": {"path": "prod/app/env"},
    "create_vault": {"name": "team-vault", "description": "team secrets"},
    "list_vaults": {},
    "grant_access": {
        "vault_id": "v_example",
        "principal_type": "agent",
        "principal_id": "agent-1",
        "permissions": ["read"],
    },
    "share_secret": {
        "path": "prod/db/password",
        "expires_at": "2030-01-31T00:00:00Z",
        "email": "a@example.com",
    },
    "list_versions": {"path": "prod/db/password"},
    "request_secret": {"path": "prod/stripe/key", "reason": "the deploy needs the Stripe key"},
    "check_secret_request": {"request_id": "req_example"},
    "list_shares": {"prefix": "prod/"},
    "revoke_share": {"share_id": "shr_example"},
    # loopback, refused by the default policy (and port 9 discards): no test touches the network
    "http_request": {"method": "GET", "url": "http://127.0.0.1:9/status"},
}


def _tool_names() -> list[str]:
    return sorted(EXAMPLES)


@pytest.fixture(scope="module")
def toolkit_tools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, BaseTool]]:
    session = Session.local(tmp_path_factory.mktemp("std") / "vault.db")
    try:
        yield {tool.name: tool for tool in OneClawToolkit(session=session).get_tools()}
    finally:
        session.close()


def test_every_tool_has_an_example(toolkit_tools: dict[str, BaseTool]) -> None:
    """Every tool of the toolkit runs the standard tests below; give new tools an example."""
    assert set(toolkit_tools) <= set(EXAMPLES), sorted(set(toolkit_tools) - set(EXAMPLES))


class _PerTool:
    _tool: BaseTool

    @pytest.fixture(autouse=True, params=_tool_names())
    def _select_tool(self, request: pytest.FixtureRequest, toolkit_tools: dict[str, BaseTool]) -> None:
        if request.param not in toolkit_tools:
            pytest.fail(f"the toolkit has no tool {request.param!r} (policy filtered it?)")
        self._tool = toolkit_tools[request.param]

    @property
    def tool_constructor(self) -> BaseTool:
        return self._tool

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return dict(EXAMPLES[self._tool.name])


class TestOneClawToolsUnit(_PerTool, ToolsUnitTests):
    """The standard unit tests, once per tool."""


class TestOneClawToolsIntegration(_PerTool, ToolsIntegrationTests):
    """The standard invoke tests (sync, async, with and without a ToolCall), once per tool."""
