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

from planner.documents.action_table import HEADERS, cells
from planner.documents.ooxml import stable_zip
from planner.engine.actions import ActionRow

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
WIDTHS = (48, 30, 12, 12, 48, 14, 12)


def xlsx(rows: Sequence[ActionRow], *, title: str = "Action plan",
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
    for row in rows:
        sheet.append(list(cells(row)))
    for number in range(2, len(rows) + 2):
        for column in (3, 4):
            sheet.cell(row=number, column=column).number_format = "yyyy-mm-dd"
        for column in (1, 5):
            sheet.cell(row=number, column=column).alignment = Alignment(wrap_text=True,
                                                                        vertical="top")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{len(rows) + 1}"
    props = book.properties
    props.title = title
    props.creator = "Deflection Pathway Planner"
    moment = dt.datetime.combine(generated or dt.date.today(), dt.time())
    props.created = moment
    props.modified = moment
    out = io.BytesIO()
    book.save(out)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return stable_zip(out.getvalue(), {"docProps/core.xml": (
        r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>")})


def csv_text(rows: Sequence[ActionRow]) -> str:
    """The action plan as CSV text (RFC 4180 line ends, ISO dates)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([c.isoformat() if isinstance(c, dt.date) else c for c in cells(row)])
    return out.getvalue()


def csv_bytes(rows: Sequence[ActionRow]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the accents right."""
    return ("\ufeff" + csv_text(rows)).encode("utf-8")
