"""Assemble everything a community's results and starter plan show, from its answers.

The web pages, the CLI and the PDF all read this one structure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from planner.engine import funding, matching, scoring
from planner.engine.actions import default_start, hoped_start
from planner.engine.funding import FundingFit, PlanDates
from planner.engine.graph import LAUNCH, ScheduledTask, schedule, task_closure
from planner.engine.profile import CommunityProfile
from planner.engine.words import gap_reasons, n_points, shown_gap
from planner.knowledge.model import Knowledge, Measure, Pathway, Source, Task

BUCKETS = ((30, "First 30 days"), (60, "Days 31 to 60"), (90, "Days 61 to 90"))
# The critical element a pathway's own responder training builds: a program adding a
# pathway trains its responders for it even when they are trained for the one it runs.
TRAINING = "officer-training"


@dataclass(frozen=True)
class Stakeholder:
    """One partner on the stakeholder map.

    `status` is "named" (the community named it as a partner or as its lead), "covered"
    (not named, but every critical element of the pathway it usually provides is in place,
    so another partner does its part), or "missing". `essential` is None for a partner the
    community named that the pathway gives no set role.
    """

    partner_id: str
    label: str
    role: str
    essential: bool | None
    status: str
    # Partners of one group are alternatives: the pathway needs one of them, not all.
    group: str | None = None

    @property
    def present(self) -> bool:
        return self.status != "missing"

    @property
    def status_label(self) -> str:
        return {"named": "At the table", "covered": "Its part is covered by another partner",
                "missing": "Missing"}[self.status]


@dataclass(frozen=True)
class GapHelp:
    gap: scoring.Gap
    tta: tuple[matching.Match, ...]


@dataclass(frozen=True)
class Delta:
    """What adding a pathway to a running program needs that the program lacks.

    `builds_on`: the partners the community named and the critical elements it has that
    the new pathway shares with the running ones; `new_partners`: the new pathway's partners
    missing from the table; `new_elements`: its critical elements not in place;
    `new_tasks`: the steps scheduled (the pathway's own steps, the shared steps that build
    what is missing, its training, launch and first review), done steps left out."""

    builds_on: tuple[str, ...]
    new_partners: tuple[str, ...]
    new_elements: tuple[str, ...]
    new_tasks: tuple[str, ...]
    new_measures: tuple[str, ...]


@dataclass(frozen=True)
class PathwayDetail:
    """Everything shown for one recommended pathway."""

    score: scoring.PathwayScore
    gaps: tuple[GapHelp, ...]
    mentors: tuple[matching.Match, ...]
    programs: tuple[matching.Match, ...]
    tta: tuple[matching.Match, ...]
    funding: tuple[FundingFit, ...]  # with their standing on the plan's dates
    stakeholders: tuple[Stakeholder, ...]
    measures: tuple[Measure, ...]
    delta: Delta | None
    # When no mentor site runs the pathway: TTA offers of peer learning or a visit (empty
    # when there are mentor sites).
    peer_help: tuple[matching.Match, ...] = ()


@dataclass(frozen=True)
class WhyNot:
    pathway_id: str
    label: str
    behind: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """A consultant's reasoned override of the result: who chose which pathway, and why,
    beside what the model ranked first."""

    pathway: str
    reason: str
    by: str
    model_first: scoring.PathwayScore | None


@dataclass(frozen=True)
class Plan:
    community: str
    ranking: scoring.Ranking
    stability: scoring.Stability
    check_first: tuple[scoring.CheckFirst, ...]
    recommended: tuple[PathwayDetail, ...]
    why_not: tuple[WhyNot, ...]
    timeline: tuple[ScheduledTask, ...]
    buckets: tuple[tuple[str, tuple[ScheduledTask, ...]], ...]
    first_actions: tuple[ScheduledTask, ...]
    sources: tuple[Source, ...]
    choice: Choice | None = None
    dates: PlanDates | None = None  # the days the plan's money is judged on
    # The steps the answers say are done (every output in place), in file order: shown as
    # done, never scheduled.
    done: tuple[Task, ...] = ()

    @property
    def top(self) -> PathwayDetail | None:
        return self.recommended[0] if self.recommended else None


def done_tasks(kb: Knowledge, facts: frozenset[str], task_ids: set[str] | frozenset[str],
               *, adding: bool = False) -> frozenset[str]:
    """The steps the answers say are done: every output the step builds is in place.

    Convening is never taken as done (leaders who back the idea still meet as a planning
    team), nor, for a program adding a pathway, the new pathway's own training."""
    return frozenset(
        tid for tid in task_ids
        if (task := kb.tasks[tid]).builds and task.phase != "convene"
        and all(b in facts for b in task.builds)
        and not (adding and TRAINING in task.builds)
    )


