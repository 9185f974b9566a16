"""A wizard step under load against a bare Flask page rendering the same template, same server.

Run from the checkout:  .venv/bin/python bench/bench_web.py [--clients 16] [--seconds 20]
                                                            [--rounds 20]
The bare page is one bench-only route (bench/bench_app.py) served by the same gunicorn
settings (gthread workers): it renders web/step.html with the wizard step's own context,
worked out once, and does no database, answers or knowledge work per request; the two pages'
HTML is checked to be the same (but for the CSRF token). The ratio is what the planner costs.

This machine's speed drifts by a third within a minute, so the two pages are not timed one
block after the other: SECONDS per page are split into ROUNDS short rounds, the wizard and
the bare page taking turns (and turns about which goes first), and the ratio is the median of
the rounds' ratios. The totals (req/s and latency percentiles) are over every round.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_load import completed_token, pct, serve  # noqa: E402
from serverhelpers import Browser  # noqa: E402

WIZARD = "wizard step (GET problems)"
BARE = "bare Flask, same template"

Row = tuple[float, float, float, float]  # req/s, p50 ms, p95 ms, p99 ms


def hammer(people: list[Browser], path: str, seconds: float) -> tuple[list[float], int, float]:
    """Each of PEOPLE (one thread each) GETs PATH until SECONDS pass; return the latencies,
    the non-200 count and the seconds the round really took (the last answers included)."""
    times: list[float] = []
    bad = [0]
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def loop(person: Browser) -> None:
        while time.monotonic() < deadline:
            r = person.get(path)
            with lock:
                times.append(r.elapsed)
                bad[0] += r.status != 200

    threads = [threading.Thread(target=loop, args=(p,), daemon=True) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    return times, bad[0], time.monotonic() - started


CSRF_VALUE = re.compile(r'(name="csrf_token" value=")[^"]+"')


def same_page(base: str, pages: dict[str, str]) -> None:
    """Refuse to compare unless the bare page answers the wizard step's very HTML (the CSRF
    token aside, which is signed anew for each page)."""
    person = Browser(base, timeout=30)
    bodies = {CSRF_VALUE.sub(r'\1"', person.get(path).text) for path in pages.values()}
    if len(bodies) != 1:
        raise RuntimeError("the bare page does not render the wizard step's HTML")


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by process PID and its children (gunicorn's workers)."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [pid] + [int(p) for p in children.read_text().split()] if children.exists() else [pid]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def settle(pid: int, quiet: float = 0.05, limit: float = 60.0) -> None:
    """Wait (up to LIMIT seconds) until the server's processes use less than QUIET of a CPU
    over a second: no background job left running from the set-up."""
    deadline = time.monotonic() + limit
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(pid)
        if now - before < quiet:
            return
        before = now


@dataclass
class Paired:
    """Both pages' totals over every round, and the per-round throughput ratios."""

    rows: dict[str, Row]
    ratios: list[float]  # wizard req/s / bare req/s, one per round

    @property
    def ratio(self) -> float:
        """The median of the rounds' ratios: what the wizard step costs against bare Flask."""
        return statistics.median(self.ratios)


def paired(clients: int = 16, seconds: float = 20.0, rounds: int = 20) -> Paired:
    """SECONDS of load per page in ROUNDS alternating rounds on one gunicorn server."""
    with tempfile.TemporaryDirectory() as tmp:
        server = serve(Path(tmp), env_bench=True)
        try:
            token = completed_token(server.base)
            # Completing the wizard queues the plan's render (in a worker of this server),
            # and viewing the results may queue a second job that finds it done: let them
            # finish first, so neither runs during a measurement.
            Browser(server.base, timeout=120).get(f"/c/{token}/plan.pdf")
            settle(server.proc.pid)
            pages = {WIZARD: f"/c/{token}/step/problems", BARE: f"/_bench/bare-step?token={token}"}
            same_page(server.base, pages)
            # The same CLIENTS people (cookie jars) per page in every round.
            people = {name: [Browser(server.base, timeout=30) for _ in range(clients)]
                      for name in pages}
            for name, path in pages.items():  # warm up: sessions, templates, caches
                hammer(people[name], path, 1.0)
            times: dict[str, list[float]] = {name: [] for name in pages}
            spent = dict.fromkeys(pages, 0.0)
            ratios = []
            for index in range(rounds):
                rate = {}
                order = list(pages) if index % 2 == 0 else list(pages)[::-1]
                for name in order:
                    got, bad, took = hammer(people[name], pages[name], seconds / rounds)
                    if bad:
                        raise RuntimeError(f"{name}: {bad} non-200 answers")
                    times[name] += got
                    spent[name] += took
                    rate[name] = len(got) / took
                ratios.append(rate[WIZARD] / rate[BARE])
        finally:
            server.stop()
    rows = {name: (len(times[name]) / spent[name], pct(times[name], 50), pct(times[name], 95),
                   pct(times[name], 99)) for name in pages}
    return Paired(rows, ratios)


def measure(clients: int = 16, seconds: float = 20.0,
            rounds: int = 20) -> dict[str, Row]:
    """{name: (req/s, p50 ms, p95 ms, p99 ms)} for the wizard step and the bare page, over
    every round (paired() also gives the per-round ratios)."""
    return paired(clients, seconds, rounds).rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="seconds of load per page, over all rounds (default 20)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    result = paired(args.clients, args.seconds, args.rounds)
    print(f"{'page':<30}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, (rps, p50, p95, p99) in result.rows.items():
        print(f"{name:<30}{rps:>8.0f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    w, b = result.rows[WIZARD], result.rows[BARE]
    print(f"ratio wizard / bare: throughput {result.ratio:.2f} (median of {len(result.ratios)} "
          f"rounds: {', '.join(f'{r:.2f}' for r in result.ratios)}; totals {w[0] / b[0]:.2f}), "
          f"p50 {w[1] / b[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
