"""The shared scenario through a real ``Crew.kickoff`` on CrewAI's native function-calling path.

The scripted model answers with OpenAI-style tool calls; tool results come back as
``role: "tool"`` messages. All checks live in :class:`crewai_harness.ScenarioChecks`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crewai_harness import ScenarioChecks, ScenarioRun, run_scenario

from oneclaw_tools.testing.scenario import third_party_tools

pytestmark = [
    pytest.mark.framework,
    pytest.mark.slow,
    # crewai reads its own deprecated Agent fields during kickoff (function_calling_llm,
    # allow_code_execution, ...): warnings attributed to crewai itself, not to this adapter
    pytest.mark.filterwarnings("ignore::DeprecationWarning:crewai"),
]


@pytest.fixture(scope="module")
def run(
    request: pytest.FixtureRequest, crewai_base: Path, tmp_path_factory: pytest.TempPathFactory
) -> ScenarioRun:
    return run_scenario(request, crewai_base, tmp_path_factory.mktemp("crewai-native"), native=True)


class TestFunctionCalling(ScenarioChecks):
    def test_the_model_was_offered_every_tool_schema(self, run: ScenarioRun) -> None:
        offered = [t["function"]["name"] for t in run.llm.tools_offered[0]]
        tools = run.crew.agents[0].tools or []
        assert offered == [tool.name for tool in tools]
        assert offered[-len(third_party_tools()) :] == list(third_party_tools())
        assert {"list_secrets", "get_secret", "http_request", "rotate_and_store", "share_secret"} <= set(
            offered
        )
        assert all(call["role"] != "tool" or call["content"] for call in run.llm.seen[-1])
