"""First page weight on the wire: the home page and everything it loads, as the app serves it.

Run from the checkout:  .venv/bin/python bench/bench_static.py

Serves the app with gunicorn on 127.0.0.1 (the production server), opens / in headless
Debian Chromium (which asks for gzip and brotli like any browser) and adds up the bytes of
every response on the wire (headers and encoded body), then opens / again in the same
browser to show what a returning visitor downloads (cached assets cost nothing). Last, the
results page of a completed community (the Huntington answers) is opened the same way and
its HTML document's bytes on the wire are counted against the 30 KB target.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT))

from serverhelpers import Server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGET_KB = 150.0
RESULTS_TARGET_KB = 30.0


@dataclass
class Load:
    total: int  # bytes on the wire, headers included
    files: list[tuple[str, int, int, str]]  # url, wire bytes, decoded bytes, encoding


def _visit(page: Any, base: str, path: str = "/") -> Load:
    seen: list[Any] = []

    def finished(request: Any) -> None:
        seen.append(request)

    page.on("requestfinished", finished)
    page.goto(base + path, wait_until="networkidle")
    page.remove_listener("requestfinished", finished)
    files = []
    for request in seen:
        response = request.response()
        sizes = request.sizes()
        wire = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        try:
            decoded = len(response.body()) if response is not None else 0
        except Exception:  # a body the browser took from its cache
            decoded = 0
        encoding = (response.headers.get("content-encoding", "") if response else "") or "-"
        url = request.url.removeprefix(base)
        files.append((url, wire, decoded, f"{response.status if response else '?'} {encoding}"))
    return Load(sum(f[1] for f in files), files)


def measure() -> tuple[Load, Load, tuple[str, int, int, str]]:
    """The first visit, a second one in the same browser (with its cache), and the results
    page's HTML document (url, wire bytes, decoded bytes, status and encoding)."""
    from bench_load import completed_token
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp), workers=1, threads=4,
                        env={"PLANNER_SESSION_COOKIE_SECURE": "false"}).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                context = browser.new_context()
                page = context.new_page()
                first = _visit(page, server.base)
                again = _visit(page, server.base)
                token = completed_token(server.base)
                results = _visit(page, server.base, f"/c/{token}/results")
                browser.close()
        finally:
            server.stop()
    document = next(f for f in results.files if f[0].endswith("/results"))
    return first, again, document


def main() -> int:
    first, again, document = measure()
    print(f"{'file':<60} {'wire KB':>8} {'file KB':>8}  status encoding")
    for url, wire, decoded, how in first.files:
        print(f"{url[:60]:<60} {wire / 1024:>8.1f} {decoded / 1024:>8.1f}  {how}")
    print(f"first page load on the wire: {first.total / 1024:.1f} KB "
          f"({first.total / 1024 / TARGET_KB:.2f} x target {TARGET_KB:.0f} KB)")
    print(f"the same page again (browser cache): {again.total / 1024:.1f} KB "
          f"in {len(again.files)} responses")
    print(f"results page HTML on the wire: {document[1] / 1024:.1f} KB "
          f"({document[2] / 1024:.1f} KB decoded, {document[3]}; "
          f"{document[1] / 1024 / RESULTS_TARGET_KB:.2f} x target {RESULTS_TARGET_KB:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
