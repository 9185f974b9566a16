"""The action plan: each step with a lead, calendar dates and what it waits for.

Dates count calendar days from a start date the community chooses (by default the first
Monday of next month), using the schedule's day offsets, so every step starts on or after
the end of each step it depends on. A step's lead is a partner the community named, within
the step's domain: for a step that names who leads it (`led_by`, every pathway-specific
step), the lead agency when it is one of those, otherwise the first of those named; for
other steps, the lead agency when the step involves it (or is one the lead agency always
leads), otherwise the first named partner in the step's own order of partners. When none is
named, the lead is "To assign".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.engine.answers import month_of
from planner.engine.graph import LAUNCH, PRE_LAUNCH, ScheduledTask
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge, Task

TO_ASSIGN = "To assign"


@dataclass(frozen=True)
class ActionRow:
    """One step of the action plan."""

    task_id: str
    step: str
    description: str
    lead_id: str | None
    lead: str
    start: dt.date
    end: dt.date
    depends_on: tuple[str, ...]  # the labels of the steps it waits for
    on_longest_chain: bool
    slip_days: int
    status: str = "Not started"
    phase: str = ""  # "Before launch", "Launch" or "After launch"
    waits_for: tuple[str, ...] = ()  # the ids of the steps it waits for


def phase_label(phase: str) -> str:
    """Where a task's phase sits against the launch, in words."""
    if phase in PRE_LAUNCH:
        return "Before launch"
    return "Launch" if phase == LAUNCH else "After launch"


def default_start(today: dt.date) -> dt.date:
    """The first Monday of the month after `today`."""
    first = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


def hoped_start(month: str | None, today: dt.date) -> dt.date | None:
    """The plan's start from the month a community hopes to start (YYYY-MM): the first
    Monday of that month. None without one, or when that Monday is already past or more
    than ten years away (the plan then starts on the default)."""
    first = month_of(month) if month else None
    if first is None:
        return None
    day = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    if day < today or (day - today).days > 3653:
        return None
    return day


def parse_start(text: str | None, today: dt.date) -> dt.date:
    """A start date from YYYY-MM-DD, or the default; raises ValueError for a bad date or one
    more than ten years away."""
    if not text:
        return default_start(today)
    day = dt.date.fromisoformat(text.strip())
    if abs((day - today).days) > 3653:
        raise ValueError("choose a start date within ten years of today")
    return day


# The steps the lead agency leads whatever their list of partners: convening, defining the
# problem (the assessment), choosing the pathway and the launch.
LEAD_AGENCY_PHASES = ("convene", "assess", LAUNCH)
CHOOSE_PATHWAY = "task-choose-starting-pathway"


def lead_agency_step(task: Task) -> bool:
    """True for a program-wide step the lead agency leads (see LEAD_AGENCY_PHASES)."""
    return not task.pathways and (task.phase in LEAD_AGENCY_PHASES or task.id == CHOOSE_PATHWAY)


def lead_for(kb: Knowledge, partners: tuple[str, ...], named: frozenset[str],
             lead_agency: str | None, task: Task | None = None) -> tuple[str | None, str]:
    """The partner who leads a step, and its label: the lead agency for the steps it leads
    (lead_agency_step) and those it takes part in; otherwise the first partner named in the
    step's own order. A step that names its leads (`led_by`: its domain) is led only by one
    of them, the lead agency first."""
    if task is not None and task.led_by:
        partners = task.led_by
    if lead_agency and lead_agency in named and lead_agency in kb.facts and (
            lead_agency in partners or (task is not None and lead_agency_step(task))):
        return lead_agency, kb.facts[lead_agency].label
    for partner in partners:
        if partner in named and partner in kb.facts:
            return partner, kb.facts[partner].label
    return None, TO_ASSIGN


def action_plan(kb: Knowledge, timeline: tuple[ScheduledTask, ...], profile: CommunityProfile,
                named: frozenset[str], start: dt.date) -> tuple[ActionRow, ...]:
    """The action plan rows, in the timeline's order (start day, finish day, id)."""
    lead_agency = profile.lead_agency
    in_plan = {t.task.id for t in timeline}
    rows = []
    for item in timeline:
        task = item.task
        lead_id, lead = lead_for(kb, task.partners, named, lead_agency, task)
        rows.append(ActionRow(
            task_id=task.id, step=task.label, description=task.description,
            lead_id=lead_id, lead=lead,
            start=start + dt.timedelta(days=item.start),
            # A step of N days starting on day S ends on day S + N - 1 (inclusive).
            end=start + dt.timedelta(days=max(item.finish - 1, item.start)),
            depends_on=tuple(kb.tasks[d].label for d in item.waits_for if d in in_plan),
            on_longest_chain=item.critical, slip_days=item.slack,
            phase=phase_label(task.phase),
            waits_for=tuple(d for d in item.waits_for if d in in_plan),
        ))
    return tuple(rows)
