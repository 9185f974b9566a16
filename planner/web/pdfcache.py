"""Recently rendered plan PDFs, kept per process and keyed by the plan's HTML.

The HTML fully determines the PDF (its CSS and charts are inline and the renderer
loads nothing else that could change), so a plan downloaded again unchanged is
served from memory instead of being rendered for another second, and without
taking one of the bounded render slots; and requests for a plan that is being rendered
right now wait for that render instead of starting another (a room downloading the plan
a consultant has just projected). Any change to the answers, notes,
overrides, knowledge, templates or the date changes the HTML, hence the key.
The cache is looked up only after the route has checked who may see the plan;
its keys are SHA-256 digests, never shown to anyone.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Flask, current_app


class PdfCache:
    """A thread-safe LRU of PDF bytes, bounded by entry count."""

    def __init__(self, entries: int) -> None:
        self.entries = max(0, entries)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(html: str) -> str:
        return hashlib.sha256(html.encode("utf-8")).hexdigest()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: str, body: bytes) -> None:
        if self.entries == 0:
            return
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def claim(self, key: str) -> threading.Event | None:
        """Claim the render of `key`: None if this caller should render it (then `release`
        it), or the event to wait on while another request renders the same plan."""
        with self._lock:
            running = self._rendering.get(key)
            if running is not None:
                return running
            self._rendering[key] = threading.Event()
            return None

    def release(self, key: str) -> None:
        """End this caller's render of `key` (done or failed) and wake the waiters."""
        with self._lock:
            event = self._rendering.pop(key, None)
        if event is not None:
            event.set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def cache() -> PdfCache:
    """The app's PDF cache."""
    found: PdfCache = current_app.extensions["planner.pdf_cache"]
    return found


def init_app(app: Flask) -> None:
    """Create the cache with PDF_CACHE_ENTRIES entries (0 turns it off)."""
    app.extensions["planner.pdf_cache"] = PdfCache(int(app.config["PDF_CACHE_ENTRIES"]))
