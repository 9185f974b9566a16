"""Turn the plan's HTML into a tagged PDF (the only module that imports WeasyPrint).

Rendering is locked down: the URL fetcher serves `data:` URIs and files inside
the app's own static folder, and refuses everything else (other files, `../`
escapes, http, https, ftp), so text a community typed can never make the
renderer read a local file or call a server.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pydyf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

PDF_VARIANT = "pdf/ua-1"
# Part of every stored render's key: a new renderer renders every plan anew.
RENDERER = f"weasyprint {weasyprint.__version__} {PDF_VARIANT}"


def default_static_dir() -> Path:
    """The web app's own static folder (planner/web/static)."""
    return Path(__file__).resolve().parents[1] / "web" / "static"


class FetchRefused(ValueError):
    """Raised for any resource the plan may not load."""


class StaticOnlyFetcher(URLFetcher):
    """Serve `data:` URIs and files under one folder; refuse everything else."""

    def __init__(self, static_dir: Path | str | None = None, **kwargs: Any) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, **kwargs)
        self.static_dir = Path(static_dir or default_static_dir()).resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the resource at url if it is a data: URI or a file inside static_dir."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            raise FetchRefused(f"refused to fetch {url!r}: only data: and static files")
        path = self._static_path(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  {"Content-Type": content_type})

    def _static_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to fetch {url!r}: remote file host")
        # Resolve symlinks and `..` before the containment check, not after.
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_relative_to(self.static_dir) or not path.is_file():
            raise FetchRefused(f"refused to fetch {url!r}: outside the static folder")
        return path


_fonts: FontConfiguration | None = None
# One render at a time per process: the shared FontConfiguration is not known to be
# thread-safe, and renders are CPU-bound, so running them in parallel gains nothing.
_render_lock = threading.Lock()


def font_config() -> FontConfiguration:
    """The process-wide FontConfiguration (a new one per render leaks memory)."""
    global _fonts
    if _fonts is None:
        _fonts = FontConfiguration()
    return _fonts


def render_pdf(html: str, *, static_dir: Path | str | None = None) -> bytes:
    """Render plan HTML to a tagged PDF/UA-1 document and return its bytes.

    Title, language and author come from the HTML's <title>, <html lang> and
    <meta name="author">. Relative URLs resolve inside static_dir, and only
    files there (and data: URIs) can be loaded.
    """
    fetcher = StaticOnlyFetcher(static_dir)
    document = weasyprint.HTML(
        string=html, base_url=fetcher.static_dir.as_uri() + "/", url_fetcher=fetcher,
    )
    with _render_lock:
        pdf = document.write_pdf(font_config=font_config(), pdf_variant=PDF_VARIANT,
                                 finisher=finish_tags)
    if pdf is None:  # write_pdf returns the bytes when it is given no target
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)


class _Tree:
    """WeasyPrint's structure tree as pydyf objects, before the PDF is written.

    Kids in a /K array are references (b"12 0 R") to structure elements or integers
    (marked-content ids); a reference's number is its index in the PDF's object list.
    """

    def __init__(self, document: pydyf.PDF) -> None:
        self.objects = document.objects
        self.parent: dict[int, int] = {}

    def get(self, reference: Any) -> pydyf.Dictionary | None:
        if not isinstance(reference, bytes | str):
            return None
        target = self.objects[int(reference.split()[0])]
        return target if isinstance(target, pydyf.Dictionary) else None

    def kids(self, element: pydyf.Dictionary) -> list[pydyf.Dictionary]:
        """The element's structure-element kids, in order."""
        found = []
        for kid in element.get("K") or ():
            child = self.get(kid)
            if child is not None and child.get("Type") == "/StructElem":
                self.parent[child.number] = element.number
                found.append(child)
        return found

    def walk(self, root: pydyf.Dictionary) -> list[pydyf.Dictionary]:
        """Every structure element under root, in reading order (depth first)."""
        order: list[pydyf.Dictionary] = []
        stack = list(reversed(self.kids(root)))
        while stack:
            element = stack.pop()
            order.append(element)
            stack.extend(reversed(self.kids(element)))
        return order

    def parent_of(self, element: pydyf.Dictionary) -> pydyf.Dictionary | None:
        number = self.parent.get(element.number)
        return None if number is None else self.objects[number]


def _set_scope(cell: pydyf.Dictionary, scope: str) -> None:
    """Give a /TH its /Scope in its Table attribute object (adding one if it has none)."""
    attributes = cell.get("A")
    if isinstance(attributes, dict) and attributes.get("O") == "/Table":
        attributes["Scope"] = scope
    else:
        cell["A"] = pydyf.Dictionary({"O": "/Table", "Scope": scope})


def _join_split_captions(tree: _Tree, elements: list[pydyf.Dictionary]) -> None:
    """Move a caption WeasyPrint left alone at a page's foot into its table.

    When a table's caption ends one page and its rows start the next, WeasyPrint tags
    two /Table elements, one per page: one with only the /Caption, then one with the rows.
    A table without rows has no determinable structure (PDF/UA-1 7.5), so the caption
    joins the next table in reading order (its rows) and the empty one leaves the tree.
    """
    tables = [e for e in elements if e.get("S") == "/Table"]
    for index, table in enumerate(tables[:-1]):
        kids = tree.kids(table)
        if not kids or any(k.get("S") != "/Caption" for k in kids):
            continue
        target = tables[index + 1]  # the next table in reading order: its rows, next page
        roles = [k.get("S") for k in tree.kids(target)]
        if "/Caption" in roles or not any(r in ("/THead", "/TBody", "/TR") for r in roles):
            continue
        target["K"] = pydyf.Array([*(k.reference for k in kids), *target["K"]])
        for caption in kids:
            caption["P"] = target.reference
        table["K"] = pydyf.Array()
        parent = tree.parent_of(table)
        if parent is not None:
            parent["K"] = pydyf.Array([k for k in parent["K"] if k != table.reference])


def finish_tags(document: Any, pdf: pydyf.PDF) -> None:
    """Complete WeasyPrint's structure tree before the PDF is written (its `finisher`).

    WeasyPrint tags <th> as /TH but drops the HTML `scope`, which PDF/UA-1 (Matterhorn
    15-003) needs to tie headers to data cells. A header in the table head, or in a row
    of headers only, is a column header; a header beside data cells is a row header
    (the plan's tables use `scope="col"` and `scope="row"` exactly so). A caption split
    from its table's rows by a page break joins them.
    """
    del document  # the finisher is called with WeasyPrint's document too
    root = pdf.catalog.get("StructTreeRoot")
    tree = _Tree(pdf)
    root_element = tree.get(root)
    if root_element is None:
        return
    elements = tree.walk(root_element)
    _join_split_captions(tree, elements)
    for row in elements:
        if row.get("S") != "/TR":
            continue
        cells = [c for c in tree.kids(row) if c.get("S") in ("/TH", "/TD")]
        heads_only = all(c.get("S") == "/TH" for c in cells)
        parent = tree.parent_of(row)
        column = heads_only or (parent is not None and parent.get("S") == "/THead")
        for cell in cells:
            if cell.get("S") == "/TH":
                _set_scope(cell, "/Column" if column else "/Row")
