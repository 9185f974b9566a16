"""The action plan as table rows for the editable copies (Word table, XLSX, CSV).

The rows themselves come from planner.engine.actions (the lead's action plan: leads, dates from
the chosen start, what each step waits for); this module fixes the columns the spreadsheet
and the Word table share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from planner.engine import actions
from planner.engine.plan import Plan, named_partners
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge, Task

HEADERS = ("Step", "Lead", "Start", "End", "Depends on", "Status", "On the longest chain")
Cells = tuple[str, str, dt.date, dt.date, str, str, str]
# The spreadsheet (XLSX and CSV) has a column each for what a tracker sorts and filters on.
SHEET_HEADERS = ("No.", "Step", "Phase", "Lead", "Start", "End", "Waits for steps",
                 "Can slip (days)", "On the longest chain", "Status", "Community")
SheetCells = tuple[int, str, str, str, dt.date | None, dt.date | None, str, int | None, str,
                   str, str]
# A step the answers say is done: a row of its own, marked done in the phase and the status,
# without dates or slack (never scheduled). Done rows come after the scheduled steps, so a
# step's number is the number the plan's own table gives it.
DONE_PHASE = "Done, from your answers"
DONE_STATUS = "Done"


def rows(kb: Knowledge, plan: Plan, profile: CommunityProfile,
         start: dt.date) -> tuple[actions.ActionRow, ...]:
    """The plan's action rows, dated from `start`."""
    return actions.action_plan(kb, plan.timeline, profile, named_partners(kb, profile), start)


def sheet_cells(rows: Sequence[actions.ActionRow], community: str,
                done: Sequence[Task] = ()) -> list[SheetCells]:
    """Every row in the column order of SHEET_HEADERS, numbered from 1 in the plan's order;
    "waits for" gives step numbers. The steps the answers say are done follow, in the
    plan's order of done steps, marked done, with no dates, wait or slack."""
    number = {row.task_id: n for n, row in enumerate(rows, start=1)}
    scheduled: list[SheetCells] = [
        (n, row.step, row.phase, row.lead, row.start, row.end,
         ", ".join(str(number[d]) for d in sorted(row.waits_for, key=number.__getitem__)),
         0 if row.on_longest_chain else row.slip_days,
         "Yes" if row.on_longest_chain else "No", row.status, community)
        for n, row in enumerate(rows, start=1)]
    return scheduled + [
        (n, task.label, DONE_PHASE, "", None, None, "", None, "No", DONE_STATUS, community)
        for n, task in enumerate(done, start=len(rows) + 1)]


def cells(row: actions.ActionRow) -> Cells:
    """One row in the column order of HEADERS."""
    return (row.step, row.lead, row.start, row.end, "; ".join(row.depends_on), row.status,
            "Yes" if row.on_longest_chain else "No")
