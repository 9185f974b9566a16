"""Retention: what the clean-up job deletes, so no table grows without limit.

- sign-in attempts older than the throttle's longest window (they no longer count);
- server-side sessions idle past SESSION_IDLE_HOURS (they can no longer sign anyone in);
- versions: every version is kept for VERSION_DAYS (90) days; older ones are thinned to one
  a day per community, the day's last (highest number).

`clean` runs in the render queue's consumers (`planner worker`, or the one `planner serve`
starts), at start and then every RETENTION_SECONDS (an hour), beside their beat.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from planner.web import accounts, db, security, workspace

log = logging.getLogger("planner.retention")

VERSION_DAYS = 90
DEFAULT_WINDOW = 86400.0


def clean(now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; returns how many rows of each table."""
    now = now or db._now()
    s = db.session()
    windows = current_app.extensions.get("planner.sign_in_throttle")
    longest = max((expiry for _, expiry in getattr(windows, "windows", [])),
                  default=DEFAULT_WINDOW)
    attempts = s.execute(delete(security.SignInAttempt).where(
        security.SignInAttempt.at < time.time() - longest))
    idle = timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))
    sessions = s.execute(delete(accounts.UserSession).where(
        accounts.UserSession.seen_at < now - idle))
    old = s.execute(select(workspace.Version.id, workspace.Version.interview_id,
                           workspace.Version.number, workspace.Version.created_at)
                    .where(workspace.Version.created_at < now - timedelta(days=VERSION_DAYS))
                    .order_by(workspace.Version.interview_id, workspace.Version.number)).all()
    last_of_day: dict[tuple[int, str], tuple[int, int]] = {}
    for vid, community, number, made in old:
        day = (community, made.date().isoformat())
        if day not in last_of_day or number > last_of_day[day][0]:
            last_of_day[day] = (number, vid)
    keep = {vid for _, vid in last_of_day.values()}
    drop = [vid for vid, *_ in old if vid not in keep]
    for start in range(0, len(drop), 500):
        s.execute(delete(workspace.Version).where(
            workspace.Version.id.in_(drop[start:start + 500])))
    s.commit()
    removed = {"sign_in_attempts": int(attempts.rowcount or 0),  # type: ignore[attr-defined]
               "user_sessions": int(sessions.rowcount or 0),  # type: ignore[attr-defined]
               "versions": len(drop)}
    if any(removed.values()):
        log.info("clean-up removed %s", ", ".join(f"{n} {t}" for t, n in removed.items()))
    return removed
