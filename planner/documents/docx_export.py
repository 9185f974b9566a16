"""The starter plan as an editable Word document (python-docx), from the same Plan object
the HTML and PDF plan read.

The document is built by small section builders, each a function of (document, context),
listed in SECTIONS in reading order: reorder or replace them to restructure the plan. Each
section opens with a real "Heading 1" (sub-parts use "Heading 2"), tables have a header
row that repeats on every page, and links are clickable hyperlinks.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import docx
from docx.document import Document
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from planner.documents import action_table, report, starter
from planner.documents.brief import build_brief
from planner.documents.ooxml import stable_zip
from planner.documents.report import ConsultantNote
from planner.engine import costs
from planner.engine.actions import default_start
from planner.engine.costs import CostEstimate
from planner.engine.plan import PathwayDetail, Plan
from planner.engine.profile import CommunityProfile
from planner.engine.sensitivity import weight_sensitivity
from planner.engine.words import behind, n_points
from planner.knowledge import states
from planner.knowledge.model import Knowledge, Source

MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LINK_BLUE = RGBColor(0x05, 0x63, 0xC1)


@dataclass(frozen=True)
class Context:
    """Everything the section builders read."""

    kb: Knowledge
    plan: Plan
    profile: CommunityProfile
    estimate: CostEstimate | None
    documents: tuple[starter.FilledDocument, ...]
    notes: tuple[ConsultantNote, ...]
    start: dt.date
    generated: dt.date


Builder = Callable[[Document, Context], None]


def context(kb: Knowledge, plan: Plan, profile: CommunityProfile, *,
            notes: Sequence[str | ConsultantNote] = (), start: dt.date | None = None,
            generated: dt.date | None = None,
            overrides: costs.Overrides | None = None) -> Context:
    """Gather the plan, its cost estimate, starter documents and dates for rendering."""
    today = generated or dt.date.today()
    top = plan.top
    estimate = (costs.for_pathway(kb, profile, top.score.pathway.id, overrides)
                if top is not None else None)
    return Context(
        kb=kb, plan=plan, profile=profile, estimate=estimate,
        documents=starter.for_plan(kb, plan, profile),
        notes=report._notes(notes),
        start=start or default_start(today), generated=today,
    )


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


STYLE_IDS = {"List Bullet": "ListBullet", "Caption": "Caption", "Title": "Title"}


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


def bullets(doc: Document, items: Iterable[str]) -> None:
    for item in items:
        styled(doc, item, "List Bullet")


TABLE_FONT = Pt(9.5)
# Step, lead, start, end, depends on, status, on the longest chain.
ACTION_WIDTHS = (3, 2, 1.3, 1.3, 2.6, 1.2, 1.1)


def table(doc: Document, headers: Sequence[str], rows: Iterable[Sequence[Any]],
          caption: str = "", widths: Sequence[float] | None = None) -> Table:
    """A table across the full text width, with a bold header row marked to repeat on each
    page. ``widths`` are the columns' relative shares (equal when not given); Word and
    LibreOffice otherwise squeeze an unsized table's columns to their shortest words."""
    if caption:
        styled(doc, caption, "Caption")
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


def _size_columns(doc: Document, grid: Table, weights: Sequence[float]) -> None:
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


def flag_notes(ctx: Context) -> list[tuple[str, str]]:
    """The unverified points of every record the plan shows, for the data-quality notes
    beside the sources: the body stays clean and nothing is hidden."""
    kb = ctx.kb
    records: list[Any] = []
    for d in ctx.plan.recommended:
        records.append(d.score.pathway)
        records.extend(kb.programs[m.id] for m in d.programs)
        records.extend(kb.mentor_sites[m.id] for m in d.mentors)
        records.extend(kb.tta[m.id] for m in d.tta)
        records.extend(kb.funding[m.id] for m in d.funding)
    records.extend(line for line in (ctx.estimate.lines if ctx.estimate else ()))
    records.extend(ctx.documents)
    notes: list[tuple[str, str]] = []
    for record in records:
        for flag in record.flags:
            if (record.label, flag) not in notes:
                notes.append((record.label, flag))
    return notes


