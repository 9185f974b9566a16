"""Turn the plan's HTML into a tagged PDF (the only module that imports WeasyPrint).

Rendering is locked down: the URL fetcher serves `data:` URIs and files inside
the app's own static folder, and refuses everything else (other files, `../`
escapes, http, https, ftp), so text a community typed can never make the
renderer read a local file or call a server.
"""

from __future__ import annotations

import io
import mimetypes
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pikepdf
import weasyprint
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

PDF_VARIANT = "pdf/ua-1"
# Part of every stored render's key: a new renderer renders every plan anew.
RENDERER = f"weasyprint {weasyprint.__version__} {PDF_VARIANT}"


def default_static_dir() -> Path:
    """The web app's own static folder (planner/web/static)."""
    return Path(__file__).resolve().parent / "web" / "static"


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
        pdf = document.write_pdf(font_config=font_config(), pdf_variant=PDF_VARIANT)
    if pdf is None:  # write_pdf returns the bytes when it is given no target
        raise RuntimeError("WeasyPrint returned no PDF")
    return scope_table_headers(bytes(pdf))


def _kids(node: pikepdf.Object) -> list[pikepdf.Object]:
    kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _role(node: pikepdf.Object) -> str:
    if isinstance(node, pikepdf.Dictionary):
        role = node.get("/S")
        return str(role) if role is not None else ""
    return ""


@dataclass
class _Element:
    """A structure element read once: every access to a pikepdf object crosses into C++,
    so the tree is walked once and both passes work on this copy."""

    obj: pikepdf.Object
    role: str
    parent: _Element | None
    kids: list[_Element] = field(default_factory=list)  # the tagged kids, in order


def _structure(tree: pikepdf.Object) -> list[_Element]:
    """Every structure element under tree, in reading order (depth first)."""
    root = _Element(tree, "", None)
    order: list[_Element] = []
    stack = [root]
    while stack:
        element = stack.pop()
        if element is not root:
            order.append(element)
        for kid in _kids(element.obj):
            role = _role(kid)
            if role:
                element.kids.append(_Element(kid, role, element))
        stack.extend(reversed(element.kids))
    return order


def _set_scope(cell: pikepdf.Object, scope: str) -> None:
    """Give a /TH its /Scope in a Table attribute object (adding one if it has none)."""
    attributes = cell.get("/A")
    objects = (list(attributes) if isinstance(attributes, pikepdf.Array)
               else [attributes] if attributes is not None else [])
    for attribute in objects:
        if isinstance(attribute, pikepdf.Dictionary) and attribute.get("/O") == "/Table":
            attribute.Scope = pikepdf.Name(scope)
            return
    table = pikepdf.Dictionary(O=pikepdf.Name.Table, Scope=pikepdf.Name(scope))
    if attributes is None:
        cell.A = table
    elif isinstance(attributes, pikepdf.Array):
        attributes.append(table)
    else:
        cell.A = pikepdf.Array([attributes, table])


def _remove_kid(parent: pikepdf.Object, kid: pikepdf.Object) -> None:
    kids = parent.get("/K")
    if isinstance(kids, pikepdf.Array):
        parent.K = pikepdf.Array([k for k in kids if not (
            k.objgen == kid.objgen if kid.is_indirect else k == kid)])
    else:
        del parent["/K"]


def _join_split_captions(elements: list[_Element]) -> int:
    """Move a caption WeasyPrint left alone at a page's foot into its table.

    When a table's caption ends one page and its rows start the next, WeasyPrint tags
    two /Table elements, one per page: one with only the /Caption, then one with the rows.
    A table without rows has no determinable structure (PDF/UA-1 7.5), so the caption
    joins the next table in reading order (its rows) and the empty one goes.
    """
    tables = [e for e in elements if e.role == "/Table"]
    moved = 0
    for index, table in enumerate(tables[:-1]):
        kids = table.kids
        if not kids or any(k.role != "/Caption" for k in kids):
            continue
        target = tables[index + 1]  # the next table in reading order: its rows, next page
        if (any(k.role == "/Caption" for k in target.kids)
                or not any(k.role in ("/THead", "/TBody", "/TR") for k in target.kids)):
            continue
        target.obj.K = pikepdf.Array([*(k.obj for k in kids), *_kids(target.obj)])
        for caption in kids:
            caption.obj.P = target.obj
            caption.parent = target
        target.kids[:0] = kids
        table.kids = []
        if table.parent is not None:
            _remove_kid(table.parent.obj, table.obj)
            table.parent.kids.remove(table)
        moved += 1
    return moved


def scope_table_headers(pdf: bytes) -> bytes:
    """Return the PDF with every table header cell (/TH) carrying its /Scope.

    WeasyPrint tags <th> as /TH but drops the HTML `scope`, which PDF/UA-1 (Matterhorn
    15-003) needs to tie headers to data cells. A header in the table head, or in a row
    of headers only, is a column header; a header beside data cells is a row header
    (the plan's tables use `scope="col"` and `scope="row"` exactly so).
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        tree = document.Root.get("/StructTreeRoot")
        if tree is None:
            return pdf
        elements = _structure(tree)
        changed = _join_split_captions(elements)
        for row in elements:
            if row.role != "/TR":
                continue
            cells = [c for c in row.kids if c.role in ("/TH", "/TD")]
            heads_only = all(c.role == "/TH" for c in cells)
            column = heads_only or (row.parent is not None and row.parent.role == "/THead")
            for cell in cells:
                if cell.role == "/TH":
                    _set_scope(cell.obj, "/Column" if column else "/Row")
                    changed += 1
        if not changed:
            return pdf
        out = io.BytesIO()
        # Only the structure tree changed: the page streams are copied as they are, not
        # decompressed and compressed again (qpdf's default; half the time of the save).
        document.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return out.getvalue()