def _addition_tasks(kb: Knowledge, pathway_id: str, running: tuple[str, ...],
                    missing: tuple[str, ...], new_partners: tuple[str, ...]) -> set[str]:
    """The steps adding a pathway takes: its own steps (none a running pathway shares), the
    shared steps that build one of its missing critical elements, its training, partner
    agreements when partners join, and its launch and first review."""
    out = set()
    for task in kb.tasks.values():
        if task.pathways:
            if pathway_id in task.pathways and not set(task.pathways) & set(running):
                out.add(task.id)
        elif (task.phase == LAUNCH or (task.phase == "sustain" and not task.builds)
              or set(task.builds) & set(missing) or TRAINING in task.builds
              or (new_partners and task.phase == "agree" and not task.builds)):
            out.add(task.id)
    return out


def _delta(kb: Knowledge, pathway_id: str, running: tuple[str, ...],
           shared: tuple[str, ...], facts: frozenset[str], named: frozenset[str],
           team: tuple[Stakeholder, ...], missing: tuple[str, ...]) -> Delta:
    new_partners = tuple(st.partner_id for st in team
                         if st.status == "missing" and st.essential is not None)
    wanted = _addition_tasks(kb, pathway_id, running, missing, new_partners)
    done = done_tasks(kb, facts, wanted, adding=True)
    tasks = tuple(t for t in kb.tasks if t in wanted and t not in done)
    measures = tuple(
        m.id for m in kb.measures.values()
        if pathway_id in m.pathways and not set(m.pathways) & set(running)
    )
    return Delta(
        builds_on=tuple(x for x in shared if x in named or x in facts),
        new_partners=new_partners,
        new_elements=missing,
        new_tasks=tasks,
        new_measures=measures,
    )


def stakeholders(kb: Knowledge, pathway: Pathway, named: frozenset[str],
                 met: frozenset[str]) -> tuple[Stakeholder, ...]:
    """The stakeholder map, from the same facts as the critical elements.

    The pathway's partners first (in its own order), then every other partner the community
    named, so that nothing the community said is left off the map.
    """
    out = []
    groups_named = {p.essential_group for p in pathway.partners
                    if p.essential_group and p.partner in named}
    for p in pathway.partners:
        provides = [e for e in pathway.element_ids if p.partner in kb.facts[e].provided_by]
        if p.partner in named:
            status = "named"
        elif (provides and all(e in met for e in provides)) or p.essential_group in groups_named:
            status = "covered"
        else:
            status = "missing"
        out.append(Stakeholder(p.partner, kb.facts[p.partner].label, p.role, p.essential,
                               status, p.essential_group))
    listed = set(pathway.partner_ids)
    for fact in sorted((kb.facts[f] for f in named if f not in listed
                        and kb.facts[f].kind == "partner"), key=lambda f: (f.label, f.id)):
        out.append(Stakeholder(fact.id, fact.label, "Named by you; no set role in this pathway",
                               None, "named"))
    return tuple(out)


def named_partners(kb: Knowledge, profile: CommunityProfile) -> frozenset[str]:
    """Partner ids the community named, its lead agency included."""
    named = {f for f in profile.facts if f in kb.facts and kb.facts[f].kind == "partner"}
    named.update(v for v in profile.value("lead_agency") if v in kb.facts)
    return frozenset(named)