def flags(doc: Document, record: Any) -> None:
    """A record's unverified points, marked as such (never hidden)."""
    for flag in getattr(record, "flags", ()) or ():
        p = doc.add_paragraph()
        run = p.add_run("Unverified: ")
        run.bold = True
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        p.add_run(flag)


def _links_line(doc: Document, lead: str, links: Iterable[tuple[str, str]]) -> None:
    p = doc.add_paragraph()
    p.add_run(lead)
    for i, (url, label) in enumerate(links):
        if i:
            p.add_run("; ")
        add_hyperlink(p, url, label)


# ------------------------------------------------------------------ section builders


def cover(doc: Document, ctx: Context) -> None:
    heading(doc, f"Starter plan: {ctx.plan.community}", 0)
    para(doc, f"First responder deflection. Generated {ctx.generated.isoformat()}; knowledge "
              f"base as of {ctx.kb.model.as_of}. This is an editable copy of the plan: change "
              "it to fit your community before you present it.")


def summary(doc: Document, ctx: Context) -> None:
    heading(doc, "Summary", level=1)
    top = ctx.plan.top
    if top is None:
        para(doc, "Every pathway is already running, so there is no new pathway to rank.")
    else:
        s = top.score
        para(doc, f"The pathway that fits {ctx.plan.community} best today is "
                  f"{s.pathway.label}: {s.band_label}, score {s.score:.0f} of 100 (range "
                  f"{s.low:.0f} to {s.high:.0f}).")
        para(doc, s.pathway.summary)
        heading(doc, "How sure this is", level=2)
        weights = report.weights_words(ctx.kb, weight_sensitivity(ctx.kb, ctx.profile,
                                                                   ctx.plan.ranking))
        para(doc, report.stability_words(ctx.kb, ctx.plan))
        para(doc, report.stability_rule(ctx.kb))
        if weights:
            para(doc, f" {weights}", bold_lead="How this was scored (for consultants).")
    heading(doc, "First three actions", level=2)
    for n, item in enumerate(ctx.plan.first_actions, start=1):
        para(doc, f" {item.task.description}", bold_lead=f"{n}. {item.task.label}.")


def profile(doc: Document, ctx: Context, title: str = "Community profile") -> None:
    heading(doc, title, 1)
    para(doc, "The answers this plan is built on. \u201cDon\u2019t know\u201d answers are kept: "
              "they widen the score ranges.")
    for section_label, rows in report.community_profile(ctx.kb, ctx.profile):
        heading(doc, section_label, level=2)
        shown = [r for r in rows if r.state != "unanswered"]
        blank = [r for r in rows if r.state == "unanswered"]
        if shown:
            table(doc, ("Question", "Answer"),
                  [(r.question, ("Don\u2019t know: " if r.state == "dont-know" else "")
                    + r.answer) for r in shown], widths=(3, 2))
        if blank:
            para(doc, " \u00b7 ".join(r.question for r in blank), bold_lead="Not answered: ")


