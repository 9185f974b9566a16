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
    return bytes(pdf)
