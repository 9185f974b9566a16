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
    if isinstance(node, pikepdf.Dictionary) and "/S" in node:
        return str(node.S)
    return ""


def _set_scope(cell: pikepdf.Dictionary, scope: str) -> None:
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


def _remove_kid(parent: pikepdf.Dictionary, kid: pikepdf.Object) -> None:
    kids = parent.get("/K")
    if isinstance(kids, pikepdf.Array):
        parent.K = pikepdf.Array([k for k in kids if not (
            k.objgen == kid.objgen if kid.is_indirect else k == kid)])
    else:
        del parent["/K"]


def _join_split_captions(tree: pikepdf.Object) -> int:
    """Move a caption WeasyPrint left alone at a page's foot into its table.

    When a table's caption ends one page and its rows start the next, WeasyPrint tags
    two /Table elements, one per page: one with only the /Caption, then one with the rows.
    A table without rows has no determinable structure (PDF/UA-1 7.5), so the caption
    joins the next table in reading order (its rows) and the empty one goes.
    """
    tables: list[tuple[pikepdf.Dictionary, Any]] = []  # (table, its parent)
    stack: list[tuple[pikepdf.Object, pikepdf.Object]] = [(k, tree) for k in _kids(tree)]
    while stack:
        node, parent = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or not _role(node):
            continue
        if _role(node) == "/Table":
            tables.append((node, parent))
        stack.extend((kid, node) for kid in reversed(_kids(node)))
    moved = 0
    for index, (table, parent) in enumerate(tables[:-1]):
        kids = [k for k in _kids(table) if _role(k)]
        if not kids or any(_role(k) != "/Caption" for k in kids):
            continue
        target = tables[index + 1][0]  # the next table in reading order: its rows, next page
        if (any(_role(k) == "/Caption" for k in _kids(target))
                or not any(_role(k) in ("/THead", "/TBody", "/TR") for k in _kids(target))):
            continue
        target.K = pikepdf.Array([*kids, *_kids(target)])
        for caption in kids:
            caption.P = target
        _remove_kid(parent, table)
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
        changed = _join_split_captions(tree)
        stack: list[tuple[pikepdf.Object, str]] = [(kid, "") for kid in _kids(tree)]
        while stack:
            node, parent = stack.pop()
            role = _role(node)
            if role == "/TR":
                cells = [c for c in _kids(node) if _role(c) in ("/TH", "/TD")]
                heads_only = all(_role(c) == "/TH" for c in cells)
                for cell in cells:
                    if isinstance(cell, pikepdf.Dictionary) and _role(cell) == "/TH":
                        _set_scope(cell, "/Column" if parent == "/THead" or heads_only
                                   else "/Row")
                        changed += 1
                continue
            stack.extend((kid, role) for kid in _kids(node) if _role(kid))
        if not changed:
            return pdf
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
