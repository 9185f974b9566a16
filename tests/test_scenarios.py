"""Real programs, described as their communities looked before launch, get their pathway;
`planner validate` reports the figures over the scenario folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.engine import answers, scenarios, scoring
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

FOLDER = Path(__file__).parent / "scenarios"
SCENARIOS = sorted(FOLDER.glob("*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _expected(scenario: dict[str, Any]) -> str:
    expect = scenario["expect"]
    return expect.get("pathway", expect.get("in_top_two"))


def test_there_is_a_scenario_for_each_seed_program() -> None:
    programs = {_load(p)["program"] for p in SCENARIOS}
    assert {"hero-help", "harris-county-marijuana-diversion", "atlanta-pad", "huntington-qrt",
            "tucson-deflection"} <= programs


def test_there_are_at_least_21_scenarios_from_distinct_real_programs() -> None:
    kb = loader.load_default()
    programs = [_load(p)["program"] for p in SCENARIOS]
    assert len(SCENARIOS) >= 21
    assert set(programs) <= set(kb.programs)
    # One scenario per program and pathway: a program with two doors (Hero Help's arrest
    # diversion and its co-responder unit; Philadelphia PAD's arrest and social referrals)
    # may have one scenario for each, never two for the same door.
    doors = [(_load(p)["program"], _load(p)["expect"].get("pathway",
                                                          _load(p)["expect"].get("in_top_two")))
             for p in SCENARIOS]
    assert len(set(doors)) == len(doors), "one scenario per program and pathway"
    assert len(set(programs)) >= 21


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_ranks_the_programs_real_pathway_first(path: Path) -> None:
    kb = loader.load_default()
    scenario = _load(path)
    assert scenario["why"].strip(), "each scenario says why in a sentence"
    assert scenario["program"] in kb.programs
    expected = _expected(scenario)
    assert expected in kb.programs[scenario["program"]].pathways
    ranking = scoring.score(kb, read_profile(kb, answers.validate(kb, scenario["answers"])))
    top_two = [s.pathway.id for s in ranking.candidates[:2]]
    assert expected in top_two, f"{path.stem}: got {top_two}"
    if not scenario["expect"].get("known_miss"):
        assert top_two[0] == expected, f"{path.stem}: got {top_two}"
    assert list(ranking.running) == scenario["expect"].get("running", [])


def test_the_stability_label_separates_clear_results_from_fragile_ones() -> None:
    kb = loader.load_default()
    report = scenarios.evaluate(kb, scenarios.load_dir(kb, FOLDER))
    labels = {o.scenario.name: o.status for o in report.outcomes}
    assert sum(1 for s in labels.values() if s == "stable") >= 5, labels
    # Tucson: a single changed answer (possession arrests) would put First Responder
    # Referral first, so its lead is fragile.
    assert labels["tucson"] == "close-call"
    # Huntington: a wide lead that no single answer or "don't know" could overturn.
    assert labels["huntington-qrt"] == "stable"


def test_validate_prints_both_accuracies_and_the_confusion_table() -> None:
    result = CliRunner().invoke(main, ["validate", str(FOLDER)])
    assert result.exit_code == 0, result.output
    out = result.output
    n = len(SCENARIOS)
    assert f"Scenarios: {n}" in out
    assert "As written:" in out and "Goals \"don't know\":" in out
    assert out.count("expected \\ ranked first") == 2
    assert "goals question" in out


def test_validate_json_agrees_with_scoring_each_scenario() -> None:
    kb = loader.load_default()
    result = CliRunner().invoke(main, ["validate", str(FOLDER), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scenarios"] == len(SCENARIOS)
    hits = hits2 = blind1 = 0
    for row in data["results"]:
        scenario = _load(FOLDER / f"{row['scenario']}.yaml")
        given = answers.validate(kb, scenario["answers"])
        ranking = scoring.score(kb, read_profile(kb, given))
        blind = scoring.score(kb, read_profile(kb, {**given, "goals": ("dont-know",)}))
        assert row["first"] == ranking.candidates[0].pathway.id
        assert row["first_goals_unknown"] == blind.candidates[0].pathway.id
        hits += row["first"] == row["expected"]
        hits2 += row["expected"] in (row["first"], row["second"])
        blind1 += row["first_goals_unknown"] == row["expected"]
    assert data["top1"] == round(hits / len(SCENARIOS), 4)
    assert data["top2"] == round(hits2 / len(SCENARIOS), 4)
    assert data["goals_unknown"]["top1"] == round(blind1 / len(SCENARIOS), 4)
    confusion = data["confusion"]
    assert sum(sum(row.values()) for row in confusion.values()) == len(SCENARIOS)
    assert 0 <= data["goals_share_of_top_points"] < 1


def test_goals_share_is_the_goals_points_over_the_top_pathways_positive_points() -> None:
    kb = loader.load_default()
    given = answers.validate(kb, _load(FOLDER / "gloucester.yaml")["answers"])
    ranking = scoring.score(kb, read_profile(kb, given))
    top = ranking.candidates[0]
    goal = sum(c.points for c in top.contributions if c.question_id == "goals" and c.points > 0)
    total = sum(c.points for c in top.contributions if c.points > 0)
    assert scenarios.goals_share(ranking) == pytest.approx(goal / total)
    assert 0 < goal < total


def test_a_known_miss_is_reported_and_a_bad_scenario_is_refused(tmp_path: Path) -> None:
    raw = _load(FOLDER / "gloucester.yaml")
    raw["expect"] = {"pathway": "active-outreach", "known_miss": "written to miss"}
    (tmp_path / "miss.yaml").write_text(yaml.safe_dump(raw))
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "top-1 0/1" in result.output and "known miss: written to miss" in result.output
    raw["answers"]["overdoses"] = "heaps"
    (tmp_path / "miss.yaml").write_text(yaml.safe_dump(raw))
    bad = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert bad.exit_code == 1 and "miss.yaml" in bad.output and "heaps" in bad.output
    empty = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert empty.exit_code == 1 and "not a folder" in empty.output


def _one_question_edges(kb: Any) -> list[tuple[float, str, str, str]]:
    """For every scoring question and ordered pair of pathways, the most one answer to it
    (from blank) moves the first pathway against the second, in score points."""
    idx = scoring.index(kb)
    span = 2 * idx.half_scale
    rows = []
    for qid, table in idx.tables.items():
        real = [o for o in table.question.options if not o.dont_know]
        for a in kb.pathways:
            for b in kb.pathways:
                if a == b:
                    continue
                edges = [(table.option_points(o.id, a) - table.option_points(o.id, b), o)
                         for o in real]
                if table.question.type == "multi":
                    best = max([sum(max(e, 0) for e, o in edges if not o.exclusive),
                                *(e for e, o in edges if o.exclusive)], default=0)
                else:
                    best = max((e for e, _ in edges), default=0)
                rows.append((100.0 * best / span, qid, a, b))
    return rows


def test_no_single_question_can_overturn_a_clear_fit() -> None:
    """Structurally: whatever one question is answered, from blank, it moves no pathway
    against another by the close-call margin; so a lead that wide rests on the other answers."""
    kb = loader.load_default()
    worst = max(_one_question_edges(kb))
    assert worst[0] < kb.model.close_call_margin, worst
    goals = max(r for r in _one_question_edges(kb) if r[1] == "goals")
    assert goals[0] < kb.model.close_call_margin


# The scenarios in which, with goals blank, one pathway leads by the close-call margin (the
# other 18 are close calls without their goals, so the next test does not apply to them);
# the test after it keeps this list true. Chapel Hill and Denver left it in issue 25: a
# co-responder start no longer counts for Community Response, so their leads without goals
# are now under the margin (4 and 7 points).
CLEAR_WITHOUT_GOALS = (
    "chicago-narcotics-diversion", "colerain-qrt", "columbus-rreact", "eugene-cahoots",
    "gloucester", "hero-help-co-responder", "hero-help", "huntington-qrt",
    "lake-county-a-way-out", "longmont-core-co-responder", "michigan-state-police-angel",
    "philadelphia-pad-social-referral", "philadelphia-pad", "plymouth-adds-pathway",
    "scottsdale-angel-initiative", "seattle-lead",
)


def _ranking_without_goals(kb: Knowledge, path: Path) -> tuple[dict[str, Any], scoring.Ranking]:
    given = answers.validate(kb, _load(path)["answers"])
    blank = {k: v for k, v in given.items() if k != "goals"}
    return blank, scoring.score(kb, read_profile(kb, blank))


def test_the_scenarios_with_a_clear_fit_without_goals_are_the_ones_listed() -> None:
    kb = loader.load_default()
    clear = []
    for path in SCENARIOS:
        candidates = _ranking_without_goals(kb, path)[1].candidates
        if candidates[0].score - candidates[1].score >= kb.model.close_call_margin:
            clear.append(path.stem)
    assert tuple(clear) == CLEAR_WITHOUT_GOALS


@pytest.mark.parametrize("path", [FOLDER / f"{stem}.yaml" for stem in CLEAR_WITHOUT_GOALS],
                         ids=lambda p: p.stem)
def test_goals_do_not_swing_a_community_whose_circumstances_clearly_fit(path: Path) -> None:
    """With goals blank, one pathway leads by the close-call margin (CLEAR_WITHOUT_GOALS); no
    goals answer puts another first. For each rival the goals that favour it most against the
    leader (as many as allowed, the exact worst case because goals add up) are re-scored, as
    is each goal alone."""
    kb = loader.load_default()
    blank, ranking = _ranking_without_goals(kb, path)
    leader, second = ranking.candidates[0], ranking.candidates[1]
    assert leader.score - second.score >= kb.model.close_call_margin
    question = kb.questions["goals"]
    idx = scoring.index(kb)
    span = 2 * idx.half_scale
    tries = [(o.id,) for o in question.options if not o.dont_know]
    for rival in ranking.candidates[1:]:
        best = scoring._best_alternative(kb, idx, question, read_profile(kb, blank),
                                         rival.pathway.id,
                                         leader.pathway.id, span, span)
        if best is not None:
            assert len(best.to_options) <= (question.max_choices or len(tries))
            tries.append(best.to_options)
    for chosen in tries:
        after = scoring.score(kb, read_profile(kb, {**blank, "goals": chosen}))
        assert after.candidates[0].pathway.id == leader.pathway.id, (chosen, path.stem)
