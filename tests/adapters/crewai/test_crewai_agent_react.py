"""The shared scenario through a real ``Crew.kickoff`` on CrewAI's ReAct text path.

The scripted model writes ``Action:`` / ``Action Input:`` lines; CrewAI parses them, runs the
tool and appends ``Observation: <result>`` to the conversation (with a reminder of the tool
list every few turns). All checks live in :class:`crewai_harness.ScenarioChecks`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crewai_harness import ScenarioChecks, ScenarioRun, run_scenario

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
    return run_scenario(request, crewai_base, tmp_path_factory.mktemp("crewai-react"), native=False)


class TestReAct(ScenarioChecks):
    def test_tools_were_described_in_the_prompt_not_offered_as_schemas(self, run: ScenarioRun) -> None:
        assert run.llm.tools_offered[0] == []
        system = str(run.llm.seen[0][0]["content"])
        assert "Tool Name: get_secret" in system and "Tool Name: echo_b64" in system
        assert any("Action: http_request" in str(a) for a in run.llm.answers)
