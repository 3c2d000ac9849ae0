"""README.md, SECURITY.md and every adapter README state the same defaults, and they are the
defaults the code has.

The table between ``<!-- defaults:start -->`` and ``<!-- defaults:end -->`` is written once in
SECURITY.md and copied verbatim into README.md and each ``adapters/*/README.md``. If this fails
after a change of defaults, change the table in SECURITY.md, copy it to the others, and make
sure ``tests/core/test_default_policy.py`` pins the same behaviour.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from oneclaw_tools import OperatorPolicy
from oneclaw_tools.policy import DEFAULT_REQUIRE_APPROVAL
from oneclaw_tools.tools import ALL_TOOLS

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "SECURITY.md", ROOT / "README.md", *sorted((ROOT / "adapters").glob("*/README.md"))]
BLOCK = re.compile(r"<!-- defaults:start -->\n(.*?)<!-- defaults:end -->", re.S)


def block(path: Path) -> str:
    found = BLOCK.findall(path.read_text(encoding="utf-8"))
    assert len(found) == 1, f"{path.relative_to(ROOT)} must hold the defaults table exactly once"
    return str(found[0])


def test_every_document_states_the_same_defaults() -> None:
    assert len(DOCS) == 6
    reference = block(DOCS[0])
    for path in DOCS[1:]:
        assert block(path) == reference, f"{path.relative_to(ROOT)} disagrees with SECURITY.md"


def test_the_table_matches_the_code() -> None:
    rows = {line.split(" | ")[0]: line for line in block(DOCS[0]).splitlines() if line.startswith("| `")}
    named = {
        name
        for row in rows
        for name in re.findall(r"`([a-z_]+)`", row)
        if name in {t.name for t in ALL_TOOLS}
    }
    assert named | {"http_request"} == {t.name for t in ALL_TOOLS}, "every tool appears in the table"
    approval_row = next(line for line in rows.values() if "needs a human's approval" in line)
    assert set(re.findall(r"`([a-z_]+)`", approval_row.split(" | ")[0])) == set(DEFAULT_REQUIRE_APPROVAL)
    policy = OperatorPolicy()
    assert policy.vaults is None and not policy.allow_http_loopback and policy.http_allow_networks == ()
    assert "capture_max_per_call" in block(DOCS[0]) and policy.capture_max_per_call > 0


def test_the_readme_links_security_md_on_its_first_screen() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:25])
    assert "[SECURITY.md](SECURITY.md)" in first_screen


def test_security_md_has_every_part_the_issue_asks_for() -> None:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    for heading in (
        "## The threat model",
        "## What is protected",
        "## What is not protected",
        "## The operator's checklist",
        "## Reporting a vulnerability",
    ):
        assert heading in text, heading
    for limit in ("8 characters", "roll back", "transformation the guard does not know", "scrub_logs=False"):
        assert limit in text, limit


def test_the_use_it_snippets_run(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's Python blocks under "Use it" run as written (in a temporary folder)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for code in blocks:
        exec(compile(code, "README.md", "exec"), namespace)
    namespace["session"].close()  # type: ignore[attr-defined]
    written = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    assert written and all(name.startswith("data/") for name in written), written
    for name in [*written, "vault.db", "vault.db-wal", "vault.db.key", "vault.db.audit", "x/other.key"]:
        ignored = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", name], cwd=ROOT, capture_output=True, text=True
        )
        assert ignored.returncode == 0, f"{name}: not covered by the repository's .gitignore"
    policy = namespace["policy"]
    assert isinstance(policy, OperatorPolicy) and policy.needs_approval(
        "share_secret", {"email": "x@evil.example"}
    )
    assert not policy.needs_approval("share_secret", {"email": "a@example.com"})


def test_each_adapter_readmes_first_example_uses_a_real_model() -> None:
    """The first Python example of the LangChain, LlamaIndex and CrewAI READMEs drives a real model
    (OpenAI, with Anthropic named beside it) through the framework's usual package, guards every
    tool with the adapter's one call, and compiles; the README names the provider package to
    install, since none is installed by default."""
    import ast

    expected = {
        "langchain": (
            '"openai:gpt-4.1-mini"',
            "anthropic:",
            "OneClawGuardMiddleware(",
            "pip install langchain-openai",
        ),
        "llamaindex": (
            "OpenAI(model=",
            "Anthropic(model=",
            "guard_agent(",
            "pip install llama-index-llms-openai",
        ),
        "crewai": (
            'LLM(model="openai/',
            'LLM(model="anthropic/',
            "guard_crew(",
            'pip install "crewai[anthropic]"',
        ),
    }
    for adapter, (openai, anthropic, guard, install) in expected.items():
        text = (ROOT / "adapters" / adapter / "README.md").read_text(encoding="utf-8")
        first = re.findall(r"```python\n(.*?)```", text, re.S)[0]
        assert openai in first and anthropic in first and guard in first, adapter
        assert install in text, adapter
        ast.parse(first, mode="exec", feature_version=(3, 11), type_comments=False)  # top-level await allowed