def ranking(doc: Document, ctx: Context, title: str = "Pathway ranking") -> None:
    heading(doc, title, 1)
    para(doc, "Each pathway gets a fit score from 0 to 100: the sum of the points your answers "
              "add or take away. The range shows where the score could land once the "
              "\u201cdon\u2019t know\u201d answers are settled.")
    stab = ctx.plan.stability
    table(doc, ("Rank", "Pathway", "Score", "Range", "First in 100", "Band"),
          [(s.rank or "running", s.pathway.label, f"{s.score:.0f}",
            f"{s.low:.0f} to {s.high:.0f}",
            report.in_100(stab, s.pathway.id) if s.rank and stab.chance is not None else "",
            s.band_label) for s in ctx.plan.ranking.scores],
          caption="Scores, ranges and bands")
    top = ctx.plan.top
    if top is not None:
        s = top.score
        heading(doc, f"Why {s.pathway.label} ranks first", level=2)
        bullets(doc, [f"{c.points:+.0f} {c.answer} (\u201c{c.question}\u201d): {c.reason}"
                      for c in s.helped[:5]] or ["No answer added points."])
        heading(doc, "Answers that held it back", level=2)
        bullets(doc, [f"{c.points:+.0f} {c.answer} (\u201c{c.question}\u201d): {c.reason}"
                      for c in s.hurt[:4]] or ["No answer took points away."])
        heading(doc, "How sure this is", level=2)
        para(doc, report.stability_words(ctx.kb, ctx.plan))
        para(doc, report.stability_rule(ctx.kb))
    if ctx.plan.why_not:
        heading(doc, "Why not the others", level=2)
        for w in ctx.plan.why_not:
            para(doc, bold_lead=f"{w.label} ({behind(w.behind)})")
            bullets(doc, w.reasons)


def _pathway(doc: Document, ctx: Context, detail: PathwayDetail, title: str = "") -> None:
    kb, s = ctx.kb, detail.score
    p = s.pathway
    heading(doc, title or f"Recommended pathway: {p.label}", 1)
    para(doc, p.definition)
    table(doc, ("Feature", "How it works"), [("Who starts the contact", p.initiator),
                          ("What triggers it", p.trigger), ("Charges", p.charges)],
          widths=(1, 3))
    heading(doc, "Critical elements", level=2)
    para(doc, ", ".join(kb.facts[f].label for f in s.met) or "None reported yet.",
         bold_lead=f"In place ({len(s.met)} of {len(p.critical_elements)}): ")
    for g in detail.gaps:
        para(doc, f" {g.gap.why}", bold_lead=g.gap.label + ".")
        if g.tta:
            _links_line(doc, "Help: ", [(kb.tta[m.id].link, kb.tta[m.id].label) for m in g.tta])
    heading(doc, "Similar real programs", level=2)
    for m in detail.programs:
        prog = kb.programs[m.id]
        head = doc.add_paragraph()
        if prog.link:
            add_hyperlink(head, prog.link, prog.label)
        else:
            head.add_run(prog.label).bold = True
        para(doc, f"{prog.location.place}, {prog.location.state}. Matched because it "
                  f"{'; '.join(m.reasons)}. {prog.summary}")
        for o in prog.outcomes:
            styled(doc, f"{o.value} {o.metric} ({o.period}). As of {o.as_of}; "
                        f"{report.evidence_label(o)}.", "List Bullet")
    if not detail.programs:
        para(doc, "No similar program is on record for this pathway.")
    heading(doc, "Mentor sites", level=2)
    for m in detail.mentors:
        site = kb.mentor_sites[m.id]
        head = doc.add_paragraph()
        add_hyperlink(head, site.link, site.label)
        head.add_run(f" ({site.host_agency}). Why it matches: it {'; '.join(m.reasons)}.")
        _links_line(doc, "Request a visit through: ",
                    [(i.link, i.label) for i in report.mentor_requests(kb, site)])
    if not detail.mentors:
        para(doc, "No mentor site on record runs this pathway.")
    heading(doc, "Training and technical assistance", level=2)
    for m in detail.tta:
        t = kb.tta[m.id]
        head = styled(doc, "", "List Bullet")
        add_hyperlink(head, t.link, t.label)
        head.add_run(f" ({t.provider}; cost: {t.cost}). {t.offers}")
    heading(doc, "Funding", level=2)
    para(doc, "Amounts change every year: each figure is tied to its fiscal year. Check the "
              "agency\u2019s current announcement before planning around one.")
    for m in detail.funding:
        f = kb.funding[m.id]
        head = doc.add_paragraph()
        add_hyperlink(head, f.link, f.label)
        head.add_run(f" ({f.agency}). {f.recurrence}")
        _, amounts = report.latest_amounts(f)
        bullets(doc, [f"FY{a.fiscal_year}: {a.amount}" + (f" ({a.note})" if a.note else "")
                      for a in amounts])


