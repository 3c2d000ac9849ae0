"""Every surface shows a model the same tools: names, descriptions and argument JSON schemas.

The reference is the core (``spec.name``, ``spec.description``, ``spec.json_schema()``). Each
adapter's ``tool_surface(session)`` extracts what its framework really sends to a model (LangChain
``convert_to_openai_tool``, LlamaIndex ``metadata.to_openai_tool()``, CrewAI
``convert_tools_to_openai_schema``, MCP ``list_tools`` over a real client session). No surface is
optional: the workspace installs every adapter, and a missing one fails here.

Normalizations, applied to both sides, each only where a framework necessarily rewrites the
schema (anything else is drift and fails):

* ``titles`` (LangChain, LlamaIndex, CrewAI): the ``title`` keywords (pydantic's class and field
  names) are dropped by the OpenAI function converters. They are annotations with no effect on
  validation. Property *names* called ``title`` are kept.
* ``open_top_level`` (LangChain, LlamaIndex): the non-strict OpenAI converters drop the top-level
  ``"additionalProperties": false``. The core still rejects unknown arguments on every surface.
* ``strict_mode`` (CrewAI): CrewAI always sends ``"strict": true`` tools, so (a) ``required``
  lists every property of every object, and (b) a free-form map (an object without
  ``properties``, e.g. ``http_request.headers``, ``put_secret.metadata``) becomes a closed empty
  object: strict mode cannot express maps. That is why ``http_request.headers`` and ``query``
  also accept a list of ``{name, value}`` pairs, which strict mode keeps; ``put_secret.metadata``
  stays a map, so a strict-mode model cannot set metadata through CrewAI's function calling.
* ``inline_refs`` (LangChain, CrewAI): their converters replace each ``$ref`` to ``#/$defs/X``
  with the definition itself and drop ``$defs`` (e.g. ``http_request``'s ``NameValue`` pairs).
  The same schema, written out.
* MCP: none. ``list_tools`` carries ``spec.json_schema()`` unchanged.

When this fails: the message names the surface, the tool and the first differing JSON path. If
a framework changed its converter, add a documented normalization here; if an adapter changed
a tool, fix the adapter (adapters are loops over the specs and must not edit tools).
"""

from __future__ import annotations

import copy
import importlib
import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from oneclaw_tools import Session

Schema = dict[str, Any]
Normalizer = Callable[[Schema], Schema]

#: surface -> (module exposing ``tool_surface``, normalizations)
SURFACES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "core": (None, ()),
    "langchain": ("langchain_oneclaw", ("inline_refs", "titles", "open_top_level")),
    "llamaindex": ("llama_index.tools.oneclaw", ("titles", "open_top_level")),
    "crewai": ("crewai_oneclaw", ("inline_refs", "titles", "strict_mode")),
    "mcp": ("oneclaw_mcp", ()),
}

_SCHEMA_LISTS = ("anyOf", "allOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_ONES = ("items", "additionalProperties", "not", "contains")


def _walk(schema: Any, visit: Callable[[Schema], Schema]) -> Any:
    """Apply ``visit`` to every sub-schema (never to a mapping of property names)."""
    if not isinstance(schema, dict):
        return schema
    out = visit(dict(schema))
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_walk(s, visit) for s in out[key]]
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: _walk(s, visit) for name, s in out[key].items()}
    for key in _SCHEMA_ONES:
        if isinstance(out.get(key), dict):
            out[key] = _walk(out[key], visit)
    return out


def titles(schema: Schema) -> Schema:
    def visit(node: Schema) -> Schema:
        node.pop("title", None)
        return node

    result: Schema = _walk(schema, visit)
    return result


def open_top_level(schema: Schema) -> Schema:
    out = dict(schema)
    if out.get("additionalProperties") is False:
        del out["additionalProperties"]
    return out


def strict_mode(schema: Schema) -> Schema:
    def visit(node: Schema) -> Schema:
        if node.get("type") == "object":
            if "properties" not in node:  # a free-form map: strict mode closes it
                node["properties"] = {}
                node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        return node

    result: Schema = _walk(schema, visit)
    return result


