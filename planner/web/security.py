"""Production guards: per-client rate limits (Flask-Limiter), per-account sign-in throttling
and a bound on concurrent PDF renders.

Rate limits count in the storage of `REDIS_URL` (PLANNER_REDIS_URL) when set, so every worker
and host shares them; otherwise in each worker's memory (`memory://`), so with several
gunicorn workers each keeps its own counts. When Redis cannot be reached they fall back to
each worker's memory (Flask-Limiter's in-memory fallback): still enforced, per worker, and
the outage is logged once. Past a limit the client is told to try again
(429 with Retry-After) instead of waiting or failing. Sign-in attempts are also counted per
account (SIGN_IN_LIMIT, "5 per 15 minutes; 20 per day" by default: a soft lockout that
grows), whatever address the guesses come from, in the database, so every worker and host
shares the count with nothing more to run.
"""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import parse_many
from sqlalchemy import Float, Integer, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import BadRequest, ServiceUnavailable, TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

from planner.web import db, errors, logs
from planner.web.db import Base

log = logging.getLogger(__name__)
# Endpoints that are never limited: the health check and static files.
EXEMPT = {"health.healthz", "assets.static", "assets.uswds"}
PDF_ENDPOINTS = {"results.plan_pdf"}

RATE_MESSAGE = ("You have sent more requests than this site accepts in a short time. "
                "Nothing was lost. Wait {seconds} seconds, then try again.")
BUSY_MESSAGE = ("The server is busy making other plans right now. Nothing was lost. "
                "Try the download again in a moment (about {seconds} seconds).")
SIGN_IN_MESSAGE = ("There have been too many failed sign-ins to this account. To protect it, "
                   "signing in is paused for about {minutes} minutes. Nothing was lost. If "
                   "you forgot your password, ask your administrator to reset it.")


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


def _per_minute() -> int:
    group = _group()
    return int(current_app.config.get(f"RATE_LIMIT_{(group or '').upper()}", 0) or 0)


def _key() -> str:
    # One count per group (pages, form posts, PDFs) and client address.
    return f"{_group()}:{get_remote_address()}"


def _limit_value() -> str:
    return f"{max(1, _per_minute())}/minute"


def _exempt() -> bool:
    return _group() is None or _per_minute() <= 0


def _too_many(_exc: RateLimitExceeded) -> Any:
    """The 429 page, saying how long to wait (Retry-After) until the window frees a request."""
    limiter: Limiter = current_app.extensions["planner.limiter"]
    current = limiter.current_limit
    seconds = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    return errors.http_error(TooManyRequests(description=RATE_MESSAGE.format(seconds=seconds),
                                             retry_after=seconds))


# Seconds to connect to Redis and for an answer: a Redis that stops answering costs a request
# at most this once an outage, before the limits move to memory.
REDIS_OPTIONS: dict[str, Any] = {"socket_connect_timeout": 2.0, "socket_timeout": 2.0}


def storage_uri(app: Flask) -> str:
    """Where limits are counted: Redis when REDIS_URL is set, else this worker's memory."""
    return str(app.config.get("REDIS_URL") or "memory://")


def limits_health(app: Flask) -> str:
    """Where the rate limits count now, for /healthz: "redis", "memory (Redis unreachable)"
    (the in-memory fallback, per worker), "memory" (no Redis configured) or "off"."""
    if not app.config["RATE_LIMIT"]:
        return "off"
    if not storage_uri(app).startswith(("redis", "rediss")):
        return "memory"
    limiter: Limiter = app.extensions["planner.limiter"]
    return "redis" if limiter.storage.check() else "memory (Redis unreachable)"


class SignInAttempt(Base):
    """One sign-in attempt to an account still inside the throttle's windows.

    Kept in the database so every worker and every host counts the same attempts
    (SignInThrottle below). `account` is the normalized email as typed,
    whether or not such an account exists, so probing unknown emails is throttled too.
    """

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str] = mapped_column(String(254), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)


