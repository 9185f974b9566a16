"""Every benchmark in one command, one table of figures and ratios.

Run from the checkout:  .venv/bin/python bench/run_all.py [--quick]

- web: a wizard step under load against a bare Flask page rendering the same template on
  the same gunicorn server (bench_web.py), and 50 people completing the wizard (bench_load.py);
- scoring: score and full plan per profile (bench_scoring.py's profiles and timer);
- plan: the PDF warm (in-process) against WeasyPrint alone on the same HTML, pages per plan,
  cold (a new `planner plan` process) (bench_pdf.py); and the first download after the
  results page through gunicorn with the real render queue (wizard, results, 3 s, download);
- static: the first page load on the wire, as Chromium receives it (bench_static.py);
- dashboard: a consultant's dashboard at 100, 1,000 and 10,000 communities (bench_dashboard.py).
Every server listens on 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT))

import bench_dashboard  # noqa: E402
import bench_load  # noqa: E402
import bench_pdf  # noqa: E402
import bench_scoring  # noqa: E402
import bench_static  # noqa: E402
import bench_web  # noqa: E402
import yaml  # noqa: E402

from planner.engine import (  # noqa: E402
    answers,
    plan,
    scoring,
)
from planner.engine.profile import read_profile  # noqa: E402
from planner.knowledge import loader  # noqa: E402

Row = tuple[str, str, float, str, str]  # group, measure, value, unit, ratio or target


def web_rows(seconds: float, load_seconds: float) -> list[Row]:
    rows: list[Row] = []
    # Rounds of 1 s: one round's ratio swings by a fifth either way on this machine, so the
    # median needs about 20 of them to settle within a few hundredths.
    measured = bench_web.paired(clients=16, seconds=seconds, rounds=round(seconds))
    (wname, w), (bname, b) = measured.rows.items()
    rows += [
        ("web", f"{wname}, 16 clients", w[0], "req/s",
         f"{measured.ratio:.2f} x bare (median of {len(measured.ratios)} alternating rounds)"),
        ("web", f"{wname}, p50", w[1], "ms", f"{w[1] / b[1]:.2f} x bare"),
        ("web", f"{wname}, p99", w[3], "ms", f"{w[3] / b[3]:.2f} x bare"),
        ("web", f"{bname}, 16 clients", b[0], "req/s", "1.00"),
        ("web", f"{bname}, p50", b[1], "ms", ""),
        ("web", f"{bname}, p99", b[3], "ms", ""),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        server = bench_load.serve(Path(tmp))
        try:
            before = bench_load.machine_load()
            assert server.proc is not None
            cpu_before = bench_load.process_tree_cpu(server.proc.pid)
            out = bench_load.run_load_processes(server.base, 50, load_seconds, processes=4)
            web, renders = bench_load.process_tree_cpu(server.proc.pid)
            out.server_cpu, out.render_cpu = web - cpu_before[0], renders - cpu_before[1]
            after = bench_load.machine_load()
            burst = bench_load.pdf_burst(server.base, bench_load.completed_token(server.base))
        finally:
            server.stop()
    every = [v for values in out.times.values() for v in values]
    posts = [v for k, values in out.times.items() if k.startswith("POST") for v in values]
    rows += [
        ("load", f"50 users x {load_seconds:.0f} s: throughput", out.requests / out.seconds,
         "req/s", f"{out.wizards} wizards"),
        ("load", "all requests p50 / p95 / p99", bench_load.pct(every, 50), "ms",
         f"{bench_load.pct(every, 95):.0f} / {bench_load.pct(every, 99):.0f}"),
        ("load", "all requests p95 (4 client processes)", bench_load.pct(every, 95), "ms",
         "target 250"),
        ("load", "all requests p99 (4 client processes)", bench_load.pct(every, 99), "ms",
         "target 600"),
        ("load", "machine before / after the load", float(os.getloadavg()[0]), "load",
         f"{before}; {after}"),
        ("load", "saving a step (POST) p50 / p99", bench_load.pct(posts, 50), "ms",
         f"p99 {bench_load.pct(posts, 99):.0f}"),
        ("load", "results page p50 / p99", bench_load.pct(out.times["results"], 50), "ms",
         f"p99 {bench_load.pct(out.times['results'], 99):.0f}"),
        ("load", "CPU per request: server's web workers",
         out.server_cpu / max(1, out.requests) * 1000, "ms",
         f"render consumer {out.render_cpu / max(1, out.requests) * 1000:.2f} ms; client "
         f"{out.client_cpu / max(1, out.requests) * 1000:.2f} ms (kept-open connections, "
         f"compressed pages; {out.resent} resent)"),
        ("load", "errors", float(len(out.errors)), "", "target 0"),
        ("load", "PDF burst of 20: served / retry / failed", float(burst.served), "",
         f"{burst.retry} / {len(burst.failed)}"),
    ]
    return rows


def scoring_rows(repeat: int) -> list[Row]:
    kb = loader.load_default()
    rows: list[Row] = []
    fulls: list[float] = []
    for path in sorted(bench_scoring.SCENARIOS.glob("*.yaml")):
        given = answers.validate(kb, yaml.safe_load(path.read_text(encoding="utf-8"))["answers"])
        plan.build(kb, read_profile(kb, given))
        # Each run reads the answers into a profile first, as every caller does.
        score = statistics.median(bench_scoring._time(
            lambda g=given: scoring.score(kb, read_profile(kb, g)), repeat))
        full = statistics.median(bench_scoring._time(
            lambda g=given: plan.build(kb, read_profile(kb, g)), repeat))
        fulls.append(full)
        rows.append(("scoring", f"{path.stem}: score / full plan", score, "ms",
                     f"{full:.2f} ms = {full / bench_scoring.TARGET_MS:.2f} x target"))
    worst = max(fulls)
    rows.append(("scoring", f"full plan, cold, {len(fulls)} profiles: median (worst)",
                 statistics.median(fulls), "ms",
                 f"worst {worst:.2f} ms = {worst / bench_scoring.TARGET_MS:.2f} x target "
                 f"{bench_scoring.TARGET_MS:g} ms"))
    return rows


def pdf_rows(warm_n: int, cold_n: int) -> list[Row]:
    import io

    import pypdf

    kb = loader.load_default()
    data = json.loads(bench_pdf.DEFAULT_ANSWERS.read_text(encoding="utf-8"))
    given = answers.read_file(kb, data).answers
    warm, alone, body = bench_pdf.paired(kb, given, warm_n)
    cold = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(cold_n):
            started = time.perf_counter()
            subprocess.run([*bench_pdf.CLI, str(bench_pdf.DEFAULT_ANSWERS), "-o",
                            str(Path(tmp) / "plan.pdf")], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            cold.append(time.perf_counter() - started)
    w, c, a = statistics.median(warm), statistics.median(cold), statistics.median(alone)
    pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
    return [
        ("plan", f"PDF warm, median of {warm_n}", w, "s", f"{w / 1.0:.2f} x target 1 s"),
        ("plan", "WeasyPrint alone, same HTML, in pairs with ours", a, "s",
         f"ours / alone {bench_pdf.pair_ratio(warm, alone):.2f} (median of {warm_n} pairs; "
         "target <= 1.10)"),
        ("plan", "pages per plan (Huntington fixture)", float(pages), "",
         f"{1000 * w / pages:.0f} ms per page"),
        ("plan", f"PDF cold (new process), median of {cold_n}", c, "s",
         f"{c / w:.1f} x warm; {c / 4.0:.2f} x target 4 s"),
        ("plan", "PDF size", len(body) / 1024, "KB", ""),
    ]


def download_rows(communities: int, think: float) -> list[Row]:
    """From the results page to the PDF's bytes, through gunicorn with the real queue:
    a person completes the wizard, views the results, thinks THINK seconds, downloads."""
    from serverhelpers import Browser
    from webhelpers import HUNTINGTON

    results, downloads, again = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        server = bench_load.serve(Path(tmp))
        try:
            for _ in range(communities):
                person = Browser(server.base, timeout=120)
                token = person.start()
                for section, given in HUNTINGTON.items():
                    assert person.step(token, section, given).status == 303
                page = person.get(f"/c/{token}/results")
                assert page.status == 200
                results.append(page.elapsed)
                time.sleep(think)
                first = person.get(f"/c/{token}/plan.pdf")
                assert first.status == 200 and first.body.startswith(b"%PDF-")
                downloads.append(first.elapsed)
                second = person.get(f"/c/{token}/plan.pdf")
                assert second.body == first.body
                again.append(second.elapsed)
        finally:
            server.stop()
    p50 = bench_load.pct(downloads, 50)
    whole = [r + think + d for r, d in zip(results, downloads, strict=True)]
    return [
        ("plan", f"first download after the results page + {think:.0f} s, p50 of "
                 f"{communities}", p50, "ms",
         f"{p50 / 200:.2f} x target 200 ms; max {max(downloads) * 1000:.0f} ms"),
        ("plan", "results page, p50", bench_load.pct(results, 50), "ms",
         f"results page to PDF bytes p50 {bench_load.pct(whole, 50) / 1000:.1f} s "
         f"(incl. {think:.0f} s think)"),
        ("plan", "download again, unchanged plan, p50", bench_load.pct(again, 50), "ms",
         "stored render"),
    ]


def static_rows() -> list[Row]:
    first, again, document = bench_static.measure()
    return [
        ("static", "first page load on the wire", first.total / 1024, "KB",
         f"{first.total / 1024 / bench_static.TARGET_KB:.2f} x target "
         f"{bench_static.TARGET_KB:.0f} KB; {len(first.files)} files"),
        ("static", "the same page again (browser cache)", again.total / 1024, "KB", ""),
        ("static", "results page HTML on the wire", document[1] / 1024, "KB",
         f"{document[1] / 1024 / bench_static.RESULTS_TARGET_KB:.2f} x target "
         f"{bench_static.RESULTS_TARGET_KB:.0f} KB; {document[2] / 1024:.0f} KB decoded, "
         f"{document[3]}"),
    ]


def dashboard_rows(requests: int) -> list[Row]:
    measured = bench_dashboard.measure(requests)
    base = measured[bench_dashboard.SIZES[0]]["first page"][0]
    rows: list[Row] = []
    for size, views in measured.items():
        for view in ("first page", "search", "last page"):
            p50, _, nbytes = views[view]
            rows.append(("dashboard", f"{size:,} communities: {view}, p50", p50, "ms",
                         f"{p50 / base:.2f} x first page at {bench_dashboard.SIZES[0]}; "
                         f"{p50 / bench_dashboard.TARGET_MS:.2f} x target; "
                         f"{nbytes / 1024:.0f} KB"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="shorter runs (6 s web, 20 s load, fewer repeats)")
    parser.add_argument("--only", default="web,scoring,plan,download,static,dashboard",
                        help="the groups to run, comma-separated (issue 29's rows: "
                             "--only web,static)")
    args = parser.parse_args()
    quick = args.quick
    only = set(args.only.split(","))
    rows: list[Row] = []
    if "web" in only:
        rows += web_rows(seconds=6 if quick else 20, load_seconds=20 if quick else 60)
    if "scoring" in only:
        rows += scoring_rows(repeat=50 if quick else 200)
    if "plan" in only:
        rows += pdf_rows(warm_n=3 if quick else 7, cold_n=2 if quick else 3)
    if "download" in only:
        rows += download_rows(communities=3 if quick else 7, think=3.0)
    if "static" in only:
        rows += static_rows()
    if "dashboard" in only:
        rows += dashboard_rows(requests=15 if quick else 30)
    width = max(len(r[1]) for r in rows)
    print(f"{'group':<9} {'measure':<{width}} {'value':>10} {'unit':<6} ratio / note")
    for group, measure, value, unit, note in rows:
        print(f"{group:<9} {measure:<{width}} {value:>10.2f} {unit:<6} {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
