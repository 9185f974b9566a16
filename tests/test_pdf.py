"""The plan as PDF: tagged, titled, bookmarked, paginated, linked, and not blank."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdf
import pytest
from needs import missing
from PIL import Image
from scenarioplans import ScenarioPlans, each_scenario

from planner.documents import pdf, report
from planner.engine import answers, plan
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

HUNTINGTON_FILE = Path(__file__).parent / "fixtures" / "answers" / "huntington.json"
SECTIONS = ("Council brief", "Action plan", "Who must be at the table", " in practice",
            "Appendix A. How each pathway ranked", "Appendix B. Your answers",
            "Appendix C. Measures to collect", "Appendix D. Consultant notes",
            "Appendix E. Sources")

NOTE = "Met the chief on 3 May; the council votes in June."


@pytest.fixture(scope="module")
def built(shipped_kb: Knowledge) -> tuple[plan.Plan, dict[str, Any]]:
    data = json.loads(HUNTINGTON_FILE.read_text(encoding="utf-8"))
    given = dict(answers.read_file(shipped_kb, data).answers)
    return plan.build(shipped_kb, read_profile(shipped_kb, given)), given


@pytest.fixture(scope="module")
def pdf_bytes(shipped_kb: Knowledge, built: tuple[plan.Plan, dict[str, Any]]) -> bytes:
    the_plan, given = built
    profile = read_profile(shipped_kb, given)
    html = report.render_plan_html(shipped_kb, the_plan, profile, for_pdf=True, notes=[NOTE],
                                   generated=dt.date(2026, 11, 1))
    return pdf.render_pdf(html)


@pytest.fixture(scope="module")
def reader(pdf_bytes: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(pdf_bytes))


@pytest.fixture(scope="module")
def text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def uris(reader: pypdf.PdfReader) -> set[str]:
    found = set()
    for page in reader.pages:
        for ref in page.get("/Annots") or ():
            annot = ref.get_object()
            action = annot.get("/A")
            if annot.get("/Subtype") == "/Link" and action and action.get("/S") == "/URI":
                found.add(str(action["/URI"]))
    return found


def outline_titles(items: list[Any]) -> list[str]:
    titles = []
    for item in items:
        if isinstance(item, list):
            titles.extend(outline_titles(item))
        else:
            titles.append(str(item.title))
    return titles


def test_every_section_title_is_in_the_text(text: str) -> None:
    for title in SECTIONS:
        assert title in text, title
    assert NOTE in " ".join(text.split())


def test_every_section_has_a_bookmark(reader: pypdf.PdfReader) -> None:
    titles = outline_titles(reader.outline)
    for title in SECTIONS:
        assert any(title in t for t in titles), title


def test_every_expected_link_is_a_uri_annotation(
    shipped_kb: Knowledge, built: tuple[plan.Plan, dict[str, Any]], reader: pypdf.PdfReader
) -> None:
    detail = built[0].recommended[0]
    kb = shipped_kb
    expected = {kb.tta[m.id].link for m in detail.tta}
    expected |= {kb.tta[t.id].link for g in detail.gaps for t in g.tta}
    expected |= {kb.mentor_sites[m.id].link for m in detail.mentors}
    expected |= {kb.funding[m.id].link for m in detail.funding}
    expected |= {s.url for s in built[0].sources}
    found = uris(reader)
    # WeasyPrint percent-encodes non-ASCII characters in IRIs; compare on that form.
    missing = {u for u in expected if u not in found and u.encode("ascii", "ignore").decode()
               not in found}
    assert not missing


def test_the_metadata_has_title_author_and_language(reader: pypdf.PdfReader) -> None:
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Deflection starter plan: Huntington / Cabell County"
    assert meta.author
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_the_pdf_is_tagged(reader: pypdf.PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])


def _structure(node: Any, found: list[Any]) -> None:
    node = node.get_object() if hasattr(node, "get_object") else node
    if isinstance(node, pypdf.generic.DictionaryObject):
        if "/S" in node:
            found.append(node)
        if "/K" in node:
            _structure(node["/K"], found)
    elif isinstance(node, pypdf.generic.ArrayObject):
        for child in node:
            _structure(child, found)


def test_the_structure_tree_has_headings_tables_lists_links_and_described_figures(
        reader: pypdf.PdfReader, built: tuple[plan.Plan, dict[str, Any]]) -> None:
    elements: list[Any] = []
    _structure(reader.trailer["/Root"]["/StructTreeRoot"]["/K"], elements)
    kinds = {str(e["/S"]) for e in elements}
    assert {"/H1", "/H2", "/H3", "/Table", "/TH", "/TD", "/L", "/LI", "/Link",
            "/Figure"} <= kinds
    figures = [e for e in elements if e["/S"] == "/Figure"]
    # One stakeholder map per recommended pathway, then the ranking chart.
    assert len(figures) == 1 + len(built[0].recommended)
    alts = [str(f.get("/Alt", "")) for f in figures]
    assert alts[-1].startswith("Pathway fit scores out of 100.")
    assert all(s.pathway.label in alts[-1] for s in built[0].ranking.scores)
    assert alts[0].startswith("Partners for ")
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/DisplayDocTitle"]


def test_every_table_has_a_caption(shipped_kb: Knowledge, reader: pypdf.PdfReader,
                                   built: tuple[plan.Plan, dict[str, Any]]) -> None:
    """Each table of the plan is tagged with its caption; a table that runs on past a column
    or page is tagged again there, and only its first part carries the caption."""
    the_plan, given = built
    html = report.render_plan_html(shipped_kb, the_plan, read_profile(shipped_kb, given),
                                   for_pdf=True, notes=[NOTE], generated=dt.date(2026, 11, 1))
    assert html.count("<table") == html.count("<caption>") >= 8
    elements: list[Any] = []
    _structure(reader.trailer["/Root"]["/StructTreeRoot"]["/K"], elements)
    tables = [e for e in elements if e["/S"] == "/Table"]
    captions = [e for e in elements if e["/S"] == "/Caption"]
    # Figure captions are tagged /Caption too.
    assert len(captions) == html.count("<table") + html.count("<figcaption")
    assert len(tables) >= html.count("<table")
    first = tables[0]["/K"]
    assert first[0].get_object()["/S"] == "/Caption"


def test_every_link_annotation_belongs_to_the_structure(reader: pypdf.PdfReader) -> None:
    links = [a.get_object() for page in reader.pages for a in page.get("/Annots", [])
             if a.get_object().get("/Subtype") == "/Link"]
    assert links
    assert all("/StructParent" in link for link in links)


def test_pages_are_numbered_under_a_running_header(reader: pypdf.PdfReader) -> None:
    count = len(reader.pages)
    second = reader.pages[1].extract_text()
    assert f"Page 2 of {count}" in second
    assert "Huntington / Cabell County" in second


def test_page_one_is_not_blank(pdf_bytes: bytes, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        missing("pdftoppm is not installed (apt-get install poppler-utils)")
    source = tmp_path / "plan.pdf"
    source.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(source),
                    str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    with Image.open(png) as image:
        grey = image.convert("L")
        inked = sum(grey.histogram()[:200])
        share = inked / (grey.width * grey.height)
    assert share > 0.01, f"only {share:.2%} of page 1 has ink"




@pytest.mark.slow
@pytest.mark.parametrize("path", each_scenario())
def test_every_scenario_plan_renders_with_its_sections_links_and_pathway(
    shipped_kb: Knowledge, scenario_plan: ScenarioPlans, path: Path
) -> None:
    the_plan, body = scenario_plan(path).plan, scenario_plan(path).pdf
    pdf_reader = pypdf.PdfReader(io.BytesIO(body))
    content = "\n".join(page.extract_text() for page in pdf_reader.pages)
    for title in SECTIONS:
        assert title in content, f"{path.stem}: section {title!r} missing"
    top = the_plan.recommended[0]
    assert f"{top.score.pathway.label} in practice" in content
    links = uris(pdf_reader)
    for match in (*top.mentors, *top.tta, *top.funding):
        record = (shipped_kb.mentor_sites.get(match.id) or shipped_kb.tta.get(match.id)
                  or shipped_kb.funding[match.id])
        assert record.link in links, f"{path.stem}: {record.link} is not a link"
    assert "/StructTreeRoot" in pdf_reader.trailer["/Root"]
