"""One staffing and first-year cost (issue 30): the brief, the plan's body, the Word copy,
the application starter and the sizing show the same figures, read from what each renders.

Where the pathway can be sized, the figures are the sizing's; where it cannot, the cost
model's band staffing, as before. FTE x wage = the dollars shown, the total is the sum of
the lines, and page 1 keeps the wage source with its year and the local budget beside the
cost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from docxtext import docx_text

from planner.documents import action_table, application, docx_export, report
from planner.engine import answers, costs, plan, sizing, staffing
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge import loader

KB = loader.load_default()
ROOT = Path(__file__).parent
START = dt.date(2027, 1, 4)
TODAY = dt.date(2026, 12, 4)


def _given(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return answers.read_file(KB, json.loads(path.read_text()), complete=False).answers
    return answers.validate(KB, yaml.safe_load(path.read_text())["answers"], complete=False)


CASES = [pytest.param(ROOT / "fixtures" / "answers" / "huntington.json", id="huntington"),
         pytest.param(ROOT / "fixtures" / "answers" / "kentucky-rural-sheriff.json",
                      id="kentucky")] + [
    pytest.param(p, id=p.stem) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]


def _money(x: float) -> str:
    return costs.dollars(int(x))


def _check(profile: CommunityProfile) -> staffing.FirstYear | None:
    built = plan.build(KB, profile)
    top = built.top
    if top is None:
        return None
    pid = top.score.pathway.id
    found = staffing.first_year(KB, profile, pid)
    if found is None:
        return None
    est = found.estimate
    # The sizing, when there is one, is the value: its staff and cost are the lines'.
    sized = staffing.size(KB, profile, pid)
    if sized is not None and sized.first_year_cost is not None:
        assert found.sized
        assert (est.low, est.high) == (sized.first_year_cost.low, sized.first_year_cost.high)
        fte_low = round(sum(line.fte_low or 0 for line in est.staff_lines), 2)
        fte_high = round(sum(line.fte_high or 0 for line in est.staff_lines), 2)
        assert (fte_low, fte_high) == (sized.staff_fte.low, sized.staff_fte.high)
        assert (est.low, est.high) != (0, 0)
    else:
        assert not found.sized
        model = costs.for_pathway(KB, profile, pid)
        assert model is not None and (est.low, est.high) == (model.low, model.high)
    # FTE x wage = the dollars shown; the total is the sum of the lines.
    for line in est.staff_lines:
        assert line.fte_low is not None and line.fte_high is not None
        assert line.unit_cost is not None
        if not line.local:
            assert line.low == int(line.fte_low * line.unit_cost + 0.5), line.id
            assert line.high == int(line.fte_high * line.unit_cost + 0.5), line.id
    assert est.low == sum(x.low for x in est.lines)
    assert est.high == sum(x.high for x in est.lines)
    assert all(x.low <= x.high and x.low >= 0 for x in est.lines)

    # The brief (page 1) and the plan's body: the same total, lines and staff.
    page = report.render_plan_html(KB, built, profile, for_pdf=True, generated=TODAY,
                                   start=START)
    brief_part = page.split('id="brief"', 1)[-1].split("</section>", 1)[0] if (
        'id="brief"' in page) else page
    total = f"about <strong>{_money(est.low)} to {_money(est.high)}</strong>"
    assert total in brief_part
    for line in est.staff_lines:
        words = costs.fte_range(line.fte_low, line.fte_high)
        assert f"<td>{line.label}" in page and f"<td>{words}</td>" in page, line.id
    # Page 1 keeps the cost's source and year, and the local budget beside the cost.
    basis = costs.wage_basis(est)
    if basis:
        assert basis in brief_part
    if est.budget is not None:
        assert costs.budget_words(est) in brief_part

    # The Word copy: the same total and the same FTE for each line.
    ctx = docx_export.context(KB, built, profile, start=START, generated=TODAY)
    word = docx_text(docx_export.render(ctx))
    assert f"costs about {_money(est.low)} to {_money(est.high)}" in word
    for line in est.staff_lines:
        assert costs.fte_range(line.fte_low, line.fte_high) in word

    # The application starter's budget: the same total.
    rows = action_table.rows(KB, built, profile, START)
    app = application.build(KB, built, profile, rows, generated=TODAY,
                            size=application.sizing_for(KB, built, profile))
    assert app is not None
    budget = next(s for s in app.sections if s.title == "Budget and Budget Narrative")
    table = next(b for b in budget.blocks if b.kind == "table")
    assert table.rows[-1][-1] == sizing.range_words(est.low, est.high, "dollars")
    return found


@pytest.mark.parametrize("path", CASES)
def test_brief_body_word_and_sizing_show_one_staffing_and_cost(path: Path) -> None:
    _check(read_profile(KB, _given(path)))


def test_the_two_review_cases_are_sized_and_a_local_budget_sits_beside_the_cost() -> None:
    for name in ("huntington.json", "kentucky-rural-sheriff.json"):
        given = _given(ROOT / "fixtures" / "answers" / name)
        found = _check(read_profile(KB, given))
        assert found is not None and found.sized, name
        budget_q = KB.costs.budget_question if KB.costs else None
        assert budget_q is not None
        with_budget = _check(read_profile(KB, {**given, budget_q: 150000}))
        assert with_budget is not None and with_budget.estimate.budget == 150000


def test_a_pathway_that_cannot_be_sized_keeps_the_cost_model() -> None:
    given = _given(ROOT / "fixtures" / "answers" / "huntington.json")
    profile = read_profile(KB, given)
    others = [p for p in KB.pathways if p not in sizing.sizable(KB)
              and KB.costs is not None and p in KB.costs.staffing]
    for pid in others:
        found = staffing.first_year(KB, profile, pid)
        model = costs.for_pathway(KB, profile, pid)
        assert found is not None and model is not None and not found.sized
        assert found.estimate == model


def test_more_contacts_never_cost_less() -> None:
    given = _given(ROOT / "fixtures" / "answers" / "huntington.json")
    spec = KB.sizing.for_pathway("naloxone-plus") if KB.sizing else None
    assert spec is not None and spec.contacts.count_question
    costs_seen = []
    for count in (20, 100, 400):
        profile = read_profile(KB, {**given, spec.contacts.count_question: count})
        found = staffing.first_year(KB, profile, "naloxone-plus")
        assert found is not None and found.sized
        costs_seen.append((found.estimate.low, found.estimate.high))
    assert costs_seen == sorted(costs_seen)
