"""``crewai_oneclaw.demo.run_demo`` (what ``oneclaw-tools demo --framework crewai`` runs) passes.

It runs the shared scenario through a real crew, prints each turn and ends with its own
no-leak check; a non-zero return means that check (or the flow check) failed: read the
printed "check FAILED" line.
"""

from __future__ import annotations

import pytest
from crewai_oneclaw.demo import run_demo

pytestmark = [
    pytest.mark.framework,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::DeprecationWarning:crewai"),
]


@pytest.mark.parametrize("native", [True, False], ids=["function-calling", "react"])
def test_demo_passes(native: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    lines: list[str] = []
    assert run_demo(echo=lines.append, native=native) == 0, lines[-3:]
    text = "\n".join(lines)
    assert "check passed" in lines[-1]
    assert "http_request" in text and "share_secret" in text and "rotate_and_store" in text