def pathways(doc: Document, ctx: Context) -> None:
    for detail in ctx.plan.recommended:
        _pathway(doc, ctx, detail)


def cost(doc: Document, ctx: Context, level: int = 1) -> None:
    estimate = ctx.estimate
    if estimate is None:
        return
    kb = ctx.kb
    label = kb.pathways[estimate.pathway_id].label
    heading(doc, "Staffing and first-year cost", level)
    para(doc, f"For {label} in a place of {estimate.band_label}, the first year costs about "
              f"{costs.dollars(estimate.low)} to {costs.dollars(estimate.high)}. "
              f"{estimate.notice}")
    if estimate.budget is not None:
        gap = estimate.budget - estimate.high
        words = ("covers even the high estimate" if gap >= 0 else
                 "covers the low estimate" if estimate.budget >= estimate.low else
                 "is below the low estimate")
        para(doc, f"The first-year money you expect, {costs.dollars(estimate.budget)}, {words}.")
    para(doc, estimate.staffing_note, bold_lead="Staffing model. ")
    if estimate.programs:
        para(doc, ", ".join(kb.programs[p].label for p in estimate.programs
                            if p in kb.programs) + ".", bold_lead="Based on: ")
    table(doc, ("Line", "FTE", "Unit cost", "Low", "High", "Figure"),
          [(line.label, costs.fte_range(line.fte_low, line.fte_high),
            costs.dollars(line.unit_cost) if line.unit_cost is not None else "",
            costs.dollars(line.low), costs.dollars(line.high),
            "Local" if line.local else "National")
           for line in estimate.lines]
          + [("Total", "", "", costs.dollars(estimate.low), costs.dollars(estimate.high), "")],
          caption="First-year cost by line (whole dollars)", widths=(3.2, 1, 1.3, 1.3, 1.3, 1))
    heading(doc, "Where the figures come from", min(level + 1, 9))
    for line in estimate.lines:
        p = styled(doc, "", "List Bullet")
        p.add_run(f"{line.label}: ").bold = True
        p.add_run(line.basis.rstrip(".") + (". Source: " if line.sources else "."))
        for i, src in enumerate(line.sources):
            if i:
                p.add_run("; ")
            add_hyperlink(p, src.url, src.label)
        if line.flags:
            p.add_run(" (see the data-quality notes)")


def timeline(doc: Document, ctx: Context) -> None:
    heading(doc, "Timeline", level=1)
    rows = action_table.rows(ctx.kb, ctx.plan, ctx.profile, ctx.start)
    last = max((r.end for r in rows), default=ctx.start)
    para(doc, f"{len(rows)} steps from {ctx.start.isoformat()} to {last.isoformat()}, each "
              "starting after the steps it depends on. Steps on the longest chain set the "
              "launch date: a delay in any of them delays the launch. Change the start date, "
              "leads and status as the work goes on.")
    table(doc, action_table.HEADERS, [action_table.cells(r) for r in rows],
          caption="Action plan", widths=ACTION_WIDTHS)


def stakeholders(doc: Document, ctx: Context) -> None:
    heading(doc, "Stakeholder map", level=1)
    for detail in ctx.plan.recommended:
        if len(ctx.plan.recommended) > 1:
            heading(doc, detail.score.pathway.label, level=2)
        table(doc, ("Partner", "Role", "Essential", "You have"),
              [(st.label, st.role,
                {True: "Essential", False: "Helpful", None: "Named by you"}[st.essential],
                st.status_label) for st in detail.stakeholders],
              caption=f"Partners for {detail.score.pathway.label}", widths=(1.6, 4, 1, 1.4))


