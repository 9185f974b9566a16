"""The consultant dashboard at 100, 1,000 and 10,000 communities: does its cost grow?

Run from the checkout:  .venv/bin/python bench/bench_dashboard.py [--requests N]

One consultant owns every community (the worst case: all of them are theirs). The
communities are copies of one completed community (answers, progress and its stored
summary) inserted in bulk; the dashboard is then asked for N times through the app
(Flask's test client, so the figure is the app's own time, not the network's): the
first page, a search by name, and the last page. Set PLANNER_BENCH_DATABASE_URL to run
on PostgreSQL instead of the default SQLite file (that database is emptied first).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT))

from consultanthelpers import add_user, complete, create_community, sign_in  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

from planner import create_app  # noqa: E402
from planner.web import db  # noqa: E402

SIZES = (100, 1_000, 10_000)
TARGET_MS = 100.0
EMAIL = "bench@example.org"


def _seed(app: Any, template_id: int, start: int, stop: int) -> None:
    """Insert communities start..stop-1 as copies of the template community."""
    with app.app_context():
        session = db.session()
        t = session.get(db.Interview, template_id)
        assert t is not None
        rows = [{
            "token_hash": f"bench{i:059d}", "route": t.route, "answers_json": t.answers_json,
            "done_json": t.done_json, "owner_id": t.owner_id, "name": f"Community {i:05d}",
            "list_name": f"Community {i:05d}", "list_status": t.list_status,
            "list_top": t.list_top, "list_kb": t.list_kb, "created_at": t.created_at,
            "updated_at": t.updated_at,
        } for i in range(start, stop)]
        for chunk in range(0, len(rows), 1000):
            session.execute(insert(db.Interview), rows[chunk:chunk + 1000])
        session.commit()
        if session.get_bind().dialect.name == "postgresql":  # as autovacuum would, in time
            session.execute(text("ANALYZE interviews"))
            session.commit()


def _time(client: Any, path: str, n: int) -> tuple[float, float, int]:
    """p50 and p90 in ms, and the page size in bytes."""
    client.get(path)  # warm-up
    times = []
    size = 0
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
        size = len(response.data)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], size


def measure(requests: int = 30) -> dict[int, dict[str, tuple[float, float, int]]]:
    """{communities: {"first page" | "search" | "last page": (p50 ms, p90 ms, bytes)}}"""
    out: dict[int, dict[str, tuple[float, float, int]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("PLANNER_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        if url.startswith("postgresql"):  # a database of its own: emptied first
            from conftest import empty_database

            empty_database(url)
        app = create_app({"SECRET_KEY": "bench", "INSTANCE_PATH": f"{tmp}/instance",
                          "DATABASE_URL": url, "RATE_LIMIT": False})
        add_user(app, EMAIL, "Bench Consultant")
        client = app.test_client()
        sign_in(client, EMAIL)
        key, _ = create_community(client, "Template")
        complete(app, client, key)
        template = int(key[1:])
        have = 1
        for size in SIZES:
            _seed(app, template, have, size)
            have = size
            with app.app_context():
                count = len(db.session().scalars(select(db.Interview.id)).all())
            assert count == size, count
            out[size] = {
                "first page": _time(client, "/dashboard", requests),
                "search": _time(client, "/dashboard?q=community+0004", requests),
                "last page": _time(client, "/dashboard?page=9999", requests),
            }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    measured = measure(args.requests)
    base = measured[SIZES[0]]["first page"][0]
    print(f"{'communities':>11} {'view':<11} {'p50 ms':>8} {'p90 ms':>8} {'KB':>6}  ratio")
    for size, views in measured.items():
        for view, (p50, p90, nbytes) in views.items():
            print(f"{size:>11,} {view:<11} {p50:>8.1f} {p90:>8.1f} {nbytes / 1024:>6.1f}  "
                  f"{p50 / base:.2f} x first page at {SIZES[0]}; "
                  f"{p50 / TARGET_MS:.2f} x target {TARGET_MS:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
