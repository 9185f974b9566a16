"""The assembled plan: task schedule, critical path, buckets, matching, delta plans."""

from __future__ import annotations

import pytest

from planner.engine import answers, graph, plan
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

PROFILE = {"community-name": "Huntington", "state": "wv", "population": "50k-250k",
           "rurality": "mixed", "lead-agency": "local-government", "existing-program": "no",
           "overdoses": "many", "overdose-data": "yes", "peers": "yes", "moud": "yes",
           "partners": ("police", "fire-ems")}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


@pytest.fixture(scope="module")
def built(kb: Knowledge) -> plan.Plan:
    return plan.build(kb, read_profile(kb, answers.validate(kb, PROFILE)))


def test_tasks_start_after_everything_they_depend_on(kb: Knowledge, built: plan.Plan) -> None:
    finish = {t.task.id: t.finish for t in built.timeline}
    for t in built.timeline:
        for dep in t.task.depends_on:
            assert dep in finish, f"{t.task.id} depends on {dep}, which is missing"
            assert t.start >= finish[dep]


def test_every_zero_slack_task_is_critical_and_forms_chains_to_the_end(built: plan.Plan) -> None:
    """Critical means no slack, for every task: equally long chains are all marked, so the
    marking cannot depend on which tied chain a library happens to pick."""
    assert all(t.critical == (t.slack == 0) for t in built.timeline)
    critical = {t.task.id: t for t in built.timeline if t.critical}
    end = max(t.finish for t in built.timeline)
    assert critical and any(t.finish == end for t in critical.values())
    for t in critical.values():
        if t.start > 0:  # its start is set by a critical dependency that finishes then
            assert any(d in critical and critical[d].finish == t.start
                       for d in t.task.depends_on), t.task.id
    # Two chains tie in the Huntington plan; both are marked.
    assert {"task-secure-treatment-capacity", "task-visit-mentor-site"} <= set(critical)


def test_only_tasks_for_the_chosen_pathway_or_all_pathways_are_planned(built: plan.Plan) -> None:
    chosen = built.recommended[0].score.pathway.id
    assert chosen == "naloxone-plus"
    assert all(not t.task.pathways or chosen in t.task.pathways for t in built.timeline)
    assert any(chosen in t.task.pathways for t in built.timeline)


def test_buckets_hold_tasks_by_start_day(built: plan.Plan) -> None:
    (_l30, first), (_l60, second), (_l90, third) = built.buckets
    assert all(t.start < 30 for t in first) and first
    assert all(30 <= t.start < 60 for t in second)
    assert all(60 <= t.start < 90 for t in third)
    assert built.first_actions[0].start == 0


def test_a_task_and_its_prerequisites_end_with_that_task_on_the_critical_path(
    kb: Knowledge,
) -> None:
    ids = graph.task_closure(kb, ["task-soft-launch"])
    timeline = graph.schedule(kb, ids)
    last = max(timeline, key=lambda t: t.finish)
    assert last.task.id == "task-soft-launch" and last.critical
    assert len(ids) > 1 and {t.task.id for t in timeline} == ids


def test_mentor_sites_match_the_pathway_and_say_why(built: plan.Plan, kb: Knowledge) -> None:
    mentors = built.recommended[0].mentors
    assert mentors
    for m in mentors:
        assert m.reasons
    for m in mentors:
        site = kb.mentor_sites[m.id]
        assert "naloxone-plus" in kb.programs[site.program].primary_pathways
        assert any("built around Naloxone Plus" in r for r in m.reasons)


def test_gaps_come_with_tta_resources_that_help_close_them(built: plan.Plan,
                                                          kb: Knowledge) -> None:
    for gap_help in built.recommended[0].gaps:
        for match in gap_help.tta:
            assert gap_help.gap.resource_id in kb.tta[match.id].helps_with


def test_stakeholder_map_marks_partners_the_community_has(built: plan.Plan) -> None:
    stakeholders = {s.partner_id: s for s in built.recommended[0].stakeholders}
    assert stakeholders["fire-ems"].present
    assert any(not s.present for s in stakeholders.values())


def test_an_existing_program_gets_a_delta_plan_with_only_what_is_new(kb: Knowledge) -> None:
    existing = {**PROFILE, "existing-program": "yes", "running-pathways": ("naloxone-plus",),
                "possession-arrests": "often", "prosecutor": "agreed",
                "goals": ("fewer-arrests",)}
    built = plan.build(kb, read_profile(kb, answers.validate(kb, existing)))
    detail = built.recommended[0]
    assert detail.score.pathway.id == "officer-intervention"
    delta = detail.delta
    assert delta is not None
    # New partners are only those missing from the table: the prosecutor agreed in
    # writing (its part is covered), so it is not asked to join again.
    team = {st.partner_id: st for st in detail.stakeholders}
    assert "prosecutor" not in delta.new_partners
    assert delta.new_partners and all(team[p].status == "missing" for p in delta.new_partners)
    # Builds on only what the community has: partners it named and elements in place.
    profile = read_profile(kb, answers.validate(kb, existing))
    assert delta.builds_on and all(x in plan.named_partners(kb, profile) or x in profile.facts
                                   for x in delta.builds_on)
    assert set(delta.new_elements) == {g.resource_id for g in detail.score.gaps}
    # Only what is new: the pathway's own steps, its training and its launch; the written
    # prosecutor agreement is done, so it is not scheduled.
    scheduled = {t.task.id for t in built.timeline}
    assert scheduled == set(delta.new_tasks)
    assert "task-negotiate-prosecutor-agreement" not in scheduled
    assert {"task-set-intervention-eligibility", "task-train-responders",
            "task-soft-launch"} <= scheduled
    assert not scheduled & {t.id for t in kb.tasks.values() if "naloxone-plus" in t.pathways}
    assert "task-convene-planning-team" not in scheduled


def test_sources_are_deduplicated_and_never_mirrors(built: plan.Plan) -> None:
    urls = [s.url for s in built.sources]
    assert len(urls) == len(set(urls)) and urls
    assert all(s.kind != "mirror" for s in built.sources)


def test_a_consultant_can_choose_another_pathway_without_changing_the_ranking(
    kb: Knowledge,
) -> None:
    given = answers.validate(kb, PROFILE)
    chosen = plan.build(kb, read_profile(kb, given), choose="active-outreach")
    assert chosen.recommended[0].score.pathway.id == "active-outreach"
    assert chosen.ranking.top is not None
    assert chosen.ranking.top.pathway.id == "naloxone-plus"
    assert all(t.task.applies_to("active-outreach") for t in chosen.timeline)
    with pytest.raises(ValueError, match="not a pathway"):
        plan.build(kb, read_profile(kb, given), choose="no-such-pathway")
