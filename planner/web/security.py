"""Production guards: a per-client rate limit and a bound on concurrent PDF renders.

Both live in the process (no extra service): with several gunicorn workers each
worker keeps its own buckets and its own render slots, so the limits hold per
worker. Past either limit the client is told to try again (429 or 503, always
with Retry-After) instead of waiting or failing.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest, ServiceUnavailable, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

# Endpoints that are never limited: the health check and static files.
EXEMPT = {"health.healthz", "assets.static", "assets.uswds"}
PDF_ENDPOINTS = {"results.plan_pdf"}
MAX_CLIENTS = 10_000

RATE_MESSAGE = ("You have sent more requests than this site accepts in a short time. "
                "Nothing was lost. Wait {seconds} seconds, then try again.")
BUSY_MESSAGE = ("The server is busy making other plans right now. Nothing was lost. "
                "Try the download again in a moment (about {seconds} seconds).")


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by (group, client): `per_minute` requests, bursts up to that many."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, group: str, client: str, now: float | None = None) -> float:
        """Spend one token; return 0 if allowed, else the seconds until one is free."""
        capacity = float(self.limits.get(group, 0))
        if capacity <= 0:
            return 0.0
        rate = capacity / 60.0
        now = time.monotonic() if now is None else now
        with self._lock:
            bucket = self._buckets.get((group, client))
            if bucket is None:
                if len(self._buckets) >= MAX_CLIENTS:
                    self._prune(now)
                bucket = self._buckets[(group, client)] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate

    def _prune(self, now: float) -> None:
        """Forget idle clients (their buckets would be full again anyway)."""
        for key, bucket in list(self._buckets.items()):
            capacity = float(self.limits.get(key[0], 0))
            if bucket.tokens + (now - bucket.stamp) * capacity / 60.0 >= capacity:
                del self._buckets[key]
        if len(self._buckets) >= MAX_CLIENTS:  # everyone busy: start over rather than grow
            self._buckets.clear()


JSON_SHAPE = ("This address takes a JSON object whose values are text, numbers, true/false, "
              "null or lists of those. Nothing was saved.")


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


UNSAVABLE = ("What was sent contains a character that cannot be saved (a NUL character, "
             "U+0000, or half of a surrogate pair). Nothing was saved. Remove it and try again.")


def savable(text: str) -> bool:
    """True when text can be stored in any database: no NUL, valid Unicode (no lone
    surrogate)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_shape() -> None:
    """Refuse JSON bodies that a form cannot read (Flask-WTF reads JSON as form data)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested too deeply for the parser: refuse before any work
        raise BadRequest(description="The JSON sent is nested too deeply to be read. "
                                     "Nothing was saved.") from None
    if body is None and request.get_data(cache=True):
        raise BadRequest(description="The JSON sent could not be read. Nothing was saved.")
    if body is None:
        return
    if not isinstance(body, dict) or not all(
            _scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v))
            for v in body.values()):
        raise BadRequest(description=JSON_SHAPE)
    texts = [*body, *(x for v in body.values() for x in (v if isinstance(v, list) else [v])
                      if isinstance(x, str))]
    if not all(savable(t) for t in texts):
        raise BadRequest(description=UNSAVABLE)


def _text_fields() -> None:
    """Refuse NULs (PostgreSQL cannot store them) in any query or form field, at the door."""
    pairs = list(request.args.items(multi=True))
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        pairs += list(request.form.items(multi=True))
    if not all(savable(k) and savable(v) for k, v in pairs):
        raise BadRequest(description=UNSAVABLE)


def _group() -> str | None:
    endpoint = request.endpoint or ""
    if endpoint in EXEMPT:
        return None
    if endpoint in PDF_ENDPOINTS:
        return "pdf"
    return "read" if request.method in ("GET", "HEAD", "OPTIONS") else "write"


def _limit() -> None:
    group = _group()
    if group is None:
        return
    limiter: RateLimiter = current_app.extensions["planner.ratelimit"]
    wait = limiter.take(group, request.remote_addr or "unknown")
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise TooManyRequests(description=RATE_MESSAGE.format(seconds=seconds),
                              retry_after=seconds)


@contextmanager
def pdf_slot() -> Iterator[None]:
    """Hold one of the process's PDF render slots, or refuse at once with a 503."""
    slots: threading.BoundedSemaphore = current_app.extensions["planner.pdf_slots"]
    if not slots.acquire(blocking=False):
        seconds = int(current_app.config["PDF_RETRY_AFTER"])
        raise ServiceUnavailable(description=BUSY_MESSAGE.format(seconds=seconds),
                                 retry_after=seconds)
    try:
        yield
    finally:
        slots.release()


def init_app(app: Flask) -> None:
    """Install the rate limit, the PDF render slots and (if configured) the proxy fix.

    PROXY_FIX = N trusts N proxies' X-Forwarded-For/-Proto (set it behind a
    reverse proxy so each client gets its own bucket and Secure cookies work).
    """
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies)
    app.extensions["planner.ratelimit"] = RateLimiter({
        "read": int(app.config["RATE_LIMIT_READ"]),
        "write": int(app.config["RATE_LIMIT_WRITE"]),
        "pdf": int(app.config["RATE_LIMIT_PDF"]),
    })
    app.extensions["planner.pdf_slots"] = threading.BoundedSemaphore(
        max(1, int(app.config["PDF_MAX_CONCURRENT"])))
    if app.config["RATE_LIMIT"]:
        app.before_request(_limit)
    app.before_request(_json_shape)
    app.before_request(_text_fields)
