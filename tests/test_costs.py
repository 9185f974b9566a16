"""Staffing and first-year costs: every pathway and band computes, lines add up, local
figures replace national ones, every source is https, and `planner check` covers the file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from planner.engine import answers, costs
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

if TYPE_CHECKING:
    from conftest import BreakKnowledge

KB = loader.load_default()
CASES = [(p, b.id) for p in sorted(KB.pathways) for b in KB.matching.population_buckets]


@pytest.mark.parametrize(("pathway", "band"), CASES)
def test_every_pathway_and_band_computes_and_its_lines_add_up(pathway: str, band: str) -> None:
    estimate = costs.estimate(KB, pathway, band)
    assert estimate.lines and estimate.staff_lines
    assert estimate.low == sum(line.low for line in estimate.lines)
    assert estimate.high == sum(line.high for line in estimate.lines)
    assert 0 < estimate.low <= estimate.high
    for line in estimate.lines:
        assert 0 <= line.low <= line.high, line
        assert line.sources, f"{line.id} has no source"
        assert not line.local
    for line in estimate.staff_lines:
        assert line.unit_cost and line.fte_low is not None and line.fte_high is not None
        assert line.low == costs._money(line.fte_low * line.unit_cost)
        assert line.high == costs._money(line.fte_high * line.unit_cost)
    assert "national" in estimate.notice.lower() and "adjust" in estimate.notice.lower()


def test_lines_come_in_a_stable_order() -> None:
    first = costs.estimate(KB, "naloxone-plus", "medium")
    again = costs.estimate(KB, "naloxone-plus", "medium")
    assert first == again
    kinds = [line.kind for line in first.lines]
    assert kinds == sorted(kinds, key=["staff", "benefits", "other"].index)
    assert [line.id for line in first.lines if line.kind == "other"] == [
        "vehicle", "naloxone", "data-system", "training"]


def test_benefits_are_the_published_share_of_the_staff_lines() -> None:
    estimate = costs.estimate(KB, "active-outreach", "large")
    benefits = next(line for line in estimate.lines if line.kind == "benefits")
    staff_low = sum(line.low for line in estimate.staff_lines)
    staff_high = sum(line.high for line in estimate.staff_lines)
    assert benefits.low == costs._money(KB.costs.benefits.low * staff_low)  # type: ignore[union-attr]
    assert benefits.high == costs._money(KB.costs.benefits.high * staff_high)  # type: ignore[union-attr]


def test_a_larger_place_costs_more() -> None:
    for pathway in KB.pathways:
        lows = [costs.estimate(KB, pathway, b.id).low for b in KB.matching.population_buckets]
        assert lows == sorted(lows), pathway


def test_a_local_wage_replaces_the_national_one_and_is_marked_local() -> None:
    national = costs.estimate(KB, "active-outreach", "medium")
    local = costs.estimate(KB, "active-outreach", "medium",
                           costs.Overrides(wages={"peer": 30000}))
    peer = next(line for line in local.lines if line.id == "peer")
    assert peer.local and peer.unit_cost == 30000 and peer.basis == "your figure"
    assert peer.low == costs._money(peer.fte_low * 30000)  # type: ignore[operator]
    assert local.low < national.low
    others = [line for line in local.lines if line.id not in {"peer", "benefits"}]
    assert all(not line.local for line in others)
    assert local.low == sum(line.low for line in local.lines)


def test_a_local_line_amount_replaces_the_line_and_totals_follow() -> None:
    local = costs.estimate(KB, "naloxone-plus", "small",
                           costs.Overrides(lines={"vehicle": 1234, "benefits": 50000}))
    vehicle = next(line for line in local.lines if line.id == "vehicle")
    benefits = next(line for line in local.lines if line.id == "benefits")
    assert (vehicle.low, vehicle.high, vehicle.local) == (1234, 1234, True)
    assert (benefits.low, benefits.high, benefits.local) == (50000, 50000, True)
    assert local.high == sum(line.high for line in local.lines)
    assert local.any_local


def test_the_wizard_answers_give_the_band_and_the_local_figures() -> None:
    raw = {"community-name": "Testville", "state": "wv", "population": "under-50k",
           "rurality": "rural", "lead-agency": "police", "existing-program": "no",
           "local-peer-wage": 41000, "local-budget": 250000}
    given = answers.validate(KB, raw, complete=False)
    assert costs.band_of(KB, read_profile(KB, given)) == "small"
    overrides = costs.overrides_from_answers(KB, read_profile(KB, given))
    assert overrides.budget == 250000
    assert set(overrides.wages) == {"peer", "case-manager"} and overrides.wages["peer"] == 41000
    estimate = costs.for_pathway(KB, read_profile(KB, given), "naloxone-plus")
    assert estimate is not None and estimate.budget == 250000
    without = answers.validate(KB, {k: v for k, v in raw.items() if not k.startswith("local")},
                               complete=False)
    assert costs.overrides_from_answers(KB, read_profile(KB, without)) == costs.Overrides()


def test_unknown_pathway_or_band_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no staffing model"):
        costs.estimate(KB, "no-such-pathway", "small")
    with pytest.raises(ValueError, match="population band"):
        costs.estimate(KB, "naloxone-plus", "enormous")


def _urls(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [u for k, v in value.items() for u in ([v] if k in {"url", "link"} else _urls(v))]
    if isinstance(value, list):
        return [u for v in value for u in _urls(v)]
    return []


@pytest.mark.parametrize("stem", ["costs", "starter_documents"])
def test_every_source_is_https_and_every_record_is_dated(stem: str) -> None:
    raw = loader.load_yaml((loader.default_root() / f"{stem}.yaml").read_text("utf-8"))
    urls = _urls(raw)
    assert urls
    assert all(urlsplit(u).scheme == "https" for u in urls), urls
    records = ([*raw["roles"], raw["benefits"], *raw["staffing"], *raw["non_staff"]]
               if stem == "costs" else raw["documents"])
    for record in records:
        assert record["as_of"] and record["sources"], record["id"]
        assert record.get("verified_on") or record.get("flags"), (
            f"{record['id']}: neither verified nor flagged")


def test_every_staffing_model_cites_real_programs_in_the_knowledge_base() -> None:
    assert KB.costs is not None
    for staffing in KB.costs.staffing.values():
        assert set(staffing.programs) <= set(KB.programs)
        if staffing.basis == "program":
            assert staffing.programs


# ------------------------------------------------------------------ validation


def _findings(broken_kb: BreakKnowledge, stem: str, edit: Any) -> list[str]:
    return [str(f) for f in loader.check(broken_kb(stem, edit))]


def _staffing(data: Any, rid: str) -> Any:
    return next(s for s in data["staffing"] if s["id"] == rid)


def test_fixture_costs_load(fixture_kb: Knowledge) -> None:
    estimate = costs.estimate(fixture_kb, "outreach", "large")
    assert [line.id for line in estimate.lines] == ["peer", "coordinator", "benefits",
                                                    "vehicle", "naloxone"]
    assert (estimate.lines[-1].low, estimate.lines[-1].high) == (5000, 9000)


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: _staffing(d, "staffing-walk-in").update(pathway="nowhere"),
     "costs.yaml: staffing-walk-in: pathway: unknown pathway 'nowhere'"),
    (lambda d: _staffing(d, "staffing-walk-in")["bands"][0].update(band="tiny"),
     "costs.yaml: staffing-walk-in: bands[0].band: unknown population band 'tiny'"),
    (lambda d: _staffing(d, "staffing-walk-in")["bands"].pop() and None,
     "costs.yaml: staffing-walk-in: bands: no staffing for population band 'large'"),
    (lambda d: _staffing(d, "staffing-walk-in")["bands"][0]["roles"][0].update(role="chef"),
     "costs.yaml: staffing-walk-in: bands[0].roles[0].role: unknown role 'chef'"),
    (lambda d: _staffing(d, "staffing-walk-in")["bands"][0]["roles"][0].update(low=3),
     "costs.yaml: staffing-walk-in: bands[0].roles[0]: low FTE is above high FTE"),
    (lambda d: _staffing(d, "staffing-walk-in").update(programs=["ghost-program"]),
     "costs.yaml: staffing-walk-in: programs[0]: unknown program 'ghost-program'"),
    (lambda d: d["staffing"].pop(2) and None,
     "costs.yaml: staffing: pathway 'intervention' has no staffing model"),
    (lambda d: d["roles"][0]["sources"][0].update(url="http://example.gov/wages/peer"),
     "costs.yaml: peer: sources[0].url: "),
    (lambda d: d["non_staff"][1]["by_band"][0].update(band="tiny"),
     "costs.yaml: naloxone: by_band[0].band: unknown population band 'tiny'"),
    (lambda d: d.update(local_questions={"wage": "no-such-question"}),
     "costs.yaml: local_questions.wage: unknown question 'no-such-question'"),
    (lambda d: d.update(local_questions={"budget": "community-name"}),
     "costs.yaml: local_questions.budget: question 'community-name' must be a number question"),
])
def test_planner_check_names_each_cost_problem(broken_kb: BreakKnowledge, edit: Any,
                                               expected: str) -> None:
    findings = _findings(broken_kb, "costs", edit)
    assert any(f.startswith(expected) for f in findings), findings


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda d: d["documents"][0].update(pathways=["nowhere"]),
     "starter_documents.yaml: mou-outline: pathways[0]: unknown pathway 'nowhere'"),
    (lambda d: d["documents"][0].update(purpose="For {town}."),
     "starter_documents.yaml: mou-outline: purpose: unknown placeholder {town}"),
    (lambda d: d["documents"].pop(3) and None,
     "starter_documents.yaml: documents: pathway 'walk-in' has no starter document of kind "
     "'form'"),
])
def test_planner_check_names_each_starter_document_problem(broken_kb: BreakKnowledge,
                                                           edit: Any, expected: str) -> None:
    assert expected in _findings(broken_kb, "starter_documents", edit)


SCENARIO_FILES = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_the_plans_staff_shown_times_the_wage_is_the_dollars_shown(path: Path) -> None:
    """The FTE the plan prints, times the role's wage, gives the dollars it prints (0.25 was
    once printed as "0.2" beside dollars worked out from 0.25)."""
    import html as htmllib
    import re

    import yaml

    from planner.documents import report
    from planner.engine import plan

    given = answers.validate(KB, yaml.safe_load(path.read_text())["answers"], complete=False)
    profile = read_profile(KB, given)
    page = report.render_plan_html(KB, plan.build(KB, profile), profile)
    assert KB.costs is not None
    roles = {r.label: r for r in KB.costs.roles.values()}
    table = page.split('<table class="cost">', 1)[1].split("</table>", 1)[0]
    checked = 0
    for label, fte, low, high in re.findall(
            r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"num\">\$([\d,]+)</td>"
            r"<td class=\"num\">\$([\d,]+)</td></tr>", table):
        role = roles.get(htmllib.unescape(label))
        if role is None or not fte:
            continue
        parts = [float(x) for x in fte.split(" to ")]
        shown = (int(low.replace(",", "")), int(high.replace(",", "")))
        assert shown == (costs._money(parts[0] * role.annual_wage),
                         costs._money(parts[-1] * role.annual_wage)), (label, fte, shown)
        checked += 1
    assert checked >= 1


def test_the_cost_in_the_plan_names_its_wage_source_and_the_communitys_budget() -> None:
    import datetime as dt

    from planner.documents import report
    from planner.engine import plan

    path = SCENARIO_FILES[0]
    import yaml

    raw = yaml.safe_load(path.read_text())["answers"]
    given = answers.validate(KB, {**raw, "local-budget": 120000}, complete=False)
    profile = read_profile(KB, given)
    page = report.render_plan_html(KB, plan.build(KB, profile), profile,
                                   generated=dt.date(2026, 11, 25))
    brief = page.split('id="brief"', 1)[1].split("</section>", 1)[0]
    assert "Bureau of Labor Statistics" in brief and "May 2023" in brief
    assert "The first-year money you expect, $120,000," in brief
