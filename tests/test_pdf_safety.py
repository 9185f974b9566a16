"""Rendering fetches nothing a community's text asks for, and that text comes out as text.

A loopback HTTP listener records every request; markup aimed at it (and at local files)
goes in through every free-text field: the community name, the notes answer and the
consultant notes. The fetcher itself is also tested directly, and fed the raw markup
with no escaping at all, so each layer holds on its own.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from planner.documents import pdf, report
from planner.engine import answers, plan
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

HUNTINGTON_FILE = Path(__file__).parent / "fixtures" / "answers" / "huntington.json"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b"body { background: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server on a free port; yields its base URL and the paths it served."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def payloads(base: str) -> list[str]:
    """Markup that would make a careless renderer read a file or call the listener."""
    return [
        '<img src="file:///etc/passwd">',
        f'<img src="{base}/img">',
        f'<link rel=stylesheet href="{base}/x.css">',
        f"<style>@import url({base}/i);</style>",
        f"<style>@font-face {{ font-family: x; src: url({base}/font) }}</style>",
        f'<div style="background: url({base}/bg)">bg</div>',
        f'<object data="{base}/object"></object>',
        f'<embed src="{base}/embed">',
        f'<svg><image href="{base}/svg-image" width="9" height="9"/></svg>',
        f'<a rel="attachment" href="{base}/attachment">a</a>',
        f'<iframe src="{base}/iframe"></iframe>',
    ]


def test_the_listener_records_hits(listener: tuple[str, list[str]]) -> None:
    """The control: a plain fetch does reach it, so zero hits below means something."""
    import urllib.request

    base, hits = listener
    with urllib.request.urlopen(f"{base}/control") as response:
        assert response.status == 200
    assert hits == ["/control"]


def test_markup_in_every_free_text_field_fetches_nothing_and_prints_as_text(
    shipped_kb: Knowledge, listener: tuple[str, list[str]]
) -> None:
    base, hits = listener
    evil = payloads(base)
    name = f'<img src="{base}/name">'
    data = json.loads(HUNTINGTON_FILE.read_text(encoding="utf-8"))
    raw = {**data["answers"], "community-name": name, "notes": "\n".join(evil)}
    given = answers.validate(shipped_kb, raw)
    built = plan.build(shipped_kb, read_profile(shipped_kb, given))
    html = report.render_plan_html(shipped_kb, built, read_profile(shipped_kb, given), for_pdf=True,
                                   notes=["\n".join(evil), report.ConsultantNote(evil[3], evil[1])])
    body = pdf.render_pdf(html)

    assert hits == []
    text = "".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages
    )
    flat = "".join(text.split())
    for snippet in (name, *evil):
        assert "".join(snippet.split()) in flat, f"not shown as text: {snippet}"
    assert "root:x:0:0" not in text


def test_the_fetcher_alone_blocks_raw_markup(tmp_path: Path,
                                             listener: tuple[str, list[str]]) -> None:
    """Even unescaped markup (if a template ever forgot to escape) loads nothing."""
    base, hits = listener
    html = ("<!DOCTYPE html><html lang='en'><head><title>t</title>"
            + "".join(p for p in payloads(base) if p.startswith(("<link", "<style")))
            + "</head><body><p>text</p>"
            + "".join(payloads(base)) + "</body></html>")
    body = pdf.render_pdf(html, static_dir=tmp_path)
    assert hits == []
    assert b"root:x:0:0" not in body


@pytest.fixture
def static(tmp_path: Path) -> Path:
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "dot.png").write_bytes(PNG)
    (folder / "print.css").write_text("p { color: navy }", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    return folder


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "file://example.org/etc/passwd",
])
def test_the_fetcher_refuses_files_outside_the_static_folder(static: Path, url: str) -> None:
    with pytest.raises(pdf.FetchRefused):
        pdf.StaticOnlyFetcher(static).fetch(url)


def test_the_fetcher_refuses_dot_dot_escapes(static: Path) -> None:
    fetcher = pdf.StaticOnlyFetcher(static)
    for url in (static.as_uri() + "/../secret.txt", static.as_uri() + "/%2e%2e/secret.txt",
                static.as_uri() + "/../static/../secret.txt"):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(url)


def test_the_fetcher_refuses_symlinks_out_of_the_static_folder(static: Path) -> None:
    (static / "link.txt").symlink_to(static.parent / "secret.txt")
    with pytest.raises(pdf.FetchRefused):
        pdf.StaticOnlyFetcher(static).fetch((static / "link.txt").as_uri())


def test_the_fetcher_refuses_network_urls(static: Path, listener: tuple[str, list[str]]) -> None:
    base, hits = listener
    fetcher = pdf.StaticOnlyFetcher(static)
    for url in (f"{base}/", f"{base}/x.css", "https://example.org/x.png", "ftp://127.0.0.1/x"):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(url)
    assert hits == []


def test_the_fetcher_serves_data_uris(static: Path) -> None:
    response = pdf.StaticOnlyFetcher(static).fetch("data:text/plain;base64,aGVsbG8=")
    assert response.read() == b"hello"
    assert response.content_type == "text/plain"


def test_the_fetcher_serves_files_inside_the_static_folder(static: Path) -> None:
    response = pdf.StaticOnlyFetcher(static).fetch((static / "dot.png").as_uri())
    assert response.read() == PNG
    assert response.content_type == "image/png"


def test_a_static_image_is_embedded_in_the_pdf(static: Path) -> None:
    """The allowed path works end to end: a relative URL resolves inside static/."""
    html = ("<!DOCTYPE html><html lang='en'><head><title>t</title></head><body>"
            "<p><img src='dot.png' alt='A dot' style='width: 20px'></p></body></html>")
    reader = pypdf.PdfReader(io.BytesIO(pdf.render_pdf(html, static_dir=static)))
    resources = reader.pages[0]["/Resources"]
    assert "/XObject" in resources
