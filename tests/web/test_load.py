"""Load against gunicorn with 2 gthread workers on 127.0.0.1 (bounded: 20 s or 20,000 requests).

50 simulated people complete the wizard again and again: zero errors. Then 20 plan
downloads at once: each is a PDF or a clear "retry" (503/429 with Retry-After).
The minute-long run with its figures is the benchmark's (bench/bench_load.py, run_all.py);
the test checks the same things on a third of it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import bench_load

pytestmark = pytest.mark.slow


def test_fifty_users_under_load_then_a_pdf_burst(tmp_path: Path) -> None:
    server = bench_load.serve(tmp_path)
    try:
        out = bench_load.run_load(server.base, users=50, seconds=20, max_requests=20_000)
        print("\n" + bench_load.table(out))
        assert out.errors == [], out.errors[:10]
        assert out.wizards > 0
        burst = bench_load.pdf_burst(server.base, bench_load.completed_token(server.base))
        print(f"PDF burst of 20: {burst.served} served, {burst.retry} told to retry")
        assert burst.failed == []
        assert burst.served >= 1 and burst.served + burst.retry == 20
    finally:
        server.stop()
    log = server.log()
    at = log.find("Traceback")
    assert at < 0, log[max(0, at - 2000):at + 4000]
