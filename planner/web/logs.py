"""Keep private links out of the logs: every logged path has its bearer token redacted.

A private link (`/c/<token>/...`) is a bearer credential, like a password in the URL. The
filter rewrites each record of the app's, Werkzeug's and gunicorn's loggers (request lines,
access log lines, "Exception on /c/... [GET]") before any handler writes it.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

# A resume token: 43 URL-safe characters (token_urlsafe(32)); the app accepts 40 to 64.
# Any length (a long bad one too), and with characters percent-encoded, which the app
# decodes and accepts while the access log keeps the path as sent (found by a tester).
TOKEN_IN_PATH = re.compile(r"(/c/)(?:[A-Za-z0-9_-]|%[0-9A-Fa-f]{2}){40,}")
REDACTED = r"\1[private-link]"
LOGGERS = ("planner", "werkzeug", "gunicorn.access", "gunicorn.error", "flask.app")


def redact(text: str) -> str:
    """text with every private-link token replaced by a placeholder."""
    return TOKEN_IN_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """A logging filter that redacts private-link tokens from the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to logging
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def init_app(app: Flask) -> None:
    """Install the filter on the app's logger and the servers' loggers (once each)."""
    for name in (app.logger.name, *LOGGERS):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
