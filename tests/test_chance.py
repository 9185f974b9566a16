"""How sure (issue 25): the chance each pathway comes first, the one label rule, the one
challenger, ties said out loud, blank questions named, and no rule id where a user reads."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from docxtext import docx_text

from planner.cli import main
from planner.documents import report
from planner.engine import answers, chance, plan, scenarios, scoring
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
HUNTINGTON = ROOT / "tests" / "fixtures" / "answers" / "huntington.json"


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


def _given(kb: Knowledge, path: Path) -> answers.Answers:
    return answers.validate(kb, yaml.safe_load(path.read_text(encoding="utf-8"))["answers"],
                            complete=False)


def _plan(kb: Knowledge, path: Path) -> plan.Plan:
    return plan.build(kb, read_profile(kb, _given(kb, path)))


def _answers_file(tmp_path: Path, path: Path) -> Path:
    doc = {"format": "deflection-planner/answers", "version": 2, "questions_version": 2,
           "answers": yaml.safe_load(path.read_text(encoding="utf-8"))["answers"]}
    out = tmp_path / f"{path.stem}.json"
    out.write_text(json.dumps(doc), encoding="utf-8")
    return out


# ------------------------------------------------------------------ the sampler


def test_the_generator_is_splitmix64() -> None:
    """The first SplitMix64 output from state 0 is 0xE220A8397B1DCDAF (the reference
    implementation), so the draws do not depend on NumPy's own generators."""
    bits = chance._draws(0, np.array([0, 1], dtype=np.uint64))
    assert int(bits[0]) == 0xE220A839
    assert int(bits[1]) == 0x6E789E6A  # second output 0x6E789E6AA1B965F4


def test_percents_sum_to_100_with_the_stated_tie_break() -> None:
    assert chance.percents({"a": 1, "b": 1, "c": 1}, 3) == {"a": 34, "b": 33, "c": 33}
    assert chance.percents({"a": 0, "b": 2, "c": 1}, 3) == {"a": 0, "b": 67, "c": 33}
    assert chance.percents({"a": 1999, "b": 1}, 2000) == {"a": 100, "b": 0}
    assert chance.percents({"a": 1990, "b": 10}, 2000) == {"a": 100, "b": 0}  # tie: rank
    assert chance.percents({"a": 1989, "b": 11}, 2000) == {"a": 99, "b": 1}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_chance_first_sums_to_one_over_the_ranked_pathways(path: Path, kb: Knowledge) -> None:
    built = _plan(kb, path)
    stab = built.stability
    ranked = [s.pathway.id for s in built.ranking.candidates]
    assert list(stab.chance.counts) == ranked
    assert sum(stab.chance.counts.values()) == kb.model.chance.samples
    assert sum(stab.chance.percent.values()) == 100
    shares = [stab.chance_of(p) for p in ranked]
    assert all(0 <= x <= 1 for x in shares)
    assert abs(sum(shares) - 1) < 1e-9
    # The one challenger is the runner-up by chance (ties: rank order).
    others = ranked[1:]
    best = max(others, key=lambda p: (stab.chance.counts[p], -others.index(p)))
    assert stab.challenger == best


def test_the_chance_moves_with_the_answers(kb: Knowledge) -> None:
    """Not a constant: settling the unknowns makes the top surer, unknowns make it less so."""
    given = _given(kb, ROOT / "tests" / "scenarios" / "eugene-cahoots.yaml")
    full = plan.build(kb, read_profile(kb, given)).stability
    thin = plan.build(kb, read_profile(kb, {k: v for k, v in list(given.items())[:6]}))
    # Eugene leaves the police role unknown, and an answer of police leading or riding on the
    # team counts against Community Response (issue 25: co-responder teams), so not 100.
    assert full.chance.percent["community-response"] >= 90
    assert thin.stability.chance.percent[thin.ranking.top.pathway.id] < \
        full.chance.percent["community-response"]


def test_the_figures_are_fixed_by_the_seed(kb: Knowledge) -> None:
    """The same answers give the same counts on every run and machine: a change of sampler,
    seed or draw order shows here. (So does a new question the file leaves blank, or a change
    in how unknown answers are drawn: centring each unknown answer's points on their average
    moved Huntington from 99, 1 and 0 to 100, 0 and 0.)"""
    built = plan.build(kb, read_profile(kb, answers.read_file(
        kb, json.loads(HUNTINGTON.read_text(encoding="utf-8"))).answers))
    assert dict(built.stability.chance.percent) == {
        "naloxone-plus": 100, "active-outreach": 0, "community-response": 0,
        "self-referral": 0, "first-responder-referral": 0, "officer-intervention": 0}