class SignInThrottle:
    """Sign-in attempts per account, in the database: every worker and host counts the same
    attempts (an in-memory count per worker let each worker allow its own five).

    attempt() records the attempt first, commits, then counts the account's attempts in each
    window: of any number of parallel attempts, at most the limit see a count within it (each
    counts after its own insert, so the k-th committed insert sees at least k). A refused
    attempt is deleted again, so an attacker who keeps guessing does not extend the pause
    forever; a right password clears the account's attempts.
    """

    def __init__(self, rule: str, progressive: bool = True) -> None:
        self.windows = [(item.amount, item.get_expiry())
                        for item in (parse_many(rule) if rule.strip() else [])]
        self.progressive = progressive
        self.clock = time.time  # tests move it forward

    def _growing_pause(self, earlier: list[float], now: float) -> int:
        """Progressive delays (ASVS V2.2.1): the pause after each further run of failures is
        twice the one before. With "5 per 15 minutes", the 5th failure pauses the account for
        15 minutes after the last one, the 10th for 30, the 15th for an hour, and so on, up to
        the longest window; `earlier` are the failures still counted, oldest first."""
        if not self.progressive or not earlier:
            return 0
        amount, expiry = min(self.windows, key=lambda window: window[1])
        runs, rest = divmod(len(earlier), amount)
        if runs == 0 or rest:
            return 0
        longest = max(window_expiry for _, window_expiry in self.windows)
        pause = min(expiry * 2 ** (runs - 1), longest)
        return max(0, math.ceil(earlier[-1] + pause - now))

    def attempt(self, account: str) -> int:
        """Count an attempt: 0 if it may go ahead, else the seconds until one may."""
        if not self.windows:
            return 0
        key = account[:254]
        now = self.clock()
        longest = max(expiry for _, expiry in self.windows)
        db_session = db.session()

        def record() -> int:
            db_session.execute(delete(SignInAttempt).where(SignInAttempt.account == key,
                                                           SignInAttempt.at < now - longest))
            row = SignInAttempt(account=key, at=now)
            db_session.add(row)
            db_session.flush()
            mine = row.id
            db_session.commit()
            rows = db_session.execute(
                select(SignInAttempt.id, SignInAttempt.at).where(
                    SignInAttempt.account == key, SignInAttempt.at >= now - longest)
                .order_by(SignInAttempt.at, SignInAttempt.id)).all()
            times = [at for _, at in rows]
            wait = self._growing_pause([at for i, at in rows if i != mine], now)
            for amount, expiry in self.windows:
                inside = [t for t in times if t > now - expiry]
                if len(inside) > amount:
                    others = sorted(inside)
                    others.remove(now)
                    # Allowed again once all but amount - 1 of the others have left the window.
                    first_kept = others[len(others) - amount]
                    wait = max(wait, math.ceil(first_kept + expiry - now))
            if wait:
                db_session.delete(row)
                db_session.commit()
            return max(1, wait) if wait else 0

        return db.retrying(record)

    def succeeded(self, account: str) -> None:
        db_session = db.session()
        db_session.execute(delete(SignInAttempt).where(SignInAttempt.account == account[:254]))
        db_session.commit()


def sign_in_throttle() -> SignInThrottle:
    throttle: SignInThrottle = current_app.extensions["planner.sign_in_throttle"]
    return throttle


def refuse_sign_in(seconds: int) -> None:
    """Stop a sign-in to a throttled account: 429 with Retry-After, the password unchecked."""
    raise TooManyRequests(description=SIGN_IN_MESSAGE.format(minutes=max(1, seconds // 60)),
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


class BoundedBody:
    """WSGI middleware: a body sent without Content-Length (chunked) is read up to the limit
    and then handled as if it had one, so MAX_CONTENT_LENGTH (64 KB) holds for it too; past
    the limit the app answers 413 without reading more."""

    def __init__(self, wsgi_app: Any, limit: int) -> None:
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        # With Transfer-Encoding: chunked a Content-Length means nothing (RFC 9112 6.3).
        if "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
            stream = environ["wsgi.input"]
            parts: list[bytes] = []
            total = 0
            while total <= self.limit:
                part = stream.read(min(65536, self.limit + 1 - total))
                if not part:
                    break
                parts.append(part)
                total += len(part)
            if total > self.limit:  # refused unread: the declared size is past the limit
                environ["wsgi.input"] = io.BytesIO(b"")
                environ["CONTENT_LENGTH"] = str(self.limit + 1)
            else:
                environ["wsgi.input"] = io.BytesIO(b"".join(parts))
                environ["CONTENT_LENGTH"] = str(total)
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # from here on it has a length
        return self.wsgi_app(environ, start_response)


def init_app(app: Flask) -> None:
    """Install the rate limits, the sign-in throttle, the PDF render slots and (if configured)
    the proxy fix.

    PROXY_FIX = N trusts N proxies' X-Forwarded-For/-Proto (set it behind a
    reverse proxy so each client gets its own count and Secure cookies work).
    """
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies)
    if app.config.get("MAX_CONTENT_LENGTH"):
        app.wsgi_app = BoundedBody(app.wsgi_app,  # type: ignore[method-assign]
                                   int(app.config["MAX_CONTENT_LENGTH"]))
    uri = storage_uri(app)
    limiter = Limiter(
        key_func=_key, app=app, storage_uri=uri, strategy="moving-window",
        application_limits=[_limit_value], application_limits_exempt_when=_exempt,
        enabled=bool(app.config["RATE_LIMIT"]),
        key_prefix="planner", headers_enabled=False,
        # Redis down: the same limits are counted in this worker's memory (one warning, from
        # Flask-Limiter, then silence; Redis is tried again after 1, 2, 4 ... 32 seconds and
        # "Rate limit storage recovered" logged when it answers), so they hold per worker
        # instead of failing open; any other storage error lets the request through, logged.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        storage_options=REDIS_OPTIONS if uri.startswith(("redis", "rediss")) else {},
    )
    app.extensions["planner.limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many)
    app.extensions["planner.sign_in_throttle"] = SignInThrottle(
        str(app.config.get("SIGN_IN_LIMIT") or ""),
        progressive=bool(app.config.get("SIGN_IN_PROGRESSIVE", True)))
    app.extensions["planner.pdf_slots"] = threading.BoundedSemaphore(
        max(1, int(app.config["PDF_MAX_CONCURRENT"])))
    app.before_request(_json_shape)
    app.before_request(_text_fields)
    logs.init_app(app)