def _detail(kb: Knowledge, who: CommunityProfile, s: scoring.PathwayScore,
            running: tuple[str, ...]) -> PathwayDetail:
    pid = s.pathway.id
    gap_ids = tuple(g.resource_id for g in s.gaps)
    named = named_partners(kb, who)
    team = stakeholders(kb, s.pathway, named, frozenset(s.met))
    missing = tuple(e for e in s.pathway.element_ids if e not in s.met)
    delta = (_delta(kb, pid, running, s.build_on_shared, frozenset(who.facts), named, team,
                    missing) if running else None)
    measures = tuple(
        m for m in kb.measures.values()
        if m.applies_to(pid) and (delta is None or m.id in delta.new_measures)
    )
    mentors = tuple(matching.mentor_sites(kb, who, pid))
    return PathwayDetail(
        score=s,
        gaps=tuple(GapHelp(g, tuple(matching.tta_for(kb, (g.resource_id,), pid, limit=2,
                                                     who=who)))
                   for g in s.gaps),
        mentors=mentors,
        programs=tuple(matching.similar_programs(kb, who, pid)),
        tta=tuple(matching.tta_for(kb, gap_ids or s.pathway.element_ids, pid, limit=5,
                                   who=who)),
        funding=(),  # set by build() once the plan's dates are known
        stakeholders=team,
        measures=measures,
        delta=delta,
        peer_help=() if mentors else tuple(matching.peer_learning(kb, who, pid)),
    )


def top_reasons(kb: Knowledge, score: scoring.PathwayScore,
                limit: int = 3) -> tuple[scoring.Contribution, ...]:
    """The answers that add most to a pathway, for the results page, the brief and the Word
    copy alike. The answers about the local problem are left out: the brief lists them as
    the problem, and they are in the full list of answers that helped."""
    problems = {q.id for q in kb.questions.values() if q.section == "problems"}
    return tuple(c for c in score.helped if c.question_id not in problems)[:limit]


def reason_words(c: scoring.Contribution) -> str:
    """A reason in the community's own words: the question and its answer, as a sentence."""
    text = f"{c.question} {c.answer}".strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _why_not(kb: Knowledge, top: scoring.PathwayScore, s: scoring.PathwayScore,
            said_before: set[str]) -> WhyNot:
    """Why a pathway ranks below the top one, in reasons particular to it.

    A reason already given for a pathway ranked above it is not repeated (`said_before`
    collects them, in ranking order)."""
    reasons = [f"{c.said} \u2014 {c.reason}" for c in s.hurt[:2]]
    # Critical elements not reported: "missing" only when the community said it lacks
    # them; "not known" for a "don't know" or a blank answer.
    gap_lines = gap_reasons([(g.label, g.unknown, g.answer_state) for g in s.gaps[:4]])
    reasons.extend(gap_lines)
    for c in top.helped[:3]:
        if not any(o.question_id == c.question_id and o.points > 0 for o in s.contributions):
            reasons.append(f"{c.said} \u2014 counts for {top.pathway.label} but not for "
                           "this pathway.")
            break
    if not s.contributions:
        reasons.append("Few of your answers bear on this pathway.")
    fresh = tuple(r for r in reasons if r not in said_before or r in gap_lines)
    said_before.update(fresh)
    if not fresh:
        fresh = (f"Scores {n_points(shown_gap(top.score, s.score))} below "
                 f"{top.pathway.label} for the reasons given above.",)
    return WhyNot(s.pathway.id, s.pathway.label, shown_gap(top.score, s.score), fresh)


