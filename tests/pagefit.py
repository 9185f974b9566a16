"""Measure a rendered plan as WeasyPrint lays it out: which tables, cells or lines reach
past the page's right margin (the PDF's own geometry, not a guess from the CSS)."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from typing import Any, NamedTuple

import weasyprint

from planner.documents import pdf

TABLE_BOXES = ("TableBox", "TableWrapperBox", "TableRowBox", "TableCellBox")


class Overflow(NamedTuple):
    page: int
    box: str
    right_edge: float  # CSS px (1/96 in) from the page's left edge
    margin_edge: float


def _inside_table(box: Any, parents: tuple[str, ...]) -> bool:
    return any(p in TABLE_BOXES for p in parents)


def overflows(html: str) -> list[Overflow]:
    """Every table box, and every line inside a table, whose right edge passes the right
    margin of its page (to a hundredth of a px)."""
    document = weasyprint.HTML(string=html).render(font_config=pdf.font_config())
    out = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        margin_edge = (box.margin_width() - box.margin_right - box.border_right_width
                       - box.padding_right)
        stack: list[tuple[Any, tuple[str, ...]]] = [(box, ())]
        while stack:
            item, parents = stack.pop()
            name = type(item).__name__
            if name in TABLE_BOXES or (name == "LineBox" and _inside_table(item, parents)):
                edge = item.position_x + item.margin_width()
                if edge > margin_edge + 0.01:
                    out.append(Overflow(number, name, round(edge, 2), round(margin_edge, 2)))
            for child in getattr(item, "children", None) or ():
                stack.append((child, (*parents, name)))
    return out


def html_headings(html: str) -> list[str]:
    """The plan's section headings (h2 and h3), as text, in order."""
    found = re.findall(r"<h([23])\b[^>]*>(.*?)</h\1>", html, re.S)
    return [_text(body) for _, body in found]


def docx_headings(data: bytes) -> list[str]:
    """The Word copy's headings (every Heading style), as text, in order."""
    xml = zipfile.ZipFile(BytesIO(data)).read("word/document.xml").decode("utf-8")
    out = []
    for match in re.finditer(r"<w:p\b[^>]*>(.*?)</w:p>", xml, re.S):
        body = match.group(1)
        style = re.search(r'<w:pStyle w:val="(Heading\d)"', body)
        if style:
            out.append(_text("".join(re.findall(r"<w:t\b[^>]*>([^<]*)</w:t>", body))))
    return out


def _text(markup: str) -> str:
    import html as html_lib

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", markup)).split())


def text_of(markup: str) -> str:
    """The text of some HTML as a reader sees it: tags dropped, entities read, spaces joined."""
    return _text(markup)
