"""A wizard step under load against a bare Flask page rendering the same template, same server.

Run from the checkout:  .venv/bin/python bench/bench_web.py [--clients 16] [--seconds 10]
The bare page is a tiny Flask app (bench/bare_app.py) served by the same gunicorn
settings (2 gthread workers): it renders web/step.html with the same context but
does no database, session or knowledge work. The ratio is what the planner costs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from bench_load import completed_token, pct, serve  # noqa: E402
from serverhelpers import Browser  # noqa: E402


def hammer(base: str, path: str, clients: int, seconds: float) -> tuple[list[float], int]:
    """CLIENTS threads GET PATH until SECONDS pass; return latencies and non-200 count."""
    times: list[float] = []
    bad = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop() -> None:
        person = Browser(base, timeout=30)
        while time.monotonic() < deadline:
            r = person.get(path)
            with lock:
                times.append(r.elapsed)
                bad[0] += r.status != 200

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    return times, bad[0]


def measure(clients: int = 16,
            seconds: float = 10.0) -> dict[str, tuple[float, float, float, float]]:
    """{name: (req/s, p50 ms, p95 ms, p99 ms)} for the wizard step and the bare page."""
    rows: dict[str, tuple[float, float, float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        server = serve(Path(tmp), env_bench=True)
        try:
            token = completed_token(server.base)
            # Completing the wizard queues the plan's render (in a worker of this server):
            # let it finish first, so it does not run during either measurement.
            Browser(server.base, timeout=120).get(f"/c/{token}/plan.pdf")
            for name, path in (("wizard step (GET problems)", f"/c/{token}/step/problems"),
                               ("bare Flask, same template", "/_bench/bare-step")):
                hammer(server.base, path, 2, 1.0)  # warm up
                times, bad = hammer(server.base, path, clients, seconds)
                if bad:
                    raise RuntimeError(f"{name}: {bad} non-200 answers")
                rows[name] = (len(times) / seconds, pct(times, 50), pct(times, 95),
                              pct(times, 99))
        finally:
            server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    rows = measure(args.clients, args.seconds)
    print(f"{'page':<30}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for name, (rps, p50, p95, p99) in rows.items():
        print(f"{name:<30}{rps:>8.0f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    (w, b) = rows.values()
    print(f"ratio wizard / bare: throughput {w[0] / b[0]:.2f}, p50 {w[1] / b[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