def measures(doc: Document, ctx: Context, title: str = "Data and measures to collect") -> None:
    heading(doc, title, 1)
    para(doc, "Start collecting these from the first contact: they show whether the program "
              "works and they are what funders ask for.")
    for detail in ctx.plan.recommended:
        if len(ctx.plan.recommended) > 1:
            heading(doc, detail.score.pathway.label, level=2)
        table(doc, ("Measure", "Kind", "What to record", "Data from"),
              [(m.label, m.kind, m.description,
                ", ".join(ctx.kb.facts[f].label for f in m.data_from if f in ctx.kb.facts))
               for m in detail.measures], widths=(2, 1, 3.5, 2))


def checklist(doc: Document, ctx: Context) -> None:
    heading(doc, "30/60/90-day checklist", level=1)
    for label, tasks in ctx.plan.buckets:
        heading(doc, label, level=2)
        if tasks:
            bullets(doc, [f"\u2610 {t.task.label} (days {t.start} to {t.finish})"
                          for t in tasks])
        else:
            para(doc, "No task starts in this period; earlier tasks continue.")


def notes(doc: Document, ctx: Context) -> None:
    if not ctx.notes:
        return
    heading(doc, "Consultant notes and overrides", level=1)
    for n in ctx.notes:
        meta = ", ".join(x for x in (n.author, n.date) if x)
        if meta:
            para(doc, meta)
        para(doc, n.text)


def check_first(doc: Document, ctx: Context) -> None:
    heading(doc, "Facts worth checking first", level=1)
    if not ctx.plan.check_first:
        para(doc, "No open \u201cdon\u2019t know\u201d answer bears on the ranking.")
        return
    bullets(doc, [f"{c.question} Could move a score by up to {n_points(c.swing)}"
                  + (", enough to change the top pathway." if c.could_change_top else ".")
                  for c in ctx.plan.check_first])


def starter_documents(doc: Document, ctx: Context, title: str = "Starter documents") -> None:
    if not ctx.documents:
        return
    heading(doc, title, 1)
    para(doc, "Outlines to fill in with your partners, written for this plan. Compare each "
              "with the official samples linked, and have each partner's counsel review the "
              "final text.")
    add_starter_documents(doc, ctx.documents, level=2, inline_flags=False)


def add_starter_documents(doc: Document, documents: Sequence[starter.FilledDocument],
                          level: int, inline_flags: bool = True) -> None:
    """Each filled starter document under a heading of the given level (its unverified
    points inline, or left to the plan's data-quality notes)."""
    for d in documents:
        heading(doc, d.label, level=level)
        para(doc, d.purpose)
        for section in d.sections:
            heading(doc, section.heading, min(level + 1, 9))
            bullets(doc, [f"\u2610 {item}" for item in section.items])
        if d.samples:
            heading(doc, "Official and field samples to compare", min(level + 1, 9))
            for sample in d.samples:
                p = styled(doc, "", "List Bullet")
                add_hyperlink(p, sample.link, sample.label)
                p.add_run(f" ({sample.publisher})")
        para(doc, d.caution, bold_lead="Note: ")
        if inline_flags:
            flags(doc, d)


def sources(doc: Document, ctx: Context, title: str = "Sources") -> None:
    heading(doc, title, 1)
    para(doc, "Where the facts in this plan come from. Every record is in the planner\u2019s "
              f"knowledge base (as of {ctx.kb.model.as_of}).")
    _source_list(doc, ctx.plan.sources)
    extra: dict[str, Source] = {}
    for src in (ctx.estimate.sources if ctx.estimate else ()):
        extra.setdefault(src.url, src)
    for d in ctx.documents:
        for src in d.sources:
            extra.setdefault(src.url, src)
    listed = {s.url for s in ctx.plan.sources}
    more = sorted((s for u, s in extra.items() if u not in listed), key=lambda s: s.label.lower())
    if more:
        heading(doc, "Sources for costs and starter documents", level=2)
        _source_list(doc, more, first=len(ctx.plan.sources) + 1)
    notes = flag_notes(ctx)
    if notes:
        heading(doc, "Data-quality notes", level=2)
        para(doc, "Points in this plan that no retrievable source confirmed. Check them "
                  "before relying on them.")
        bullets(doc, [f"{label}: {flag}" for label, flag in notes])