def test_score_json_is_byte_identical_across_two_processes(tmp_path: Path) -> None:
    path = _answers_file(tmp_path, ROOT / "tests" / "scenarios" / "atlanta-pad.yaml")
    exe = str(Path(sys.executable).parent / "planner")
    runs = [subprocess.run([exe, "score", str(path), "--json"], capture_output=True,
                           check=True, timeout=300).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    data = json.loads(runs[0])
    ranked = [r for r in data["ranking"] if r["rank"] is not None]
    assert round(sum(r["chance_first"] for r in ranked), 9) == 1
    assert data["stability"]["top_chance_first"] == ranked[0]["chance_first"]


# ------------------------------------------------------------------ the label rule


def test_the_label_follows_the_threshold_in_the_knowledge_base(kb: Knowledge) -> None:
    given = _given(kb, ROOT / "tests" / "scenarios" / "huntington-qrt.yaml")
    profile = read_profile(kb, given)
    stab = scoring.stability(kb, profile)
    top = scoring.score(kb, profile).top
    assert top is not None
    odds = stab.chance.percent[top.pathway.id]
    assert stab.status == ("stable" if odds >= 80 else "close-call")
    for threshold, expected in ((odds / 100, "stable"), ((odds + 1) / 100, "close-call")):
        model = dataclasses.replace(kb.model, chance=dataclasses.replace(
            kb.model.chance, clear_lead=threshold))
        other = dataclasses.replace(kb, model=model)
        assert scoring.stability(kb=other, profile=profile).status == expected


def test_both_labels_appear_over_the_scenarios(kb: Knowledge) -> None:
    """The label tells cases apart: clear leads appear, and so do close calls."""
    labels = {_plan(kb, p).stability.status for p in SCENARIOS}
    assert labels == {"stable", "close-call"}


def test_the_rule_is_stated_once_and_shown_everywhere(kb: Knowledge, tmp_path: Path) -> None:
    rule = report.stability_rule(kb)
    assert "at least 80 of every 100" in rule
    path = ROOT / "tests" / "scenarios" / "atlanta-pad.yaml"
    built = _plan(kb, path)
    html = report.render_plan_html(kb, built, read_profile(kb, _given(kb, path)))
    assert rule.replace("\u2019", "&#8217;") in html or rule in html
    text = CliRunner().invoke(main, ["score", str(_answers_file(tmp_path, path))]).output
    assert rule in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "at least 80 of every 100" in readme
    from planner.documents.docx_export import render_plan

    word = docx_text(render_plan(kb, built, read_profile(kb, _given(kb, path))))
    assert rule in word


def test_a_close_call_names_one_challenger(kb: Knowledge) -> None:
    """Longmont's LEAD: the top by points leads by one point and comes first in 44 of 100."""
    built = _plan(kb, ROOT / "tests" / "scenarios" / "longmont-lead.yaml")
    words = report.stability_words(kb, built)
    stab = built.stability
    assert stab.status == "close-call"
    challenger = kb.pathways[stab.challenger].label
    assert words.startswith("Close call:")
    assert f"The challenger is {challenger}" in words
    # Every pathway the words say could come first is the challenger.
    for pathway in kb.pathways.values():
        if pathway.id != stab.challenger:
            assert f"put {pathway.label} first" not in words


# ------------------------------------------------------------------ ties


def test_equal_scores_are_said_to_be_tied_with_the_rule(kb: Knowledge) -> None:
    built = plan.build(kb, read_profile(kb, {}))
    first, second = built.ranking.candidates[:2]
    assert first.score == second.score
    assert built.stability.tied
    words = report.stability_words(kb, built)
    assert f"{first.pathway.label} and {second.pathway.label} are tied" in words
    assert kb.model.tie_break in words
    assert "by 0 points" not in words


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_lead_of_zero_points(path: Path, kb: Knowledge) -> None:
    words = report.stability_words(kb, _plan(kb, path))
    assert "by 0 points" not in words


# ------------------------------------------------------------------ blank questions


def test_blank_questions_that_could_change_the_top_are_named(kb: Knowledge,
                                                             tmp_path: Path) -> None:
    named = 0
    for path in SCENARIOS:
        built = _plan(kb, path)
        stab = built.stability
        words = report.stability_words(kb, built)
        for qid in stab.blank_changers:
            assert kb.questions[qid].label in words
        if built.ranking.unanswered_questions and not stab.blank_changers:
            assert "they could not put another pathway first" in words
        named += len(stab.blank_changers)
    assert named  # some scenario has blank questions that could change the top
    data = json.loads(CliRunner().invoke(main, [
        "score", str(_answers_file(tmp_path, ROOT / "tests" / "scenarios" / "atlanta-pad.yaml")),
        "--json"]).output)
    listed = data["stability"]["blank_could_change_top"]
    assert listed and all(item["question"] in data["unanswered"] for item in listed)
    assert data["stability"]["blank_could_overtake"] is True


# ------------------------------------------------------------------ rule ids


def _rule_id_pattern(kb: Knowledge) -> re.Pattern[str]:
    ids = sorted({r.id for r in kb.rules}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ids)) + r")(?![\w-])")


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_no_rule_id_where_a_user_reads(path: Path, kb: Knowledge, tmp_path: Path) -> None:
    """The CLI text, the plan (page and print) and the Word plan name no rule id (the JSON
    may)."""
    from planner.documents.docx_export import render_plan

    pattern = _rule_id_pattern(kb)
    file = _answers_file(tmp_path, path)
    profile = read_profile(kb, _given(kb, path))
    built = plan.build(kb, profile)
    outputs: dict[str, str] = {
        "cli": CliRunner().invoke(main, ["score", str(file)]).output,
        "plan": report.render_plan_html(kb, built, profile),
        "print": report.render_plan_html(kb, built, profile, for_pdf=True),
        "word": docx_text(render_plan(kb, built, profile)),
    }
    for name, text in outputs.items():
        assert not pattern.findall(text), (name, sorted(set(pattern.findall(text))))
    # The scan can fail: the JSON keeps the ids.
    assert pattern.findall(CliRunner().invoke(main, ["score", str(file), "--json"]).output)


