"""Form fields rendered once and kept (an LRU cache per app, `cachetools`).

A question's field (its label, hint, "Why we ask", options and which of them are chosen) is
a pure function of the question, its answer, its error messages, its note and its id prefix:
nothing from the request, the session or the community goes in. The same few answers come
back again and again (most questions are a choice among a handful of options), and the
fields are most of a wizard step's render and a third of the results page's (its what-if
form holds every question): bench/bench_load.py. So each field is rendered by its macro
in templates/web/_macros.html the first time and served from the cache after, keyed by
exactly those inputs; the page is the same byte for byte (tests/web/test_fragments.py).

The cache is bounded (`FIELD_CACHE_SIZE` fields, 0 turns it off) and shared by a worker's
threads under a lock; a changed knowledge base (a new `planner.kb`) starts a new key space.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from cachetools import LRUCache
from flask import Flask, current_app
from markupsafe import Markup

MACROS = "web/_macros.html"
# The macros that may be cached: each must depend on its arguments only.
CACHEABLE = frozenset({"question_field", "what_if_field"})


class FieldCache:
    """An LRU of rendered fields, safe across a worker's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._fields: LRUCache[tuple[Any, ...], Markup] = LRUCache(maxsize=max(1, size))
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Markup | None:
        with self._lock:
            found = self._fields.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            return found

    def put(self, key: tuple[Any, ...], html: Markup) -> None:
        with self._lock:
            self._fields[key] = html


def _frozen(value: Any) -> Any:
    """An answer as a hashable key part (a list of options keeps its order: the macro
    reads membership only, but the key stays exact)."""
    if isinstance(value, list | tuple | set | frozenset):
        return ("seq", tuple(_frozen(v) for v in value))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    return (type(value).__name__, value)


def field(macro: str, q: Any, current: Mapping[str, Any], errors: Mapping[str, Any] | None,
          note: Any = None, prefix: str = "q") -> Markup:
    """The macro's rendering of question `q`, from the cache when the same inputs were
    rendered before. Only `current[q.id]` and `errors[q.id]` are read, as the macro does."""
    if macro not in CACHEABLE:
        raise ValueError(f"{macro!r} is not a cacheable field macro")
    errors = errors or {}
    cache: FieldCache | None = current_app.extensions.get("planner.fields")
    key = (id(current_app.extensions.get("planner.kb")), macro, q.id,
           _frozen(current.get(q.id)) if q.id in current else ("absent",),
           _frozen(errors.get(q.id, [])), None if note is None else str(note), prefix)
    if cache is not None and cache.size > 0:
        found = cache.get(key)
        if found is not None:
            return found
    module = current_app.jinja_env.get_template(MACROS).module
    html: Markup = getattr(module, macro)(q, current, errors, note, prefix)  # autoescaped
    if cache is not None and cache.size > 0:
        cache.put(key, html)
    return html


def init_app(app: Flask) -> None:
    app.config.setdefault("FIELD_CACHE_SIZE", 2048)
    app.extensions["planner.fields"] = FieldCache(int(app.config["FIELD_CACHE_SIZE"]))
    app.jinja_env.globals["field"] = field
