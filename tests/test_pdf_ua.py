"""Every scenario's plan passes the pdfua checker, and every PDF table header has its scope."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pdfua import Severity, Validator
from scenarioplans import ScenarioPlans, each_scenario

from planner.documents import pdf
from planner.knowledge import loader

SCOPE_RULE = "UA-15-003"  # Matterhorn 15-003: table headers not tied to their cells


def header_cells(document: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every /TH element of the structure tree."""
    found = []
    stack: list[Any] = [document.Root.StructTreeRoot]
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.get("/S") == "/TH":
            found.append(node)
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
        elif kids is not None:
            stack.append(kids)
    return found


def scope_of(cell: pikepdf.Dictionary) -> str | None:
    attributes = cell.get("/A")
    objects = list(attributes) if isinstance(attributes, pikepdf.Array) else [attributes]
    for attribute in objects:
        if isinstance(attribute, pikepdf.Dictionary) and "/Scope" in attribute:
            return str(attribute.Scope)
    return None


@pytest.fixture(scope="module")
def kb() -> Any:
    return loader.load_default()


@pytest.mark.slow
@pytest.mark.parametrize("path", each_scenario())
def test_the_scenario_plan_passes_pdfua_with_every_header_scoped(
        scenario_plan: ScenarioPlans, path: Path, tmp_path: Path) -> None:
    body = scenario_plan(path).pdf
    with pikepdf.open(io.BytesIO(body)) as document:
        cells = header_cells(document)
        scopes = [scope_of(c) for c in cells]
    assert cells, "the plan has tables with header cells"
    assert None not in scopes, f"{scopes.count(None)} of {len(cells)} headers lack /Scope"
    assert set(scopes) <= {"/Column", "/Row"}
    assert "/Column" in scopes and "/Row" in scopes  # the plan has both kinds of table
    target = tmp_path / f"{path.stem}.pdf"
    target.write_bytes(body)
    found = Validator().validate(str(target)).findings
    problems = [f"{f.rule_id}: {f.message}" for f in found
                if f.severity >= Severity.ERROR or f.rule_id == SCOPE_RULE]
    assert problems == []


def test_scoping_gives_column_and_row_headers_their_scope() -> None:
    # A tiny table: a head row of column headers, a body row with a row header.
    html = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>T</title></head>"
            "<body><table><thead><tr><th scope='col'>Step</th><th scope='col'>When</th></tr>"
            "</thead><tbody><tr><th scope='row'>Meet</th><td>May</td></tr></tbody></table>"
            "</body></html>")
    with pikepdf.open(io.BytesIO(pdf.render_pdf(html))) as document:
        scopes = sorted(str(scope_of(c)) for c in header_cells(document))
    assert scopes == ["/Column", "/Column", "/Row"]


def _roles(node: Any) -> list[str]:
    """The structure roles under node, depth first."""
    found = []
    if isinstance(node, pikepdf.Dictionary) and "/S" in node:
        found.append(str(node.S))
    kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
    for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
        found.extend(_roles(kid))
    return found


def test_a_caption_left_at_a_page_foot_is_tagged_with_its_rows() -> None:
    # The caption fits at the foot of page 1, the rows go to page 2: WeasyPrint alone tags
    # two tables, one holding only the caption (a table without rows, PDF/UA-1 7.5).
    html = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>T</title>"
            "<style>@page { size: 200pt 200pt; margin: 10pt } body { margin: 0 }"
            " tr { break-inside: avoid } td, th { height: 30pt }</style></head><body>"
            "<div style='height: 150pt'>Before</div><table><caption>Costs</caption>"
            "<thead><tr><th scope='col'>Item</th><th scope='col'>Cost</th></tr></thead>"
            "<tbody><tr><th scope='row'>Staff</th><td>1</td></tr></tbody></table>"
            "</body></html>")
    import weasyprint

    alone = weasyprint.HTML(string=html).write_pdf(pdf_variant=pdf.PDF_VARIANT)
    with pikepdf.open(io.BytesIO(alone)) as document:
        assert len(document.pages) == 2
        assert _roles(document.Root.StructTreeRoot).count("/Table") == 2
    with pikepdf.open(io.BytesIO(pdf.render_pdf(html))) as document:
        roles = _roles(document.Root.StructTreeRoot)
        scopes = sorted(str(scope_of(c)) for c in header_cells(document))
    assert roles.count("/Table") == 1
    table = roles.index("/Table")
    assert roles[table + 1] == "/Caption" and "/THead" in roles[table:]
    assert scopes == ["/Column", "/Column", "/Row"]
