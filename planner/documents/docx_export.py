"""The starter plan as an editable Word document (python-docx), from the same Plan object
the HTML and PDF plan read.

The plan's sections are data (planner.documents.docx_sections: SECTIONS, in reading order);
``build`` below is the one builder that renders any of their blocks. Each section opens with a
real "Heading 1" (sub-parts use "Heading 2"), tables have a header row that repeats on every
page, and links are clickable hyperlinks.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import docx
from docx.document import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph

from planner.documents import application, report
from planner.documents import docx_sections as spec
from planner.documents.ooxml import stable_zip
from planner.engine.plan import Plan
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge

Context = spec.Context
context = spec.context
MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LINK_BLUE = RGBColor(0x05, 0x63, 0xC1)


# ------------------------------------------------------------------ Word helpers


def add_hyperlink(paragraph: Paragraph, url: str, text: str) -> None:
    """Append a clickable external link (only for absolute http(s) URLs; else plain text)."""
    target = report.safe_url(url)
    if target is None:
        paragraph.add_run(text)
        return
    r_id = paragraph.part.relate_to(target, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    color = OxmlElement("w:color")
    color.set(qn("w:val"), str(LINK_BLUE))
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(color)
    props.append(underline)
    run.append(props)
    node = OxmlElement("w:t")
    node.text = text
    node.set(qn("xml:space"), "preserve")
    run.append(node)
    link.append(run)
    paragraph._p.append(link)


STYLE_IDS = {spec.BULLET: "ListBullet", "Caption": "Caption", "Title": "Title"}


def styled(doc: Document, text: str, style: str) -> Paragraph:
    """A paragraph in a built-in style, set by its id (python-docx's lookup by name is slow)."""
    p = doc.add_paragraph(text)
    p._p.style = STYLE_IDS[style]
    return p


def heading(doc: Document, text: str, level: int) -> Paragraph:
    """A real Word heading (Title for level 0, else "Heading <level>")."""
    p = doc.add_paragraph(text)
    p._p.style = "Title" if level == 0 else f"Heading{level}"
    return p


def para(doc: Document, text: str = "", *, bold_lead: str = "",
         style: str | None = None) -> Paragraph:
    p = styled(doc, "", style) if style else doc.add_paragraph()
    if bold_lead:
        p.add_run(bold_lead).bold = True
    if text:
        p.add_run(text)
    return p


TABLE_FONT = Pt(9.5)


def table(doc: Document, headers: Sequence[str], rows: Iterable[Sequence[Any]],
          caption: str = "", widths: Sequence[float] | None = None) -> WordTable:
    """A table across the full text width, with a bold header row marked to repeat on each
    page. ``widths`` are the columns' relative shares (equal when not given); Word and
    LibreOffice otherwise squeeze an unsized table's columns to their shortest words."""
    if caption:  # kept on the page of the table it names
        styled(doc, caption, "Caption").paragraph_format.keep_with_next = True
    grid = doc.add_table(rows=1, cols=len(headers))
    grid._tbl.tblStyle_val = "TableGrid"
    grid.autofit = False
    head = grid.rows[0]
    props = head._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    props.append(repeat)
    for cell, text in zip(head.cells, headers, strict=True):
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        run.font.size = TABLE_FONT
    for row in rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.paragraphs[0].add_run(_cell_text(value)).font.size = TABLE_FONT
    _size_columns(doc, grid, widths or [1.0] * len(headers))
    return grid


def _size_columns(doc: Document, grid: WordTable, weights: Sequence[float]) -> None:
    """Give each column its share of the page's text width (in the grid and in every cell,
    which is where Word reads it) and the table the full width."""
    section = doc.sections[-1]
    page, left, right = section.page_width, section.left_margin, section.right_margin
    assert page is not None and left is not None and right is not None  # set by _new_document
    text_width = page - left - right
    total = sum(weights)
    spans = [int(text_width * w / total) for w in weights]
    width = OxmlElement("w:tblW")
    width.set(qn("w:w"), "5000")
    width.set(qn("w:type"), "pct")
    tbl_pr = grid._tbl.tblPr
    for old in tbl_pr.findall(qn("w:tblW")):
        tbl_pr.remove(old)
    tbl_pr.append(width)
    for column, span in zip(grid.columns, spans, strict=True):
        column.width = span
    for row in grid.rows:
        for cell, span in zip(row.cells, spans, strict=True):
            cell.width = span


def _cell_text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


# ------------------------------------------------------------------ the one builder


def _text(text: spec.Text, s: spec.Scope) -> str:
    return text(s) if callable(text) else text


def build(doc: Document, block: spec.Block, s: spec.Scope) -> None:
    """Render one block, and the blocks it holds, in scope ``s``: the builder of every section."""
    if block.when is not None and not block.when(s):
        return
    match block:
        case spec.Section():
            heading(doc, _text(block.title, s), block.level)
            if block.intro:
                para(doc, _text(block.intro, s))
            build_all(doc, block.blocks, s)
        case spec.Heading():
            heading(doc, _text(block.text, s), block.level)
        case spec.Para():
            para(doc, _text(block.text, s), bold_lead=_text(block.lead, s), style=block.style)
        case spec.Line():
            p = styled(doc, "", block.style) if block.style else doc.add_paragraph()
            for part in block.parts(s):
                if isinstance(part, spec.Link):
                    add_hyperlink(p, part.url, part.label)
                    continue
                run = p.add_run(part if isinstance(part, str) else part.text)
                if isinstance(part, spec.Run) and part.bold:
                    run.bold = True
                if isinstance(part, spec.Run) and part.highlight:
                    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        case spec.Bullets():
            for item in list(block.items(s)) or block.empty:
                styled(doc, item, spec.BULLET)
        case spec.Table():
            table(doc, block.headers, block.rows(s), _text(block.caption, s), block.widths)
        case spec.Each():
            items = list(block.items(s))
            first = block.start(s) if callable(block.start) else block.start
            for n, item in enumerate(items, start=first):
                build_all(doc, block.blocks, spec.Scope(s.ctx, item, n, s))
            if not items:
                build_all(doc, block.empty, s)
        case spec.With():
            value = block.value(s)
            if value:
                build_all(doc, block.blocks, spec.Scope(s.ctx, value, 1, s))
            else:
                build_all(doc, block.empty, s)
        case _:
            raise TypeError(f"not a block: {block!r}")


def build_all(doc: Document, blocks: Iterable[spec.Block], s: spec.Scope) -> None:
    for block in blocks:
        build(doc, block, s)


def _new_document(title: str, generated: dt.date) -> Document:
    doc = docx.Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    for section in doc.sections:  # 0.8 inch margins leave the tables room on Letter paper
        section.left_margin = section.right_margin = Inches(0.8)
        section.top_margin = section.bottom_margin = Inches(0.8)
    props = doc.core_properties
    props.title = title
    props.author = report.AUTHOR
    props.last_modified_by = report.AUTHOR
    moment = dt.datetime.combine(generated, dt.time())
    props.created = moment
    props.modified = moment
    props.revision = 1
    return doc


def _bytes(doc: Document) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return stable_zip(out.getvalue())


def render(ctx: Context, sections: Sequence[tuple[str, spec.Block]] = spec.SECTIONS) -> bytes:
    """The plan as .docx bytes, sections in the given order."""
    doc = _new_document(f"Deflection starter plan: {ctx.plan.community}", ctx.generated)
    build_all(doc, (block for _, block in sections), spec.Scope(ctx))
    return _bytes(doc)


def render_plan(kb: Knowledge, plan: Plan, profile: CommunityProfile, **kwargs: Any) -> bytes:
    """Shortcut: context() then render()."""
    return render(context(kb, plan, profile, **kwargs))


def render_starter_documents(ctx: Context) -> bytes:
    """The starter documents alone, as their own .docx."""
    doc = _new_document(f"Starter documents: {ctx.plan.community}", ctx.generated)
    build(doc, spec.STARTER_DOCUMENTS, spec.Scope(ctx))
    return _bytes(doc)


# ------------------------------------------------------------------ the application starter
# (issue 30) planner.documents.application builds the content as plain data; this block
# only lays it out, with the same helpers as the plan (python-docx stays in this module).


def render_application(app: application.Application) -> bytes:
    """The application starter as .docx bytes (deterministic: stable_zip, fixed dates)."""
    doc = _new_document(app.title, app.generated)
    heading(doc, app.title, 0)
    for text in app.intro:
        para(doc, text)
    for section in app.sections:
        heading(doc, section.title, 1)
        after_table = False
        for block in section.blocks:
            first: Paragraph | None = None
            if block.kind == "heading":
                first = heading(doc, block.text, 2)
            elif block.kind == "para":
                first = para(doc, bold_lead=block.lead)
                _gap_runs(first, block.text)
            elif block.kind == "bullets":
                for item in block.items:
                    p = styled(doc, "", spec.BULLET)
                    first = first or p
                    _gap_runs(p, item)
            elif block.kind == "table":
                table(doc, block.headers, block.rows, widths=block.widths or None)
            if after_table and first is not None:
                first.paragraph_format.space_before = Pt(10)  # not glued to the table
            after_table = block.kind == "table"
    return _bytes(doc)


def _gap_runs(p: Paragraph, text: str) -> None:
    """The text as runs, each "[to fill in: ...]" highlighted so a writer finds it."""
    rest = text
    while rest:
        start = rest.find("[to fill in:")
        if start < 0:
            p.add_run(rest)
            return
        end = rest.find("]", start)
        end = len(rest) if end < 0 else end + 1
        if start:
            p.add_run(rest[:start])
        p.add_run(rest[start:end]).font.highlight_color = WD_COLOR_INDEX.YELLOW
        rest = rest[end:]
