"""Benchmark the starter plan PDF: warm and cold time, file size, memory, our overhead.

Run from the checkout:  .venv/bin/python bench/bench_pdf.py [ANSWERS.json] [-n N]
Prints a table of figures against the targets of issue 5 (a script, not a test).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pypdf  # noqa: E402

from planner.documents import (  # noqa: E402
    charts,
    pdf,
    report,
)
from planner.engine import answers, plan  # noqa: E402
from planner.engine.profile import read_profile  # noqa: E402
from planner.knowledge import loader  # noqa: E402

PREVIOUS_PAGES = 21  # the plan before the take-away restructure
PREVIOUS_WARM_S = 1.38

DEFAULT_ANSWERS = ROOT / "tests" / "fixtures" / "answers" / "huntington.json"
# The console script once cli.py registers `plan`; until then, the command object itself.
CLI = [sys.executable, "-c", "from planner.cli.plan import plan_command; plan_command()"]


def full_render(kb: loader.Knowledge, given: answers.Answers) -> bytes:
    """Score, plan, draw the charts and render: every time from scratch, as for a new plan."""
    charts.clear_cache()
    profile = read_profile(kb, given)
    built = plan.build(kb, profile)
    return pdf.render_pdf(report.render_plan_html(kb, built, profile, for_pdf=True))


def paired(kb: loader.Knowledge, given: answers.Answers,
           n: int) -> tuple[list[float], list[float], bytes]:
    """Time n full renders (ours) and n WeasyPrint-alone renders of the same HTML, in pairs,
    each pair in alternating order: this machine's speed drifts by a third over a minute,
    so two blocks timed one after the other would compare two different machines."""
    import weasyprint

    profile = read_profile(kb, given)
    html = report.render_plan_html(kb, plan.build(kb, profile), profile, for_pdf=True)

    def alone_render() -> None:
        weasyprint.HTML(string=html).write_pdf(font_config=pdf.font_config(),
                                               pdf_variant=pdf.PDF_VARIANT)

    body = full_render(kb, given)  # warm-up: fonts, caches, imports
    alone_render()
    ours: list[float] = []
    alone: list[float] = []
    for index in range(n):
        steps = [(ours, lambda: full_render(kb, given)), (alone, alone_render)]
        for times, step in (steps if index % 2 == 0 else steps[::-1]):
            start = time.perf_counter()
            result = step()
            times.append(time.perf_counter() - start)
            if isinstance(result, bytes):
                body = result
    return ours, alone, body


def pair_ratio(ours: list[float], alone: list[float]) -> float:
    """The median of the per-pair ratios ours / alone."""
    return statistics.median(o / a for o, a in zip(ours, alone, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("answers", nargs="?", type=Path, default=DEFAULT_ANSWERS)
    parser.add_argument("-n", type=int, default=7, help="warm renders (default 7)")
    parser.add_argument("--scenarios", action="store_true",
                        help="also time a warm render of every scenario in tests/scenarios")
    args = parser.parse_args()

    kb = loader.load_default()
    given = answers.read_file(kb, json.loads(args.answers.read_text(encoding="utf-8"))).answers
    warm, alone, body = paired(kb, given, args.n)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.pdf"
        cold = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([*CLI, str(args.answers), "-o", str(out)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            cold.append(time.perf_counter() - start)
        child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    warm_s, alone_s = statistics.median(warm), statistics.median(alone)
    size_kb = len(body) / 1024
    rows = [
        (f"warm render, median of {args.n} (s)", warm_s, 1.0),
        ("cold CLI, median of 3 (s)", statistics.median(cold), 4.0),
        ("file size (KB)", size_kb, 500.0),
        ("peak memory, in-process (MB)", peak_mb, 300.0),
        ("peak memory, cold CLI (MB)", child_mb, 300.0),
    ]
    print(f"plan for {args.answers.name}: {len(body):,} bytes")
    print(f"{'measure':34} {'value':>9} {'target':>8}  result")
    for label, value, target in rows:
        verdict = "PASS" if value <= target else "MISS"
        limit = f"<= {target:g}"
        print(f"{label:34} {value:9.2f} {limit:>8}  {verdict}")
    print(f"{'WeasyPrint alone, same HTML (s)':34} {alone_s:9.2f}")
    print(f"{'ratio ours / WeasyPrint alone':34} {pair_ratio(warm, alone):9.2f}  "
          f"(median of {args.n} pairs; ratio of medians {warm_s / alone_s:.2f}; "
          f"our overhead {warm_s - alone_s:+.2f} s per plan: scoring, HTML, charts)")
    pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
    print(f"{'pages; WeasyPrint time per page (ms)':34} {pages:9d} {1000 * alone_s / pages:8.0f}")
    # The plan before the take-away restructure, measured the same way on this machine kind
    # (session note of 2026-11-22: the Huntington fixture, quiet machine).
    print(f"{'previous plan: pages, warm (s)':34} {PREVIOUS_PAGES:9d} {PREVIOUS_WARM_S:8.2f}")
    print(f"{'this plan / previous: pages, warm':34} {pages / PREVIOUS_PAGES:9.2f} "
          f"{warm_s / PREVIOUS_WARM_S:8.2f}")
    if args.scenarios:
        scenario_rows(kb)


def scenario_rows(kb: loader.Knowledge, n: int = 3) -> None:
    """A warm render of each scenario's plan: the spread across real profiles."""
    import yaml

    print(f"\n{'scenario':30} {'warm (s)':>9} {'pages':>6}")
    for path in sorted((ROOT / "tests" / "scenarios").glob("*.yaml")):
        given = answers.validate(kb, yaml.safe_load(path.read_text(encoding="utf-8"))["answers"])
        body = full_render(kb, given)
        times = []
        for _ in range(n):
            start = time.perf_counter()
            body = full_render(kb, given)
            times.append(time.perf_counter() - start)
        pages = len(pypdf.PdfReader(io.BytesIO(body)).pages)
        print(f"{path.stem:30} {statistics.median(times):9.2f} {pages:6d}")


if __name__ == "__main__":
    main()
