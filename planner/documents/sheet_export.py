"""The action plan as a spreadsheet for tracking: XLSX (openpyxl) or CSV, the same rows.

Columns: step, lead, start, end, depends on, status, on the longest chain (yes/no). Dates
are real dates in the XLSX (ISO text in the CSV), counted from the start date the user
picks (planner.engine.actions); the header row is frozen and the columns sized to their content.
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

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
WIDTHS = (6, 48, 14, 30, 12, 12, 14, 10, 12, 14, 30)
DATE_COLUMNS = (5, 6)
WRAPPED_COLUMNS = (2, 4)


def xlsx(rows: Sequence[ActionRow], *, community: str = "", title: str = "Action plan",
         generated: dt.date | None = None) -> bytes:
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
    for line in sheet_cells(list(rows), community):
        sheet.append(list(line))
    for number in range(2, len(rows) + 2):
        for column in DATE_COLUMNS:
            sheet.cell(row=number, column=column).number_format = "yyyy-mm-dd"
        for column in WRAPPED_COLUMNS:
            sheet.cell(row=number, column=column).alignment = Alignment(wrap_text=True,
                                                                        vertical="top")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{len(rows) + 1}"
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


def csv_text(rows: Sequence[ActionRow], community: str = "") -> str:
    """The action plan as CSV text (RFC 4180 line ends, ISO dates)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for line in sheet_cells(list(rows), community):
        writer.writerow([c.isoformat() if isinstance(c, dt.date) else c for c in line])
    return out.getvalue()


def csv_bytes(rows: Sequence[ActionRow], community: str = "") -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the accents right."""
    return ("\ufeff" + csv_text(rows, community)).encode("utf-8")
