"""A shared service that is down (Redis, for the rate limits and the render queue), said once.

When the service cannot be reached the first failure is logged as one warning line (no
traceback) and later failures are silent until it answers again, which is logged once too:
one line per outage, not one per request or per poll of the queue's consumer (about one
traceback a second before). `QUEUE` is the render queue's; the rate limits' outage is logged
by Flask-Limiter itself, once, when it falls back to counting in memory.

What fails open and what fails closed while Redis is down is in the README (Security):
rate limits fall back to each worker's memory (still enforced, per worker), the sign-in
throttle never depended on Redis (it counts in the database), and plans are rendered at the
download instead of by the queue.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger("planner.outages")


class Outage:
    """Whether one shared service is down, with a line logged as it goes down and comes back."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.down = False
        self._lock = threading.Lock()

    def failed(self, exc: BaseException | None = None) -> bool:
        """Record a failure; True (and one warning logged) when it starts an outage."""
        with self._lock:
            if self.down:
                return False
            self.down = True
        what = f"{type(exc).__name__}: {exc}" if exc is not None else "no answer"
        log.warning("%s unreachable (%s); said once until it is back", self.service,
                    str(what)[:300])
        return True

    def answered(self) -> None:
        """Record a success; ends an outage (logged once)."""
        if not self.down:
            return
        with self._lock:
            if not self.down:
                return
            self.down = False
        log.warning("%s reachable again", self.service)


QUEUE = Outage("render queue")

# What huey's consumer logs, with a traceback, at every failed poll of its queue.
QUEUE_POLL_ERRORS = ("Error reading from queue", "Error reading schedule.",
                     "Error enqueueing %s.")


class OnceAnOutage(logging.Filter):
    """On huey's consumer loggers: a failed poll of the queue becomes QUEUE's one line per
    outage (the consumer's beat, planner.web.renders.keep_beating, says when it is back)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in QUEUE_POLL_ERRORS:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        QUEUE.failed(exc)
        return False


def quiet_queue_polls() -> None:
    """Install the filter on huey's consumer loggers (once each)."""
    for name in ("huey.consumer.Worker", "huey.consumer.Scheduler"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, OnceAnOutage) for f in logger.filters):
            logger.addFilter(OnceAnOutage())