def _plan_tasks(kb: Knowledge, pathway_ids: tuple[str, ...], delta: Delta | None,
                facts: frozenset[str]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The steps of the plan (ids, in file order) and those of them the answers say are
    done. For a program adding a pathway, only the new steps (the delta's, none done)."""
    if delta is not None:
        return delta.new_tasks, frozenset()
    wanted = [t.id for t in kb.tasks.values()
              if not t.pathways or set(t.pathways) & set(pathway_ids)]
    ids = task_closure(kb, wanted)
    return tuple(t for t in kb.tasks if t in ids), done_tasks(kb, facts, ids)


@lru_cache(maxsize=256)
def _schedule_for(kb: Knowledge, pathway_ids: tuple[str, ...],
                  new_tasks: tuple[str, ...] | None,
                  done: frozenset[str] = frozenset()) -> tuple[ScheduledTask, ...]:
    """The schedule of a plan for these pathways (or of only the tasks a running program
    lacks), done steps left out: a pure function of the knowledge base and a few ids, so it
    is worked out once per knowledge base and choice, like the scoring index (the items are
    immutable)."""
    if new_tasks is not None:
        ids: set[str] = set(new_tasks)
    else:
        wanted = [t.id for t in kb.tasks.values()
                  if not t.pathways or set(t.pathways) & set(pathway_ids)]
        ids = task_closure(kb, wanted)
    return tuple(schedule(kb, ids, done))


def _sources(kb: Knowledge, details: tuple[PathwayDetail, ...]) -> tuple[Source, ...]:
    seen: dict[str, Source] = {}
    records: list[Any] = []
    for d in details:
        records.append(d.score.pathway)
        records.extend(kb.mentor_sites[m.id] for m in d.mentors)
        records.extend(kb.programs[m.id] for m in d.programs)
        records.extend(kb.tta[m.id] for m in d.tta)
        records.extend(kb.tta[m.id] for m in d.peer_help)
        records.extend(kb.funding[m.id] for m in d.funding)
    cited = [source for record in records for source in record.sources]
    cited += [source for d in details for m in d.programs
              for outcome in kb.programs[m.id].outcomes for source in outcome.sources]
    for source in cited:
        if source.kind != "mirror":
            seen.setdefault(source.url, source)
    return tuple(sorted(seen.values(), key=lambda s: (s.label.lower(), s.url)))


def launch_day(timeline: tuple[ScheduledTask, ...]) -> int:
    """The day (from the start) the first launch step begins; the plan's end without one."""
    launches = [t.start for t in timeline if t.task.phase == LAUNCH]
    if launches:
        return min(launches)
    return max((t.finish for t in timeline), default=0)


def build(kb: Knowledge, profile: CommunityProfile, *, pathways: int = 1,
          choose: str | None = None, reason: str = "", chosen_by: str = "",
          today: dt.date | None = None, start: dt.date | None = None) -> Plan:
    """Score, explain, match and plan for a community's profile.

    `choose` puts a pathway first among the recommended ones whatever its rank: a
    consultant's reasoned override of the result (the ranking itself is unchanged);
    `reason` and `chosen_by` say why and who, for the plan's headline. `today` (default: the
    calendar's) and `start` date the plan: its funding is judged from today to its launch.
    Without `start`, the plan starts on the first Monday of the month the community hopes to
    start (its start_month answer) when that is still ahead, else on the first Monday of
    next month.
    """
    today = today or dt.date.today()
    start = start or hoped_start(profile.start_month, today) or default_start(today)
    ranking = scoring.score(kb, profile)
    stab = scoring.stability(kb, profile, ranking)
    check = scoring.facts_to_check(kb, profile, ranking)
    candidates = ranking.candidates
    if choose is not None:
        if choose not in {s.pathway.id for s in candidates}:
            raise ValueError(f"'{choose}' is not a pathway that can be recommended here")
        candidates = tuple(sorted(candidates, key=lambda s: s.pathway.id != choose))
    chosen = candidates[:max(1, pathways)]
    details = tuple(_detail(kb, profile, s, ranking.running) for s in chosen)
    top = ranking.top
    said: set[str] = set()
    why_not = tuple(_why_not(kb, top, s, said) for s in ranking.candidates[1:]) if top else ()
    chosen_ids = tuple(s.pathway.id for s in chosen)
    delta = details[0].delta if details else None
    ids, done = _plan_tasks(kb, chosen_ids, delta, frozenset(profile.facts))
    timeline = _schedule_for(kb, chosen_ids, None if delta is None else ids, done)
    buckets = []
    lower = 0
    for limit, label in BUCKETS:
        buckets.append((label, tuple(t for t in timeline if lower <= t.start < limit)))
        lower = limit
    first = tuple(sorted(timeline, key=lambda t: (t.start, not t.critical, t.task.id))[:3])
    dates = PlanDates(today, start, start + dt.timedelta(days=launch_day(timeline)))
    details = tuple(replace(d, funding=funding.fits(
        kb, matching.funding_for(kb, profile, d.score), profile, dates)) for d in details)
    return Plan(
        community=profile.name or "Your community",
        ranking=ranking, stability=stab, check_first=check, recommended=details,
        why_not=why_not, timeline=timeline, buckets=tuple(buckets), first_actions=first,
        sources=_sources(kb, details),
        choice=(Choice(choose, reason, chosen_by, ranking.top) if choose is not None else None),
        dates=dates,
        done=tuple(kb.tasks[t] for t in ids if t in done),
    )
