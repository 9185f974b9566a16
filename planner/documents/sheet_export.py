"""The action plan as a spreadsheet for tracking: XLSX (openpyxl) or CSV, the same rows.

Columns (action_table.SHEET_HEADERS): step number, step, phase (before launch, launch,
after launch), lead, start, end, the steps it waits for (by number), the days it can slip,
on the longest chain (yes/no), status and the community's name. Dates are real dates in the
XLSX (ISO text in the CSV), counted from the start date the user picks
(planner.engine.actions); the steps the answers say are done follow as rows marked done,
without dates. The header row is frozen and the columns sized to their content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from planner.documents.action_table import SHEET_HEADERS as HEADERS
from planner.documents.action_table import sheet_cells
from planner.documents.ooxml import stable_zip
from planner.engine.actions import ActionRow
from planner.knowledge.model import Task

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
WIDTHS = (6, 48, 14, 30, 12, 12, 14, 10, 12, 14, 30)
DATE_COLUMNS = (5, 6)
WRAPPED_COLUMNS = (2, 4)


def xlsx(rows: Sequence[ActionRow], *, community: str = "", title: str = "Action plan",
         generated: dt.date | None = None, done: Sequence[Task] = ()) -> bytes:
    """The action plan as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = "Action plan"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F0")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = sheet_cells(rows, community, done)
    for line in lines:
        sheet.append(list(line))
    for number in range(2, len(lines) + 2):
        for column in DATE_COLUMNS:
            sheet.cell(row=number, column=column).number_format = "yyyy-mm-dd"
        for column in WRAPPED_COLUMNS:
            sheet.cell(row=number, column=column).alignment = Alignment(wrap_text=True,
                                                                        vertical="top")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if lines:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{len(lines) + 1}"
    props = book.properties
    props.title = f"{title}: {community}" if community else title
    props.creator = "Deflection Pathway Planner"
    moment = dt.datetime.combine(generated or dt.date.today(), dt.time())
    props.created = moment
    props.modified = moment
    out = io.BytesIO()
    book.save(out)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return stable_zip(out.getvalue(), {"docProps/core.xml": (
        r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>")})


def csv_text(rows: Sequence[ActionRow], community: str = "",
             done: Sequence[Task] = ()) -> str:
    """The action plan as CSV text (RFC 4180 line ends, ISO dates; a done step's empty
    dates and slack are empty cells)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for line in sheet_cells(rows, community, done):
        writer.writerow([c.isoformat() if isinstance(c, dt.date) else "" if c is None else c
                         for c in line])
    return out.getvalue()


def csv_bytes(rows: Sequence[ActionRow], community: str = "",
              done: Sequence[Task] = ()) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the accents right."""
    return ("\ufeff" + csv_text(rows, community, done)).encode("utf-8")
