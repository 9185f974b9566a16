"""Error pages: a plain message and a 4xx, never a stack trace."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

TITLES = {
    400: "We could not use what was sent",
    403: "Not available from this link",
    404: "Page not found",
    405: "That action is not allowed here",
    409: "Changed since you opened it",
    413: "What you sent is too large",
    429: "Too many requests: try again shortly",
    503: "Busy or unavailable: try again in a moment",
    500: "Something went wrong",
}

CSRF_MESSAGE = ("This form could not be accepted because its security check was missing, "
                "wrong or expired (for example after a long pause or from another tab). "
                "Nothing was saved. Go back, reload the page and try again.")
TOO_LARGE = ("The form you sent is larger than this site accepts. Nothing was saved. "
             "Go back and shorten your answers.")


log = logging.getLogger(__name__)
DB_UNAVAILABLE = ("The planner cannot reach its database right now. Nothing you saved before "
                  "is lost. Please try again in a minute.")
DB_RETRY_AFTER = 30


def _page(code: int, message: str) -> tuple[str, int]:
    title = TITLES.get(code, "Something went wrong")
    return render_template("web/error.html", code=code, title=title, message=message), code


def _http_error(exc: HTTPException) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    code = exc.code or 500
    retry = next((v for k, v in exc.get_headers() if k.lower() == "retry-after"), None)
    if retry is not None:
        return (*_page(code, exc.description or ""), {"Retry-After": retry})
    if code == 413:  # the rest of the body is never read: the connection cannot be reused
        return (*_page(413, TOO_LARGE), {"Connection": "close"})
    message = exc.description or ""
    if code == 404 and message.startswith("The requested URL"):
        message = "There is no page at this address. Check the link, or start from the home page."
    if code == 400 and message.startswith("The browser (or proxy)"):
        message = "The request could not be understood. Nothing was saved."
    return _page(code, message)


def http_error(exc: HTTPException) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """The error page for an HTTP error, with its Retry-After if it has one."""
    return _http_error(exc)


def _csrf_error(_exc: CSRFError) -> tuple[str, int]:
    return _page(400, CSRF_MESSAGE)


def _server_error(_exc: InternalServerError) -> tuple[str, int]:
    return _page(500, "The page could not be shown. Your saved answers are safe; "
                      "please try again in a moment.")


def _database_error(exc: DBAPIError) -> tuple[str, int, dict[str, str]]:
    """A locked, missing or unreachable database: a 503 page, never a traceback."""
    log.error("database unavailable: %s", exc.orig if exc.orig is not None else exc)
    db_session = g.pop("db_session", None)
    if db_session is not None:
        with contextlib.suppress(DBAPIError):  # a broken connection: nothing to give back
            db_session.close()
    return (*_page(503, DB_UNAVAILABLE), {"Retry-After": str(DB_RETRY_AFTER)})


def _data_error(exc: DataError) -> tuple[str, int]:
    """A value the database refused (out of range, a character it cannot store): bad input,
    answered 400 and logged as a warning, never reported as an outage."""
    log.warning("value refused by the database: %s",
                type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__)
    db_session = g.pop("db_session", None)
    if db_session is not None:
        with contextlib.suppress(DBAPIError):
            db_session.close()
    return _page(400, "A value sent could not be stored (it is out of range or contains a "
                      "character that cannot be saved). Nothing was saved.")


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(DataError, _data_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(HTTPException, _http_error)
