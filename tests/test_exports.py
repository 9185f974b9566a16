"""The editable copies, for every scenario: the Word plan has the HTML plan's sections, the
action plan spreadsheet's dates follow the dependencies, and the starter documents name the
community's partners."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.documents import action_table, docx_export, report, sheet_export, starter
from planner.engine import actions, answers, costs
from planner.engine import plan as planning
from planner.engine.actions import default_start
from planner.engine.profile import read_profile
from planner.knowledge import loader

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))
KB = loader.load_default()
START = dt.date(2027, 1, 4)
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _built(path: Path) -> tuple[planning.Plan, dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        given = answers.validate(KB, yaml.safe_load(handle)["answers"])
    return planning.build(KB, read_profile(KB, given)), given


def _html_sections(html: str) -> list[str]:
    """The plan's sections (the screen preview's list of contents is navigation, not one)."""
    return [unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()
            for m in re.finditer(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', html, re.S)
            if m.group(1) != "toc-h"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_word_plan_opens_and_has_the_html_plans_sections(path: Path) -> None:
    built, given = _built(path)
    profile = read_profile(KB, given)
    body = docx_export.render_plan(KB, built, profile, start=START, notes=["Visit found: X."])
    document = docx.Document(io.BytesIO(body))
    headings = [p.text for p in document.paragraphs
                if p.style is not None and p.style.name == "Heading 1"]
    html = report.render_plan_html(KB, built, read_profile(KB, given), notes=["Visit found: X."])
    expected = _html_sections(html)
    assert expected and expected[0] == "Council brief"
    found = iter(headings)
    assert all(h in found for h in expected), (expected, headings)  # same order
    assert "Appendix F. Starter documents" in headings
    texts = [p.text for p in document.paragraphs]
    assert "Staffing and first-year cost" in texts
    body = texts[:texts.index("Appendix E. Sources")]
    assert not [t for t in body if "Unverified" in t], "flags belong beside the sources"
    if "Points not yet confirmed" in texts:
        assert texts.index("Points not yet confirmed") > texts.index("Appendix E. Sources")
    assert document.paragraphs[0].style is not None
    assert document.paragraphs[0].style.name == "Title"
    links = [r.target_ref for r in document.part.rels.values() if r.is_external]
    assert links and all(u.startswith(("https://", "http://")) for u in links)
    for grid in document.tables:
        header = grid.rows[0]._tr.trPr
        assert header is not None and header.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader") is not None
        assert all(c.paragraphs[0].runs and c.paragraphs[0].runs[0].bold
                   for c in grid.rows[0].cells if c.text)
        # Every table spans the text width with sized columns (LibreOffice and Word squeeze
        # an unsized table's columns to their longest word otherwise: seen in page images).
        width = grid._tbl.tblPr.find(W + "tblW")
        assert width is not None and (width.get(W + "type"), width.get(W + "w")) == ("pct", "5000")
        spans = [c.width for c in grid.rows[-1].cells]
        text_width = (document.sections[0].page_width - document.sections[0].left_margin
                      - document.sections[0].right_margin)
        assert all(spans) and abs(sum(spans) - text_width) <= 635 * len(spans)  # twips


def test_the_word_measures_table_has_the_pdfs_columns() -> None:
    built, given = _built(SCENARIOS[0])
    ctx = docx_export.context(KB, built, read_profile(KB, given), start=START)
    document = docx.Document(io.BytesIO(docx_export.render(ctx)))
    grid = next(t for t in document.tables if t.rows[0].cells[0].text == "Measure")
    assert [c.text for c in grid.rows[0].cells] == [
        "Measure", "Data from", "Baseline", "Target", "How often", "Owner"]
    assert len(grid.rows) == 1 + len(built.recommended[0].measures)


def test_the_word_plans_cost_table_adds_up() -> None:
    built, given = _built(SCENARIOS[[p.stem for p in SCENARIOS].index("huntington-qrt")])
    ctx = docx_export.context(KB, built, read_profile(KB, given), start=START)
    assert ctx.estimate is not None
    document = docx.Document(io.BytesIO(docx_export.render(ctx)))
    grid = next(t for t in document.tables if t.rows[0].cells[0].text == "Line")
    money = [[int(c.text.replace("$", "").replace(",", "")) for c in row.cells[3:5]]
             for row in grid.rows[1:]]
    *lines, total = money
    assert total == [sum(x[0] for x in lines), sum(x[1] for x in lines)]
    assert total == [ctx.estimate.low, ctx.estimate.high]
    assert "adjust locally" in "\n".join(p.text for p in document.paragraphs)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_action_plan_spreadsheet_dates_follow_the_dependencies(path: Path) -> None:
    built, given = _built(path)
    rows = action_table.rows(KB, built, read_profile(KB, given), START)
    assert rows and min(r.start for r in rows) == START
    book = openpyxl.load_workbook(io.BytesIO(sheet_export.xlsx(rows, community="Twin Rivers",
                                                              done=built.done)))
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == list(action_table.SHEET_HEADERS)
    assert sheet.freeze_panes == "A2"
    assert all(sheet.column_dimensions[c].width for c in "ABCDEFGHIJK")
    assert book.properties.title == "Action plan: Twin Rivers"
    everything = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(everything) == len(rows) + len(built.done)
    assert [r[0] for r in everything] == list(range(1, len(everything) + 1))
    table, done = everything[:len(rows)], everything[len(rows):]
    # The steps the answers say are done: rows marked done, with no dates, wait or slack.
    assert [r[1] for r in done] == [t.label for t in built.done]
    for _n, _step, phase, lead, first, last, waits, slip, chain, status, who in done:
        assert phase == action_table.DONE_PHASE and status == action_table.DONE_STATUS
        assert first is None and last is None and slip is None and not waits and not lead
        assert chain == "No" and who == "Twin Rivers"
    by_number = {r[0]: r for r in table}
    phases = ["Before launch", "Launch", "After launch"]
    for _number, step, phase, _lead, first, last, waits, slip, chain, status, who in table:
        assert isinstance(first, dt.datetime) and isinstance(last, dt.datetime)
        assert first <= last and status == "Not started" and chain in {"Yes", "No"}
        assert who == "Twin Rivers" and phase in phases and step
        assert (slip == 0) == (chain == "Yes"), (step, slip)
        for dep in str(waits).split(", ") if waits else ():
            assert by_number[int(dep)][5] < first, (step, dep)
            # Nothing planned before launch waits for a launch step, and the launch never
            # waits for a step planned after it.
            assert phases.index(by_number[int(dep)][2]) <= phases.index(phase), (step, dep)
    assert any(r[8] == "Yes" for r in table)
    text = sheet_export.csv_bytes(rows, "Twin Rivers", built.done).decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[0] == list(action_table.SHEET_HEADERS)
    assert [r[1] for r in parsed[1:]] == [r[1] for r in everything]
    assert [r[4] for r in parsed[1:]] == [r[4].date().isoformat() if r[4] else ""
                                          for r in everything]
    assert [int(r[7]) if r[7] else None for r in parsed[1:]] == [r[7] for r in everything]


def test_each_step_ends_on_its_last_day_and_the_next_starts_the_day_after() -> None:
    built, given = _built(SCENARIOS[0])
    profile = read_profile(KB, given)
    for row, step in zip(action_table.rows(KB, built, profile, START), built.timeline, strict=True):
        assert (row.end - row.start).days + 1 == step.task.duration_days


@pytest.mark.parametrize(("today", "expected"), [
    (dt.date(2026, 11, 25), dt.date(2026, 12, 7)),
    (dt.date(2026, 12, 31), dt.date(2027, 1, 4)),
    (dt.date(2027, 2, 1), dt.date(2027, 3, 1)),  # March 1, 2027 is a Monday
    (dt.date(2027, 1, 31), dt.date(2027, 2, 1)),
])
def test_the_default_start_is_the_first_monday_of_next_month(today: dt.date,
                                                             expected: dt.date) -> None:
    assert default_start(today) == expected
    assert expected.weekday() == 0


def test_a_lead_is_a_partner_the_community_named_or_to_assign() -> None:
    built, given = _built(SCENARIOS[0])
    have = {KB.facts[f].label for f in planning.named_partners(KB, read_profile(KB, given))}
    for row in action_table.rows(KB, built, read_profile(KB, given), START):
        assert row.lead in have or row.lead == actions.TO_ASSIGN


@pytest.mark.parametrize("pathway", sorted(KB.pathways))
def test_starter_documents_exist_for_every_pathway_with_the_named_partners(
        pathway: str) -> None:
    raw = {"community-name": "Testville", "state": "wv", "population": "under-50k",
           "rurality": "rural", "lead-agency": "sheriff", "existing-program": "no",
           "partners": ["treatment-provider", "peer-recovery"]}
    given = answers.validate(KB, raw, complete=False)
    built = planning.build(KB, read_profile(KB, given), choose=pathway)
    assert built.top is not None and built.top.score.pathway.id == pathway
    documents = starter.for_plan(KB, built, read_profile(KB, given))
    kinds = {d.kind for d in documents}
    assert {"mou", "data-sharing", "form"} <= kinds
    assert ("procedure" in kinds) == (pathway == "naloxone-plus")
    named = {s.label for s in built.top.stakeholders if s.status == "named"}
    mou = next(d for d in documents if d.kind == "mou")
    text = " ".join(i for s in mou.sections for i in s.items)
    assert "Sheriff's office" in text and "Testville" in mou.sections[0].items[2]
    for label in named - {"Sheriff's office"}:
        assert label in text, label
    assert "{" not in text and "}" not in text
    for d in documents:
        assert all(s.link.startswith("https://") for s in d.samples)


def test_the_cli_writes_docx_xlsx_csv_and_the_starter_documents(tmp_path: Path) -> None:
    source = Path(__file__).parent / "fixtures" / "answers" / "huntington.json"
    runner = CliRunner()
    for name, check in (("plan.docx", lambda b: docx.Document(io.BytesIO(b))),
                        ("actions.xlsx", lambda b: openpyxl.load_workbook(io.BytesIO(b))),
                        ("actions.csv", lambda b: b.decode("utf-8-sig").index("No.,Step,Phase"))):
        out = tmp_path / name
        result = runner.invoke(main, ["plan", str(source), "-o", str(out),
                                      "--start", "2027-01-04"])
        assert result.exit_code == 0, result.output
        check(out.read_bytes())
    assert "2027-01-04" in (tmp_path / "actions.csv").read_text("utf-8-sig")
    alone = tmp_path / "starter.docx"
    result = runner.invoke(main, ["plan", str(source), "-o", str(alone), "--starter-documents"])
    assert result.exit_code == 0, result.output
    titles = [p.text for p in docx.Document(str(alone)).paragraphs
              if p.style is not None and p.style.name == "Heading 1"]
    assert "Referral form" in titles and any("Memorandum" in t for t in titles)
    wrong = runner.invoke(main, ["plan", str(source), "-o", str(tmp_path / "x.csv"),
                                 "--starter-documents"])
    assert wrong.exit_code == 2 and "NAME.docx" in wrong.output


def test_a_local_wage_in_the_answers_reaches_the_word_plan() -> None:
    built, given = _built(SCENARIOS[[p.stem for p in SCENARIOS].index("huntington-qrt")])
    local = dict(given)
    local["local-peer-wage"] = 41000.0
    local["local-budget"] = 300000.0
    ctx = docx_export.context(KB, built, read_profile(KB, local), start=START)
    assert ctx.estimate is not None and ctx.estimate.budget == 300000
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(docx_export.render(ctx)))
                     .paragraphs)
    assert costs.dollars(300000) in text


def test_an_unchanged_plan_gives_the_same_bytes() -> None:
    import zipfile

    from planner.documents.ooxml import FIXED

    built, given = _built(SCENARIOS[0])
    generated = dt.date(2026, 11, 25)
    profile = read_profile(KB, given)
    word = docx_export.render_plan(KB, built, profile, start=START, generated=generated)
    rows = action_table.rows(KB, built, read_profile(KB, given), START)
    sheet = sheet_export.xlsx(rows, generated=generated)
    for body in (word, sheet):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert {i.date_time for i in archive.infolist()} == {FIXED}
            core = archive.read("docProps/core.xml").decode()
            assert "2026-11-25T00:00:00Z" in core
    assert word == docx_export.render_plan(KB, built, read_profile(KB, given), start=START,
                                           generated=generated)


def test_a_word_section_is_data_the_one_builder_renders() -> None:
    """A new section is a Section in the list: headings, numbered items, a table with the
    columns asked for, and the ``empty`` and ``when`` branches, with no new code."""
    from planner.documents import docx_sections as d

    built, given = _built(SCENARIOS[0])
    ctx = docx_export.context(KB, built, read_profile(KB, given), start=START)
    extra = d.Section("Extra", (
        d.Each(lambda s: ("a", "b"), (d.Para(lambda s: f"{s.n}. {s.it}"),), start=3),
        d.Each(lambda s: (), (d.Para("never"),), empty=(d.Para("none listed"),)),
        d.With(lambda s: s.plan.community, (d.Heading(lambda s: f"For {s.it}", 2),)),
        d.Bullets(lambda s: [], empty=("nothing yet",)),
        d.Para("hidden", when=lambda s: False),
        d.Table(("One", "Two"), lambda s: [(1.0, dt.date(2027, 1, 4))], widths=(1, 3)),
    ))
    sections = (d.SECTIONS[0], ("extra", extra))
    document = docx.Document(io.BytesIO(docx_export.render(ctx, sections)))
    texts = [p.text for p in document.paragraphs]
    assert texts[texts.index("Extra"):] == ["Extra", "3. a", "4. b", "none listed",
                                            f"For {built.community}", "nothing yet"]
    assert [c.text for c in document.tables[0].rows[1].cells] == ["1", "2027-01-04"]
    headings = [p.text for p in document.paragraphs if p.style is not None
                and p.style.name.startswith(("Heading", "Title"))]
    assert headings == [f"Starter plan: {built.community}", "Extra", f"For {built.community}"]
    with pytest.raises(TypeError):
        docx_export.build(document, d.Block(), d.Scope(ctx))  # a block of no known kind
