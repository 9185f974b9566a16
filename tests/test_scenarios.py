"""Real programs, described as their communities looked before launch, get their pathway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planner import answers, loader, scoring

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_there_is_a_scenario_for_each_seed_program() -> None:
    programs = {_load(p)["program"] for p in SCENARIOS}
    assert {"hero-help", "harris-county-marijuana-diversion", "atlanta-pad", "huntington-qrt",
            "tucson-deflection"} <= programs


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_ranks_the_programs_real_pathway_in_the_top_two(path: Path) -> None:
    kb = loader.load_default()
    scenario = _load(path)
    assert scenario["why"].strip(), "each scenario says why in a sentence"
    assert scenario["program"] in kb.programs
    expected = scenario["expect"]["in_top_two"]
    assert expected in kb.programs[scenario["program"]].pathways
    ranking = scoring.score(kb, answers.validate(kb, scenario["answers"]))
    top_two = [s.pathway.id for s in ranking.candidates[:2]]
    assert expected in top_two, f"{path.stem}: got {top_two}"
    assert list(ranking.running) == scenario["expect"].get("running", [])
