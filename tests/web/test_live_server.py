"""The browser tests' own server (Werkzeug's, in a thread) leaves no file open when a browser
drops a download halfway, as a browser does when it leaves a page while its fonts load."""

from __future__ import annotations

import re
import socket
import struct
import sys
import threading
import time
import urllib.request
from typing import Any

from flask import Flask
from webhelpers import serve


def _unclosed_files_after_dropped_downloads(base: str, times: int = 20) -> list[str]:
    """Start downloading the stylesheet TIMES times and reset each connection after its first
    byte; return the unclosed-file warnings raised meanwhile (in any thread)."""
    with urllib.request.urlopen(base + "/", timeout=10) as r:
        page = r.read().decode()
    match = re.search(r'href="(/static/[^"]*uswds[^"]*\.css)"', page)
    assert match, "the start page links no USWDS stylesheet"
    host, port = base.removeprefix("http://").split(":")
    caught: list[str] = []
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        caught.append(f"{unraisable.exc_type.__name__}: {unraisable.exc_value}")

    sys.unraisablehook = hook
    try:
        for _ in range(times):
            with socket.socket() as s:
                # A small receive window, so the server is still writing when the reset comes.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(10)
                s.connect((host, int(port)))
                s.sendall(f"GET {match.group(1)} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                assert s.recv(1) == b"H"  # the response has started
                # Close with a reset (linger 0), as a browser that gives up does.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        deadline = time.monotonic() + 10
        while any("process_request_thread" in t.name for t in threading.enumerate()) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        import gc
        gc.collect()
    finally:
        sys.unraisablehook = previous
    return [c for c in caught if "unclosed file" in c]


def test_a_dropped_download_leaves_no_file_open(app: Flask) -> None:
    with serve(app) as base:
        assert _unclosed_files_after_dropped_downloads(base, times=100) == []


def test_without_the_fix_a_dropped_download_leaks_its_file(app: Flask) -> None:
    """The check above can fail: Werkzeug's server alone leaves the files open."""
    leaked: list[str] = []
    with serve(app, close_bodies=False) as base:
        # A drop leaks only when the reset lands while the server still writes or drains
        # (about one drop in five here): up to 15 rounds of 20 until one does.
        for _ in range(15):
            leaked = _unclosed_files_after_dropped_downloads(base)
            if leaked:
                break
    assert leaked, "Werkzeug's server closed every dropped download's file by itself"
    assert all(".css" in text for text in leaked), leaked
