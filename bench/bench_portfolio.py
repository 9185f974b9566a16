"""/portfolio at 100, 1,000 and 10,000 communities (issue 31: under 100 ms at p50).

Run from the checkout:  .venv/bin/python bench/bench_portfolio.py [--requests N]

A supervisor of an organization of two consultants sees every community (the worst
case). The communities are copies of one completed community inserted in bulk, one in
ten with three months of progress and a target; the portfolio is then asked for N times
through the app (Flask's test client: the app's own time): the first page, filtered by a
state, and the last page. Set PLANNER_BENCH_DATABASE_URL to run on PostgreSQL instead of
the default SQLite file (that database is emptied first).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_dashboard import _seed, _time  # noqa: E402
from consultanthelpers import add_user, complete, create_community, sign_in  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402

from planner import create_app  # noqa: E402
from planner.web import accounts, db, portfolio, progress  # noqa: E402

SIZES = (100, 1_000, 10_000)
TARGET_MS = 100.0


STATES = ("wv", "oh", "ky", "pa", "va", "nc", "tn", "ma", "ca", "tx", "fl", "ny", "il")


def _states(app: Any) -> None:
    """Spread the copies over a few states (as a provider's portfolio would be)."""
    with app.app_context():
        session = db.session()
        for n, code in enumerate(STATES):
            session.execute(update(db.Interview).where(db.Interview.id % len(STATES) == n)
                            .values(list_state=code))
        session.commit()


def _progress(app: Any, start_id: int, stop_id: int) -> None:
    """Three months of people contacted, and a target, for one community in ten."""
    with app.app_context():
        session = db.session()
        ids = [i for i in session.scalars(select(db.Interview.id).where(
            db.Interview.id >= start_id, db.Interview.id < stop_id)) if i % 10 == 0]
        now = db._now()
        session.execute(insert(progress.ProgressEntry), [
            {"interview_id": i, "period": f"2026-0{m}", "measure": "measure-contacts",
             "value": 30 + m, "actor": "bench", "updated_at": now}
            for i in ids for m in (1, 2, 3)] or [])
        session.execute(insert(progress.ProgressGoal), [
            {"interview_id": i, "measure": "measure-contacts", "baseline": 20, "target": 32,
             "actor": "bench", "updated_at": now} for i in ids] or [])
        session.commit()


def measure(requests: int = 30) -> dict[int, dict[str, tuple[float, float, int]]]:
    out: dict[int, dict[str, tuple[float, float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("PLANNER_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        if url.startswith("postgresql"):
            from conftest import empty_database

            empty_database(url)
        app = create_app({"SECRET_KEY": "bench", "INSTANCE_PATH": f"{tmp}/instance",
                          "DATABASE_URL": url, "RATE_LIMIT": False})
        add_user(app, "consultant@example.org", "Bench Consultant")
        add_user(app, "supervisor@example.org", "Bench Supervisor")
        with app.app_context():
            for email, role in (("consultant@example.org", "consultant"),
                                ("supervisor@example.org", "supervisor")):
                user = accounts.find_user(email)
                assert user is not None
                portfolio.join(user, "Bench TTA", role)
        owner = app.test_client()
        sign_in(owner, "consultant@example.org")
        key, _ = create_community(owner, "Template")
        complete(app, owner, key)
        template = int(key[1:])
        client = app.test_client()
        sign_in(client, "supervisor@example.org")
        have = 1
        for size in SIZES:
            _seed(app, template, have, size)
            _progress(app, have + 1, size + 1)
            _states(app)
            have = size
            out[size] = {
                "first page": _time(client, "/portfolio", requests),
                "one state": _time(client, "/portfolio?state=wv", requests),
                "last page": _time(client, "/portfolio?page=9999", requests),
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    measured = measure(args.requests)
    print(f"{'communities':>11} {'view':<11} {'p50 ms':>8} {'p90 ms':>8} {'KB':>6}")
    for size, views in measured.items():
        for view, (p50, p90, nbytes) in views.items():
            print(f"{size:>11,} {view:<11} {p50:>8.1f} {p90:>8.1f} {nbytes / 1024:>6.1f}  "
                  f"{p50 / TARGET_MS:.2f} x target {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
