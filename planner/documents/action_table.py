"""The action plan as table rows for the editable copies (Word table, XLSX, CSV).

The rows themselves come from planner.engine.actions (the lead's action plan: leads, dates from
the chosen start, what each step waits for); this module fixes the columns the spreadsheet
and the Word table share.
"""

from __future__ import annotations

import datetime as dt

from planner.engine import actions
from planner.engine.plan import Plan, named_partners
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge

HEADERS = ("Step", "Lead", "Start", "End", "Depends on", "Status", "On the longest chain")
Cells = tuple[str, str, dt.date, dt.date, str, str, str]
# The spreadsheet (XLSX and CSV) has a column each for what a tracker sorts and filters on.
SHEET_HEADERS = ("No.", "Step", "Phase", "Lead", "Start", "End", "Waits for steps",
                 "Can slip (days)", "On the longest chain", "Status", "Community")
SheetCells = tuple[int, str, str, str, dt.date, dt.date, str, int, str, str, str]


def rows(kb: Knowledge, plan: Plan, profile: CommunityProfile,
         start: dt.date) -> tuple[actions.ActionRow, ...]:
    """The plan's action rows, dated from `start`."""
    return actions.action_plan(kb, plan.timeline, profile, named_partners(kb, profile), start)


def sheet_cells(rows: tuple[actions.ActionRow, ...] | list[actions.ActionRow],
                community: str) -> list[SheetCells]:
    """Every row in the column order of SHEET_HEADERS, numbered from 1 in the plan's order;
    "waits for" gives step numbers."""
    number = {row.task_id: n for n, row in enumerate(rows, start=1)}
    return [(n, row.step, row.phase, row.lead, row.start, row.end,
             ", ".join(str(number[d]) for d in sorted(row.waits_for, key=number.__getitem__)),
             0 if row.on_longest_chain else row.slip_days,
             "Yes" if row.on_longest_chain else "No", row.status, community)
            for n, row in enumerate(rows, start=1)]


def cells(row: actions.ActionRow) -> Cells:
    """One row in the column order of HEADERS."""
    return (row.step, row.lead, row.start, row.end, "; ".join(row.depends_on), row.status,
            "Yes" if row.on_longest_chain else "No")