def inline_refs(schema: Schema) -> Schema:
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                merged = {**copy.deepcopy(defs[ref.removeprefix("#/$defs/")]), **node}
                del merged["$ref"]
                return resolve(merged)
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    result: Schema = resolve(schema)
    return result


NORMALIZERS: dict[str, Normalizer] = {
    "inline_refs": inline_refs,
    "titles": titles,
    "open_top_level": open_top_level,
    "strict_mode": strict_mode,
}


def _normalize(schema: Schema, names: tuple[str, ...]) -> Schema:
    out = copy.deepcopy(schema)
    for name in names:
        out = NORMALIZERS[name](out)
    return out


def _first_difference(actual: Any, expected: Any, path: str = "") -> str | None:
    if isinstance(actual, dict) and isinstance(expected, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            if key not in actual:
                return f"{path}/{key}: missing (expected {json.dumps(expected[key])[:120]})"
            if key not in expected:
                return f"{path}/{key}: unexpected {json.dumps(actual[key])[:120]}"
            found = _first_difference(actual[key], expected[key], f"{path}/{key}")
            if found:
                return found
        return None
    if actual != expected:
        return f"{path or '/'}: {json.dumps(actual)[:120]} != {json.dumps(expected)[:120]}"
    return None


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    path: Path = tmp_path_factory.mktemp("surfaces") / "vault.db"
    with Session.local(path) as session:
        yield session


def _core_surface(session: Session) -> list[dict[str, Any]]:
    return [
        {"name": spec.name, "description": spec.description, "parameters": spec.json_schema()}
        for spec in session.specs
    ]


@pytest.fixture(scope="module")
def framework_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """CrewAI offline and writing only under a temporary folder, as in its own tests."""
    from crewai_oneclaw.testing.offline import offline_env, use_env

    with use_env(offline_env(tmp_path_factory.mktemp("crewai"))), warnings.catch_warnings():
        # crewai's lazy `crewai.rag` import raises an ImportWarning (an error under
        # filterwarnings=error); the CrewAI tests' conftest ignores it the same way.
        warnings.simplefilter("ignore", ImportWarning)
        importlib.import_module("crewai")
        yield


def _surface(name: str, session: Session) -> list[dict[str, Any]]:
    module, _ = SURFACES[name]
    if module is None:
        return _core_surface(session)
    tool_surface: Callable[[Session], list[dict[str, Any]]] = importlib.import_module(module).tool_surface
    return tool_surface(session)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_surface_matches_the_core(surface: str, session: Session, framework_env: None) -> None:
    _, normalizations = SURFACES[surface]
    core = _core_surface(session)
    shown = _surface(surface, session)

    assert [t["name"] for t in shown] == [t["name"] for t in core], f"{surface}: tool names or order differ"
    for got, want in zip(shown, core, strict=True):
        assert got["description"] == want["description"], f"{surface}.{want['name']}: description differs"
        difference = _first_difference(
            _normalize(got["parameters"], normalizations), _normalize(want["parameters"], normalizations)
        )
        assert difference is None, f"{surface}.{want['name']}: schema differs at {difference}"


def test_mcp_surface_is_the_core_without_normalization(session: Session) -> None:
    assert _surface("mcp", session) == _core_surface(session)


def test_normalizations_keep_property_names_and_close_maps() -> None:
    """The normalizers themselves: a property named ``title`` survives; a map is closed."""
    schema: Schema = {
        "title": "Args",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {"title": "Title", "type": "string"},
            "tags": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["title"],
    }
    assert titles(schema)["properties"]["title"] == {"type": "string"}
    assert "additionalProperties" not in open_top_level(schema)
    strict = strict_mode(schema)
    assert strict["required"] == ["title", "tags"]
    assert strict["properties"]["tags"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {},
        "required": [],
    }


@pytest.mark.parametrize("surface", [name for name in SURFACES if name != "core"])
def test_a_prefix_names_every_tool_the_same_on_every_surface(
    surface: str, session: Session, framework_env: None
) -> None:
    """``prefix="oneclaw_"`` (``--tool-prefix`` for MCP) gives every surface the same names, in order;
    descriptions and schemas do not change."""
    module, _ = SURFACES[surface]
    assert module is not None
    tool_surface: Callable[..., list[dict[str, Any]]] = importlib.import_module(module).tool_surface
    plain = tool_surface(session)
    shown = tool_surface(session, prefix="oneclaw_")
    assert [t["name"] for t in shown] == ["oneclaw_" + spec.name for spec in session.specs]
    assert [(t["description"], t["parameters"]) for t in shown] == [
        (t["description"], t["parameters"]) for t in plain
    ]


def test_a_bad_prefix_is_refused_with_the_rule() -> None:
    from oneclaw_tools.naming import check_prefix

    for bad in ("1claw_", "one claw", "x" * 33, "oneclaw.", "é_"):
        with pytest.raises(ValueError, match="must start with a letter"):
            check_prefix(bad)
    assert check_prefix("oneclaw_") == "oneclaw_" and check_prefix("") == ""


def test_every_adapter_builds_from_a_session_the_environment_or_code(
    session: Session, framework_env: None
) -> None:
    """The session positionally (as each framework's users write it), ``from_env()`` and an explicit
    remote constructor (``api_key=``, ``base_url=``, ``vault_id=``) on every adapter. Nothing is
    sent: the remote backend connects on first use (127.0.0.1 here anyway)."""
    from crewai_oneclaw import OneClawCrewTools
    from langchain_oneclaw import OneClawToolkit
    from llama_index.tools.oneclaw import OneClawToolSpec

    key = "ocv_" + "k" * 40
    env = {"ONECLAW_AGENT_API_KEY": key, "ONECLAW_BASE_URL": "http://127.0.0.1:9", "ONECLAW_VAULT_ID": "v1"}
    built = [
        (OneClawToolkit(session).session, OneClawToolkit(session).get_tools()[0].name),
        (OneClawToolSpec(session).session, OneClawToolSpec(session).to_tool_list()[0].metadata.name),
        (OneClawCrewTools(session).session, OneClawCrewTools(session).tools()[0].name),
    ]
    assert all(s is session and name == session.specs[0].name for s, name in built)
    for kind in (OneClawToolkit, OneClawToolSpec, OneClawCrewTools):
        from_env = kind.from_env(env=env).session  # type: ignore[attr-defined]
        remote = kind.remote(api_key=key, base_url="http://127.0.0.1:9", vault_id="v1").session  # type: ignore[attr-defined]
        for made in (from_env, remote):
            assert made.backend.kind == "oneclaw" and made.vault_for(None) == "v1", kind
            assert key not in str(made.scrub(f"the key is {key}")), "the agent key is known to the guard"
            made.close()
    mcp_session = Session.remote(api_key=key, base_url="http://127.0.0.1:9", vault_id="v1")
    assert mcp_session.backend.kind == "oneclaw"  # what an MCP server's session factory returns
    mcp_session.close()


#: each framework adapter's toolkit class: (module, class name)
TOOLKITS = {
    "langchain": ("langchain_oneclaw", "OneClawToolkit"),
    "llamaindex": ("llama_index.tools.oneclaw", "OneClawToolSpec"),
    "crewai": ("crewai_oneclaw", "OneClawCrewTools"),
}


@pytest.mark.parametrize("surface", list(TOOLKITS))
def test_every_toolkit_is_built_from_configuration_the_same_way(
    surface: str, tmp_path: Path, framework_env: None
) -> None:
    """``from_env``, ``remote`` and ``local`` are one implementation (``SessionConstructors``) with one
    signature on every framework; a bad prefix is refused before any vault is opened or created."""
    import inspect

    from oneclaw_tools.toolkit import SessionConstructors

    module, name = TOOLKITS[surface]
    toolkit_class = getattr(importlib.import_module(module), name)
    for constructor in ("from_env", "remote", "local"):
        assert inspect.signature(getattr(toolkit_class, constructor)) == inspect.signature(
            getattr(SessionConstructors, constructor)
        ), f"{name}.{constructor}"
    toolkit = toolkit_class.local(tmp_path / "vault.db", prefix="oneclaw_")
    try:
        assert toolkit.session.backend.path == tmp_path / "vault.db"
    finally:
        toolkit.session.close()
    with pytest.raises(ValueError, match="must start with a letter"):
        toolkit_class.local(tmp_path / "other.db", prefix="1claw_")
    assert not (tmp_path / "other.db").exists()