# ------------------------------------------------------------------ calibration


def test_validate_reports_calibration(kb: Knowledge) -> None:
    report_ = scenarios.evaluate(kb, scenarios.load_dir(kb, ROOT / "tests" / "scenarios"))
    bands = report_.bands()
    assert sum(n for *_, n, _ in bands) == 2 * len(SCENARIOS)
    assert all(0 <= k <= n for *_, n, k in bands)
    pairs = report_.forecasts()
    assert report_.brier == pytest.approx(
        sum((p - h) ** 2 for p, h in pairs) / len(pairs))
    text = scenarios.to_text(kb, report_)
    assert f"Brier score {report_.brier:.3f} over {2 * len(SCENARIOS)} results" in text
    data: dict[str, Any] = scenarios.to_json(kb, report_)["calibration"]
    assert data["forecasts"] == 2 * len(SCENARIOS)
    assert sum(b["results"] for b in data["bands"]) == 2 * len(SCENARIOS)


def test_why_not_never_says_zero_points_behind(kb: Knowledge) -> None:
    from planner.engine.words import behind

    assert behind(0.0) == "tied on points"
    assert behind(0.3) == "less than 1 point behind"
    assert behind(1.2) == "1 point behind"
    built = plan.build(kb, read_profile(kb, {}))
    html = report.render_plan_html(kb, built, read_profile(kb, {}))
    assert "0 points behind" not in html and "tied on points" in html


def test_an_unknown_answer_widens_the_spread_without_moving_the_score(kb: Knowledge) -> None:
    """Even odds over a question's options are not neutral among pathways (a tick-all question
    whose options mostly help one pathway leaned every blank toward it), so each unknown
    answer's drawn points are centred: over the draws they sum to nothing for every pathway,
    while they still vary from draw to draw."""
    layout = chance._layout(kb)
    slabs = layout.drawn_stack.astype(np.float64)
    assert slabs.shape[0] == len(layout.drawn) > 0
    assert np.all(slabs.sum(axis=2) == 0)
    for qid, i in layout.drawn_at.items():
        varies = bool(np.any(layout.drawn[qid] != layout.drawn[qid][0]))
        assert bool(np.any(slabs[i] != slabs[i][:, :1])) == varies, qid