def _source_list(doc: Document, items: Sequence[Source], first: int = 1) -> None:
    for n, src in enumerate(items, start=first):
        p = doc.add_paragraph()
        p.add_run(f"[{n}] ")
        add_hyperlink(p, src.url, src.label)
        p.add_run(f" ({src.kind}{', ' + src.date if src.date else ''})")


def _longdate(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def council_brief(doc: Document, ctx: Context) -> None:
    """The two-page brief (planner.documents.brief), with the staffing and cost estimate in it."""
    heading(doc, "Council brief", 1)
    rows = action_table.rows(ctx.kb, ctx.plan, ctx.profile, ctx.start)
    b = build_brief(ctx.kb, ctx.plan, ctx.profile, rows, ctx.start)
    if b is None:
        para(doc, "Every pathway is already running, so there is no new pathway to recommend.")
        return
    heading(doc, "The problem here", 2)
    if b.place:
        para(doc, f"{ctx.plan.community}: {b.place}")
    bullets(doc, b.problems or ("The answers did not describe the local problem yet.",))
    heading(doc, "What we recommend, and why", 2)
    para(doc, f". It is {b.how_sure}.", bold_lead=f"Start with {b.pathway}")
    if b.reasons:
        para(doc, "Your answers that point to it most:")
        bullets(doc, b.reasons)
    heading(doc, "What running it looks like", 2)
    for line in b.looks_like:
        para(doc, line)
    cost(doc, ctx, level=2)
    top = ctx.plan.top
    if top is not None and top.funding:
        heading(doc, "Funding that fits", 2)
        for m in top.funding[:3]:
            f = ctx.kb.funding[m.id]
            year, amounts = report.latest_amounts(f)
            p = styled(doc, "", "List Bullet")
            add_hyperlink(p, f.link, f.label)
            p.add_run(f" ({f.agency})" + (f": last published amount (FY{year}) "
                                          f"{amounts[0].amount}" if amounts else "")
                      + ". Check the current notice.")
    heading(doc, "The decision we ask for", 2)
    for n, d in enumerate(b.decision, start=1):
        para(doc, f"{n}. {d}")
    heading(doc, "The first 90 days", 2)
    for n, a in enumerate(b.first_90, start=1):
        para(doc, f": {_longdate(a.start)} to {_longdate(a.end)}; lead: {a.lead}.",
             bold_lead=f"{n}. {a.step}")
    heading(doc, "Risks, and what to check first", 2)
    bullets(doc, list(b.risks) + ([f"Find out before you commit: {' '.join(b.check_first)} "
                                   "These answers could change the advice."]
                                  if b.check_first else []))


def action_plan(doc: Document, ctx: Context) -> None:
    heading(doc, "Action plan", 1)
    rows = action_table.rows(ctx.kb, ctx.plan, ctx.profile, ctx.start)
    last = max((r.end for r in rows), default=ctx.start)
    para(doc, f"{len(rows)} steps from {_longdate(ctx.start)} to {_longdate(last)}. Each step "
              "starts after the steps it depends on. Steps on the longest chain set the launch "
              "date: a delay in any of them delays the launch. Change the start date, leads "
              "and status as the work goes on.")
    table(doc, action_table.HEADERS, [action_table.cells(r) for r in rows],
          caption="Action plan", widths=ACTION_WIDTHS)


def at_the_table(doc: Document, ctx: Context) -> None:
    heading(doc, "Who must be at the table", 1)
    for detail in ctx.plan.recommended:
        table(doc, ("Partner", "Role", "Essential", "Status"),
              [(st.label, st.role,
                {True: "Essential", False: "Helpful", None: "Named by you"}[st.essential],
                st.status_label) for st in detail.stakeholders],
              caption=f"Partners for {detail.score.pathway.label}", widths=(1.6, 4, 1, 1.4))


def in_practice(doc: Document, ctx: Context) -> None:
    for detail in ctx.plan.recommended:
        _pathway(doc, ctx, detail, f"{detail.score.pathway.label} in practice")


def state_law(doc: Document, ctx: Context) -> None:
    records = states.context_for(ctx.kb, ctx.profile.state)
    if not records:
        return
    heading(doc, "Your state's law and money", 1)
    para(doc, "What your state requires or funds for deflection, as far as we could confirm. "
              "Check each with the agency before you rely on it.")
    for r in records:
        heading(doc, r.label, 2)
        para(doc, f"{r.citation} ({r.administered_by})" if r.citation else r.administered_by)
        para(doc, r.summary)
        if r.requires:
            para(doc, r.requires, bold_lead="What it requires: ")
        if r.funds:
            para(doc, r.funds, bold_lead="What it funds: ")
        for link in r.links:
            add_hyperlink(styled(doc, "", "List Bullet"), link.url, link.label)
        para(doc, f"As of {r.as_of}; last checked {r.verified_on}.")


def appendix_ranking(doc: Document, ctx: Context) -> None:
    ranking(doc, ctx, "Appendix A. How each pathway ranked, and why")


def appendix_answers(doc: Document, ctx: Context) -> None:
    profile(doc, ctx, "Appendix B. Your answers")


def appendix_measures(doc: Document, ctx: Context) -> None:
    measures(doc, ctx, "Appendix C. Measures to collect")


def appendix_notes(doc: Document, ctx: Context) -> None:
    heading(doc, "Appendix D. Consultant notes and what the visit found", 1)
    for n in ctx.notes:
        meta = ", ".join(x for x in (n.author, n.date) if x)
        if meta:
            para(doc, meta)
        para(doc, n.text)
    para(doc, "What the visit found (write here):")
    for _ in range(3):
        para(doc, "")


def appendix_sources(doc: Document, ctx: Context) -> None:
    sources(doc, ctx, "Appendix E. Sources")


def appendix_starter_documents(doc: Document, ctx: Context) -> None:
    starter_documents(doc, ctx, "Appendix F. Starter documents")


SECTIONS: tuple[tuple[str, Builder], ...] = (
    ("cover", cover),
    ("brief", council_brief),
    ("actions", action_plan),
    ("stakeholders", at_the_table),
    ("pathways", in_practice),
    ("state", state_law),
    ("ranking", appendix_ranking),
    ("profile", appendix_answers),
    ("measures", appendix_measures),
    ("notes", appendix_notes),
    ("sources", appendix_sources),
    ("starter-documents", appendix_starter_documents),
)


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


def render(ctx: Context, sections: Sequence[tuple[str, Builder]] = SECTIONS) -> bytes:
    """The plan as .docx bytes, sections in the given order."""
    doc = _new_document(f"Deflection starter plan: {ctx.plan.community}", ctx.generated)
    for _, build in sections:
        build(doc, ctx)
    return _bytes(doc)


def render_plan(kb: Knowledge, plan: Plan, profile: CommunityProfile, **kwargs: Any) -> bytes:
    """Shortcut: context() then render()."""
    return render(context(kb, plan, profile, **kwargs))


def render_starter_documents(ctx: Context) -> bytes:
    """The starter documents alone, as their own .docx."""
    doc = _new_document(f"Starter documents: {ctx.plan.community}", ctx.generated)
    heading(doc, f"Starter documents: {ctx.plan.community}", level=0)
    para(doc, "Outlines to fill in with your partners, written for this plan. Compare each "
              "with the official samples linked, and have each partner's counsel review the "
              "final text.")
    if not ctx.documents:
        para(doc, "There is no recommended pathway, so there are no starter documents.")
    add_starter_documents(doc, ctx.documents, level=1)
    return _bytes(doc)
