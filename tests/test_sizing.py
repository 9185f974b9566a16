"""Sizing (issue 30): every figure names its assumptions and every assumption its source;
more overdoses mean more Naloxone Plus contacts and staff; a larger caseload means fewer FTE;
every low is at or below its high; both fixtures get a sizing; the CLI prints the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli import main
from planner.engine import sizing
from planner.engine.answers import read_file
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge import loader
from planner.knowledge.validation import cross_findings

KB = loader.load_default()
FIXTURES = Path(__file__).parent / "fixtures" / "answers"
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _profile(name: str) -> CommunityProfile:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return read_profile(KB, read_file(KB, data).answers)


KENTUCKY = _profile("kentucky-rural-sheriff.json")
HUNTINGTON = _profile("huntington.json")
PROFILES = {"kentucky": KENTUCKY, "huntington": HUNTINGTON}
SIZABLE = sizing.sizable(KB)
ASSUMPTION_IDS = sorted(KB.sizing.assumptions) if KB.sizing else []


def _check_traceable(result: sizing.Sizing) -> None:
    known = {a.id: a for a in result.assumptions}
    assert len(known) == len(result.assumptions), "an assumption is listed twice"
    for figure in result.figures:
        assert figure.assumptions, f"{figure.id} names no assumption"
        for aid in figure.assumptions:
            assert aid in known, f"{figure.id} rests on '{aid}', which is not listed"
    for a in result.assumptions:
        assert a.sources and all(s.label for s in a.sources), f"{a.id} has no source"
        if a.origin == sizing.PUBLISHED:
            assert all(s.url and s.url.startswith("https://") for s in a.sources), a.id
        else:
            assert a.origin == sizing.YOURS
    # every assumption listed is used by some figure
    used = {aid for f in result.figures for aid in f.assumptions}
    assert set(known) == used, set(known) ^ used


def _check_ordered(result: sizing.Sizing) -> None:
    for figure in result.figures:
        assert 0 <= figure.low <= figure.high, figure
    for role in result.roles:
        assert 0 <= role.low <= role.high, role
    for a in result.assumptions:
        assert 0 <= a.low <= a.high, a


def test_both_fixtures_are_sized_for_their_top_pathway() -> None:
    for who, pathway in ((KENTUCKY, "officer-intervention"), (HUNTINGTON, "naloxone-plus")):
        result = sizing.estimate(KB, who, pathway)
        assert result.first_year_cost is not None
        assert result.contacts.high > 0 and result.staff_fte.high > 0
        _check_traceable(result)
        _check_ordered(result)


@pytest.mark.parametrize("who", sorted(PROFILES))
@pytest.mark.parametrize("pathway", SIZABLE)
def test_every_sizable_pathway_is_traceable_and_ordered(who: str, pathway: str) -> None:
    result = sizing.estimate(KB, PROFILES[who], pathway)
    _check_traceable(result)
    _check_ordered(result)
    assert result.treatment.high <= result.engaged.high <= result.referred.high \
        <= result.contacts.high


ranges = st.tuples(st.floats(0.01, 5000), st.floats(0.01, 5000)).map(
    lambda t: (min(t), max(t)))


@PROPS
@given(pathway=st.sampled_from(SIZABLE), who=st.sampled_from(sorted(PROFILES)),
       changes=st.dictionaries(st.sampled_from([*ASSUMPTION_IDS, "population", "contacts"]),
                               ranges, max_size=4))
def test_any_replaced_assumptions_stay_traceable_and_ordered(
        pathway: str, who: str, changes: dict[str, tuple[float, float]]) -> None:
    fixed = {k: ((min(v[0], 1.0), min(v[1], 1.0))
                 if KB.sizing and k in KB.sizing.assumptions
                 and KB.sizing.assumptions[k].unit == "share" else v)
             for k, v in changes.items()}
    result = sizing.estimate(KB, PROFILES[who], pathway, fixed)
    _check_traceable(result)
    _check_ordered(result)
    for key in fixed:
        if any(a.id == key for a in result.assumptions):
            assert result.assumption(key).origin == sizing.YOURS


def test_all_six_pathways_can_be_sized_in_chjs_order() -> None:
    assert tuple(p.id for p in KB.pathways_in_order) == SIZABLE
    assert len(SIZABLE) == 6


def _direct(result: sizing.Sizing) -> tuple[float, float]:
    return (sum(r.low for r in result.roles if r.scales),
            sum(r.high for r in result.roles if r.scales))


@pytest.mark.parametrize("pathway", SIZABLE)
def test_every_pathway_has_a_smallest_team_that_a_tiny_count_cannot_undercut(
        pathway: str) -> None:
    spec = KB.sizing.for_pathway(pathway) if KB.sizing else None
    assert spec is not None and spec.staff.minimum is not None, pathway
    record = KB.sizing.assumptions[spec.staff.minimum] if KB.sizing else None
    assert record is not None and record.unit == "fte" and record.low > 0
    # its source, and an honest date: verified, or checked with a flag saying what is not
    assert record.sources and (record.verified_on or (record.checked_on and record.flags))
    for who in PROFILES.values():
        tiny = sizing.estimate(KB, who, pathway, {"contacts": 1.0})
        low, high = _direct(tiny)
        assert low >= record.low - 1e-9 and high >= record.high - 1e-9
        assert spec.staff.minimum in tiny.staff_fte.assumptions
        assert tiny.assumption(spec.staff.minimum).sources
        assert tiny.staff_fte.low >= record.low


@PROPS
@given(pathway=st.sampled_from(SIZABLE), who=st.sampled_from(sorted(PROFILES)),
       fewer=st.integers(0, 100000), more=st.integers(0, 100000))
def test_more_contacts_mean_more_staff_on_every_pathway(
        pathway: str, who: str, fewer: int, more: int) -> None:
    fewer, more = min(fewer, more), max(fewer, more)
    low = sizing.estimate(KB, PROFILES[who], pathway, {"contacts": float(fewer)})
    high = sizing.estimate(KB, PROFILES[who], pathway, {"contacts": float(more)})
    assert (low.contacts.low, high.contacts.high) == (fewer, more)
    for a, b in ((low.referred, high.referred), (low.engaged, high.engaged),
                 (low.treatment, high.treatment), (low.staff_fte, high.staff_fte)):
        assert a.low <= b.low and a.high <= b.high, (a, b)
    assert low.first_year_cost and high.first_year_cost
    assert low.first_year_cost.low <= high.first_year_cost.low
    assert low.first_year_cost.high <= high.first_year_cost.high
    for result in (low, high):
        _check_traceable(result)
        _check_ordered(result)


@PROPS
@given(who=st.sampled_from(sorted(PROFILES)), fewer=st.integers(0, 20000),
       more=st.integers(0, 20000))
def test_more_overdoses_mean_more_naloxone_plus_contacts_and_staff(
        who: str, fewer: int, more: int) -> None:
    fewer, more = min(fewer, more), max(fewer, more)
    base = PROFILES[who]
    low = sizing.estimate(KB, base.with_answer("count-overdose-runs", fewer), "naloxone-plus")
    high = sizing.estimate(KB, base.with_answer("count-overdose-runs", more), "naloxone-plus")
    assert low.contacts.low == fewer and high.contacts.high == more  # the community's count
    assert low.contacts.assumptions == ("contacts",)
    for a, b in ((low.contacts, high.contacts), (low.staff_fte, high.staff_fte)):
        assert a.low <= b.low and a.high <= b.high
    if more >= fewer + 1000:  # a thousand more runs need more staff at any reach
        assert high.staff_fte.low > low.staff_fte.low
        assert high.staff_fte.high > low.staff_fte.high
    assert (low.first_year_cost and high.first_year_cost
            and low.first_year_cost.high <= high.first_year_cost.high)


@PROPS
@given(pathway=st.sampled_from(SIZABLE), who=st.sampled_from(sorted(PROFILES)),
       small=st.floats(1, 500), large=st.floats(1, 500), count=st.integers(50, 50000))
def test_a_larger_caseload_means_fewer_staff(pathway: str, who: str, small: float,
                                             large: float, count: int) -> None:
    small, large = min(small, large), max(small, large)
    spec = KB.sizing.for_pathway(pathway) if KB.sizing else None
    assert spec is not None
    key = spec.staff.reach or spec.staff.caseload
    assert key is not None
    given_count = {"contacts": float(count)}
    few = sizing.estimate(KB, PROFILES[who], pathway, {**given_count, key: large})
    many = sizing.estimate(KB, PROFILES[who], pathway, {**given_count, key: small})
    assert few.staff_fte.low <= many.staff_fte.low and few.staff_fte.high <= many.staff_fte.high
    # without the smallest-team floor, a caseload twice as large shows in the staff
    no_floor = {**given_count, **({spec.staff.minimum: 0.01} if spec.staff.minimum else {})}
    few = sizing.estimate(KB, PROFILES[who], pathway, {**no_floor, key: large})
    many = sizing.estimate(KB, PROFILES[who], pathway, {**no_floor, key: small})
    if large >= 2 * small and many.staff_fte.high - few.staff_fte.high < 0.05:
        # only the rounding (0.05 FTE) or the fixed posts can hide the difference
        direct = sum(r.high for r in many.roles if r.scales)
        assert direct <= 0.1


def test_your_own_count_comes_first_and_is_marked_yours() -> None:
    counted = sizing.estimate(KB, HUNTINGTON.with_answer("count-overdose-runs", 1831),
                              "naloxone-plus")
    assert (counted.contacts.low, counted.contacts.high) == (1831, 1831)
    assert counted.assumption("contacts").origin == sizing.YOURS
    assert "overdose-runs-rate" not in {a.id for a in counted.assumptions}
    rated = sizing.estimate(KB, HUNTINGTON, "naloxone-plus")
    assert rated.contacts.assumptions == ("population", "overdose-runs-rate")
    people = sizing.estimate(KB, KENTUCKY.with_answer("count-population", 30000),
                             "officer-intervention")
    assert people.assumption("population").origin == sizing.YOURS
    assert people.assumption("population").low == 30000


def test_a_local_wage_reaches_the_first_year_cost() -> None:
    base = sizing.estimate(KB, KENTUCKY, "officer-intervention")
    local = sizing.estimate(KB, KENTUCKY, "officer-intervention", {"wage-case-manager": 40000})
    assert local.assumption("wage-case-manager").origin == sizing.YOURS
    assert local.first_year_cost and base.first_year_cost
    assert local.first_year_cost.high < base.first_year_cost.high


def test_a_pathway_without_a_model_or_a_bad_figure_is_refused() -> None:
    with pytest.raises(ValueError, match="no sizing model"):
        sizing.estimate(KB, KENTUCKY, "no-such-pathway")
    with pytest.raises(ValueError, match="low at or below high"):
        sizing.estimate(KB, KENTUCKY, "naloxone-plus", {"contacts": (10.0, 5.0)})
    assert sizing.parse_override("contacts=10:20") == ("contacts", (10.0, 20.0))
    with pytest.raises(ValueError):
        sizing.parse_override("contacts")


def test_the_check_finds_bad_references_in_sizing() -> None:
    data = {stem: loader.load_yaml((loader.default_root() / f"{stem}.yaml").read_text(
        encoding="utf-8")) for stem in loader.FILES}
    data["sizing"]["pathways"][0]["staff"]["roles"] = ["nobody"]
    data["sizing"]["pathways"][0]["contacts"]["count_question"] = "community-name"
    found = {(f.record, f.field, f.message) for f in cross_findings(data)
             if f.file == "sizing.yaml"}
    pid = data["sizing"]["pathways"][0]["pathway"]
    assert (pid, "staff.roles[0]", "unknown role 'nobody'") in found
    assert (pid, "contacts.count_question",
            "question 'community-name' must be a number question") in found


def test_a_smallest_team_must_be_a_known_figure_in_fte() -> None:
    from planner.knowledge.model import SizingModel

    raw = loader.load_yaml((loader.default_root() / "sizing.yaml").read_text(encoding="utf-8"))
    first = raw["pathways"][0]
    assert loader.model_findings("sizing", raw, SizingModel)[1] == []
    first["staff"]["minimum"] = first["funnel"]["referred"]  # a share, not staff
    messages = [f.message for f in loader.model_findings("sizing", raw, SizingModel)[1]]
    assert any("must be in fte" in m for m in messages), messages
    first["staff"]["minimum"] = "no-such-figure"
    messages = [f.message for f in loader.model_findings("sizing", raw, SizingModel)[1]]
    assert any("no assumption 'no-such-figure'" in m for m in messages), messages


def test_cli_size_prints_the_figures_and_assumptions() -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["size", str(FIXTURES / "huntington.json"), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["pathway"] == "naloxone-plus"
    for key in ("contacts_per_year", "staff_fte", "first_year_cost"):
        assert data[key]["low"] <= data[key]["high"]
    assert data["assumptions"] and all({"id", "value", "source"} <= set(a)
                                       for a in data["assumptions"])
    chosen = runner.invoke(main, ["size", str(FIXTURES / "kentucky-rural-sheriff.json"),
                                  "--json", "--pathway", "naloxone-plus",
                                  "--set", "contacts=40"])
    assert chosen.exit_code == 0, chosen.output
    assert json.loads(chosen.output)["contacts_per_year"]["low"] == 40
    bad = runner.invoke(main, ["size", str(FIXTURES / "huntington.json"),
                               "--set", "naloxone-plus-reach=9:1"])
    assert bad.exit_code != 0 and "low at or below high" in bad.output
    text = runner.invoke(main, ["size", str(FIXTURES / "kentucky-rural-sheriff.json")])
    assert text.exit_code == 0 and "Staff (full-time equivalents)" in text.output


def test_a_community_response_team_is_sized_from_the_crisis_calls_counted() -> None:
    """The issue lists behavioral-health calls among a community's own counts: a community
    response team's contacts are the crisis calls it could take, counted by dispatch."""
    counted = sizing.estimate(KB, KENTUCKY.with_answer("count-behavioral-health-calls", 400),
                              "community-response")
    assert (counted.contacts.low, counted.contacts.high) == (400, 400)
    assert counted.assumption("contacts").origin == sizing.YOURS
    assert "community-response-rate" not in {a.id for a in counted.assumptions}
    rated = sizing.estimate(KB, KENTUCKY, "community-response")
    assert "community-response-rate" in {a.id for a in rated.assumptions}
