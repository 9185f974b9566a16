"""Invariants of the starter plan, over every scenario, the case files and generated answers
(hypothesis):

- the launch waits for every step planned before it (no step before launch outside the
  launch's prerequisites), and for the steps that establish the pathway's critical elements;
  a step never starts before what it waits for ends;
- a step's lead is a partner the community named who takes part in it;
- steps the answers say are done are marked done and not scheduled;
- no partner is both missing and at the table; a pathway added to a running program builds
  on what the community has, and its new partners are not at the table;
- the lead agency never signs agreements with itself;
- the brief's reasons and margins are the body's (one source; "leads by N points" is the
  difference of the table's whole scores); a close call names its runner-up;
- FTE x wage = the dollars shown, and the total is the sum of the lines (the brief's
  staffing and cost are the body's, the Word copy's and the sizing's: tests/test_staffing.py);
- the Word copy has every section of the PDF;
- every table fits inside the page margins (measured in WeasyPrint's layout)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pagefit
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from test_scoring_properties import PROPS, answer_sets

from planner.documents import brief, docx_export, report
from planner.engine import actions, answers, costs, plan, staffing
from planner.engine.graph import LAUNCH, PRE_LAUNCH
from planner.engine.profile import read_profile
from planner.knowledge import loader

KB = loader.load_default()
ROOT = Path(__file__).parent
FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
START = dt.date(2027, 1, 4)


def _given(path: Path) -> dict[str, Any]:
    if path.suffix == ".json":
        return answers.read_file(KB, json.loads(path.read_text()), complete=False).answers
    return answers.validate(KB, yaml.safe_load(path.read_text())["answers"], complete=False)


CASES = [pytest.param(p, id=p.stem) for p in FILES] + [
    pytest.param(ROOT / "fixtures" / "answers" / "huntington.json", id="huntington"),
    # The plan-review case of a rural Kentucky county led by its sheriff (answered from
    # scratch as a new user would; a copy of the project's shared case file).
    pytest.param(ROOT / "fixtures" / "answers" / "kentucky-rural-sheriff.json", id="kentucky"),
]


def check(given_answers: dict[str, Any]) -> None:
    profile = read_profile(KB, given_answers)
    built = plan.build(KB, profile)
    timeline = {t.task.id: t for t in built.timeline}
    launches = [t for t in built.timeline if t.task.phase == LAUNCH
                and not any(timeline[w].task.phase == LAUNCH for w in t.waits_for)]
    for launch in launches:
        for t in built.timeline:
            if t.task.phase in PRE_LAUNCH:
                # Every step planned before launch ends before it, slack included.
                assert t.finish + t.slack <= launch.start, (t.task.id, launch.task.id)
        for detail in built.recommended:
            for element in detail.score.pathway.element_ids:
                for t in built.timeline:
                    if element in t.task.builds and t.task.phase in PRE_LAUNCH:
                        assert t.finish <= launch.start, (element, t.task.id)
    for t in built.timeline:
        for w in t.waits_for:
            assert timeline[w].finish <= t.start, (w, t.task.id)
    named = plan.named_partners(KB, profile)
    rows = actions.action_plan(KB, built.timeline, profile, named, START)
    for row in rows:
        task = KB.tasks[row.task_id]
        if row.lead_id is None:
            assert row.lead == actions.TO_ASSIGN
            assert not set(task.partners) & named
        else:
            lead_agency = profile.lead_agency
            assert row.lead_id in named
            assert row.lead_id in task.partners or (row.lead_id == lead_agency
                                                    and actions.lead_agency_step(task))
            if lead_agency in named and (lead_agency in task.partners
                                         or actions.lead_agency_step(task)):
                # The lead agency leads convening, the assessment, the choice and the
                # launch, and the steps it takes part in.
                assert row.lead_id == lead_agency, row.task_id


@pytest.mark.parametrize("path", CASES)
def test_every_case_plan_holds(path: Path) -> None:
    check(_given(path))


@PROPS
@given(answer_sets())
def test_generated_plans_hold(given_answers: dict[str, Any]) -> None:
    check(given_answers)


def test_the_launch_waits_for_the_steps_that_define_the_pathway() -> None:
    # Officer Intervention: the prosecutor agreement; Naloxone Plus: the overdose feed;
    # Community Response: the responder team.
    for pathway, task in (("officer-intervention", "task-negotiate-prosecutor-agreement"),
                          ("naloxone-plus", "task-build-overdose-notification-feed"),
                          ("community-response", "task-staff-community-responder-team")):
        timeline = {t.task.id: t for t in plan._schedule_for(KB, (pathway,), None)}
        launch = timeline["task-soft-launch"]
        assert timeline[task].finish <= launch.start
        assert timeline[task].finish + timeline[task].slack <= launch.start


def test_a_sheriff_led_county_is_not_asked_for_a_police_department() -> None:
    named = frozenset({"sheriff", "treatment-provider"})
    for pathway in ("officer-intervention", "first-responder-referral", "self-referral"):
        team = plan.stakeholders(KB, KB.pathways[pathway], named, frozenset())
        police = next(s for s in team if s.partner_id == "police")
        assert police.status == "covered", pathway  # the sheriff stands in: not "missing"


def test_a_sheriff_as_lead_agency_leads_the_steps_law_enforcement_takes_part_in() -> None:
    named = frozenset({"sheriff", "fire-ems", "treatment-provider"})
    led = {tid: actions.lead_for(KB, task.partners, named, "sheriff")[0]
           for tid, task in KB.tasks.items()}
    for tid in ("task-convene-planning-team", "task-define-problem-with-data",
                "task-choose-starting-pathway", "task-soft-launch",
                "task-set-intervention-eligibility"):
        assert led[tid] == "sheriff", tid
    # Each partner leads in its own domain: treatment capacity stays with treatment.
    assert led["task-secure-treatment-capacity"] == "treatment-provider"


# ------------------------------------------------- one plan, consistent with itself


def _roles_and_numbers(given_answers: dict[str, Any]) -> None:
    """What the plan says about partners, steps done, reasons, margins and money agrees
    with the answers and with itself."""
    profile = read_profile(KB, given_answers)
    built = plan.build(KB, profile)
    named = plan.named_partners(KB, profile)
    facts = set(profile.facts)
    scheduled = {t.task.id for t in built.timeline}
    # Steps the answers say are done are marked done and not scheduled.
    for task in built.done:
        assert task.id not in scheduled and task.builds and set(task.builds) <= facts, task.id
    for t in built.timeline:
        if t.task.builds and t.task.phase != "convene" and set(t.task.builds) <= facts:
            # Only a program adding a pathway schedules its own training anew.
            assert built.top is not None and built.top.delta is not None, t.task.id
            assert plan.TRAINING in t.task.builds, t.task.id
    for detail in built.recommended:
        # No partner both missing and at the table.
        for st in detail.stakeholders:
            assert not (st.status == "missing" and st.partner_id in named), st.partner_id
        delta = detail.delta
        if delta is not None:
            assert not set(delta.new_partners) & named
            assert set(delta.builds_on) <= named | facts
            assert set(delta.new_tasks) == scheduled
            assert {"task-soft-launch", "task-train-responders"} <= scheduled
    top = built.top
    if top is None:
        return
    rows = actions.action_plan(KB, built.timeline, profile, named, START)
    made = brief.build_brief(KB, built, profile, rows, START)
    assert made is not None
    # The lead agency never signs agreements with itself; nobody is both asked to join and
    # already signing.
    lead = profile.lead_agency
    labels = {st.partner_id: st.label for st in top.stakeholders}
    signing = [d for d in made.decision if d.startswith("Let the lead agency sign")]
    joining = [d for d in made.decision if d.startswith("Ask these partners to join")]
    for line in signing:
        listed = line.split(": ", 1)[1].rstrip(".").split("; ")
        assert lead is None or labels.get(lead) not in listed
        for other in joining:
            assert not set(listed) & set(other.split(": ", 1)[1].rstrip(".").split("; "))
    # One source for the reasons; the brief's margins are the tables' numbers.
    assert made.reasons == tuple(plan.reason_words(c) for c in plan.top_reasons(KB, top.score))
    candidates = built.ranking.candidates
    if len(candidates) > 1 and not built.stability.tied:
        shown = int(f"{candidates[0].score:.0f}") - int(f"{candidates[1].score:.0f}")
        words = report.lead_words(KB, built)
        if shown:
            assert words.endswith(f"by {shown} point{'s' if shown != 1 else ''}."), words
        else:
            assert "less than 1 point" in words, words
    for w in built.why_not:
        other = next(s for s in candidates if s.pathway.id == w.pathway_id)
        shown = int(f"{candidates[0].score:.0f}") - int(f"{other.score:.0f}")
        assert w.behind == shown or (shown == 0 and abs(w.behind) < 0.5), w.pathway_id
    if built.stability.status == "close-call" and len(candidates) > 1:
        assert "talk over " in made.how_sure  # a close call names its runner-up
    if built.stability.status == "stable" and made.check_first:
        assert "seldom" in made.check_first_note  # no "clear lead" beside a bare warning
    # FTE x wage = the dollars shown (the one estimate every page shows: the sizing's where
    # the pathway can be sized); the total is the sum of the lines.
    estimate = staffing.estimate(KB, profile, top.score.pathway.id)
    if estimate is not None:
        for line in estimate.staff_lines:
            assert line.unit_cost is not None and line.fte_low is not None
            assert line.fte_high is not None
            if not line.local:
                assert line.low == int(line.fte_low * line.unit_cost + 0.5), line.id
                assert line.high == int(line.fte_high * line.unit_cost + 0.5), line.id
            # The FTE words shown are the FTE priced.
            assert costs.fte_range(line.fte_low, line.fte_high).split(" to ") == [
                f"{x:g}" for x in dict.fromkeys((line.fte_low, line.fte_high))]
        assert estimate.low == sum(x.low for x in estimate.lines)
        assert estimate.high == sum(x.high for x in estimate.lines)
    # When no mentor site runs the pathway, the plan offers the nearest help.
    for detail in built.recommended:
        assert detail.mentors or detail.peer_help or detail.programs, detail.score.pathway.id


@pytest.mark.parametrize("path", CASES)
def test_every_case_plan_is_consistent(path: Path) -> None:
    _roles_and_numbers(_given(path))


@PROPS
@given(answer_sets())
def test_generated_plans_are_consistent(given_answers: dict[str, Any]) -> None:
    _roles_and_numbers(given_answers)


def test_plymouth_adds_a_pathway_from_what_it_has() -> None:
    path = ROOT / "scenarios" / "plymouth-adds-pathway.yaml"
    profile = read_profile(KB, _given(path))
    built = plan.build(KB, profile)
    detail = built.recommended[0]
    delta = detail.delta
    assert delta is not None
    # Agreed in writing: the prosecutor agreement is neither scheduled nor a new partner.
    steps = [t.task.id for t in built.timeline]
    assert "task-negotiate-prosecutor-agreement" not in steps
    assert "prosecutor" not in delta.new_partners and "sheriff" not in delta.builds_on
    # The new pathway's training and its launch are scheduled; priced as an increment.
    assert "task-train-responders" in steps and "task-soft-launch" in steps
    assert steps.index("task-train-responders") < steps.index("task-soft-launch")
    increment = costs.for_pathway(KB, profile, "officer-intervention")
    whole = costs.estimate(KB, "officer-intervention", profile.bucket or "")
    assert increment is not None and increment.adds_to == ("naloxone-plus",)
    assert increment.high < whole.high
    rows = actions.action_plan(KB, built.timeline, profile, plan.named_partners(KB, profile),
                               START)
    made = brief.build_brief(KB, built, profile, rows, START)
    assert made is not None
    assert not any("Police department" in d for d in made.decision
                   if d.startswith("Let the lead agency sign"))


def test_kentucky_roles_follow_function() -> None:
    profile = read_profile(KB, _given(ROOT / "fixtures" / "answers" /
                                      "kentucky-rural-sheriff.json"))
    built = plan.build(KB, profile)
    rows = actions.action_plan(KB, built.timeline, profile, plan.named_partners(KB, profile),
                               START)
    leads = [r.lead_id for r in rows]
    # Fire/EMS leads no step of a law-enforcement pathway here; the sheriff leads
    # convening, defining the problem, choosing the pathway and the launch.
    assert leads.count("fire-ems") == 0
    by_task = {r.task_id: r.lead_id for r in rows}
    for tid in ("task-convene-planning-team", "task-define-problem-with-data",
                "task-choose-starting-pathway", "task-soft-launch"):
        assert by_task[tid] == "sheriff", tid
    # Transport was answered "yes": the step is done, not scheduled.
    assert "task-arrange-transport" in {t.id for t in built.done}


# ----------------------------------------------------- the documents, as rendered

# The PDF's "More funding to look at" is the Word copy's "Funding" list (which holds the
# brief's funding and the rest); the funding sections belong to the funding work.
SAME_SECTION = {"More funding to look at": "Funding"}


def _documents(given_answers: dict[str, Any]) -> tuple[str, bytes]:
    profile = read_profile(KB, given_answers)
    built = plan.build(KB, profile)
    html = report.render_plan_html(KB, built, profile, for_pdf=True, start=START,
                                   generated=dt.date(2026, 11, 25))
    ctx = docx_export.context(KB, built, profile, start=START,
                              generated=dt.date(2026, 11, 25))
    return html, docx_export.render(ctx)


def _word_has_every_pdf_section(given_answers: dict[str, Any]) -> None:
    html, docx = _documents(given_answers)
    word = set(pagefit.docx_headings(docx))
    for heading in pagefit.html_headings(html):
        assert SAME_SECTION.get(heading, heading) in word, heading


@pytest.mark.parametrize("path", CASES)
def test_the_word_copy_has_every_section_of_the_pdf(path: Path) -> None:
    _word_has_every_pdf_section(_given(path))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets())
def test_generated_word_copies_have_every_section_of_the_pdf(
        given_answers: dict[str, Any]) -> None:
    _word_has_every_pdf_section(given_answers)


@pytest.mark.slow
@pytest.mark.parametrize("path", CASES)
def test_every_table_fits_inside_the_page_margins(path: Path) -> None:
    html, _ = _documents(_given(path))
    assert pagefit.overflows(html) == [], path.stem


@pytest.mark.slow
def test_the_page_measure_finds_a_table_past_the_margin() -> None:
    html, _ = _documents(_given(CASES[0].values[0]))
    wide = html.replace("</style>", "table.actions { width: 120%; }</style>", 1)
    assert any(o.box == "TableBox" for o in pagefit.overflows(wide))
