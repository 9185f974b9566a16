"""The plan's "Progress so far" section (issue 31), for the PDF and the Word copy alike:
the same rows in both, from planner.engine.progress's summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.engine import progress

HEADERS = ("Measure", "Baseline", "Target", "Latest period", "Latest value", "Against target",
           "Periods recorded")
WIDTHS = (3, 1, 1, 1.3, 1, 1.3, 1)
FUNNEL_HEADERS = ("Stage", "People", "Share of people contacted")
MEASURE_HEADERS = ("Period", "Value", "Against target")
MEASURE_WIDTHS = (2, 1, 1.5)
CHART_KEY = ("Bars: the value of each period. Solid line: the target; dotted line: the "
             "baseline.")
INTRO = ("What the program has recorded so far on the plan\u2019s measures, against the "
         "baseline and target it set. The figures are the community\u2019s own.")


def rows(summary: progress.Summary) -> list[tuple[str, ...]]:
    """One row per measure with a value: its latest period against its target."""
    out: list[tuple[str, ...]] = []
    for m in summary.measures:
        latest = m.latest
        if latest is None:
            continue
        out.append((m.measure.label, progress.number(m.baseline) or "not set",
                    progress.number(m.target) or "not set", latest.period.label,
                    progress.number(latest.value),
                    latest.status or "no target", str(len(m.points))))
    return out


def funnel_rows(summary: progress.Summary) -> list[tuple[str, ...]]:
    if summary.funnel is None:
        return []
    return [(s.label, str(s.total),
             f"{round(100 * s.share_of_first)}%" if s.share_of_first is not None else "")
            for s in summary.funnel.stages]


def funnel_words(summary: progress.Summary) -> str:
    if summary.funnel is None:
        return ""
    periods = summary.funnel.periods
    words = (f"From contact to treatment, over the {len(periods)} period"
             f"{'' if len(periods) == 1 else 's'} with each stage recorded "
             f"({', '.join(p.label for p in periods)}).")
    left_out = summary.funnel.left_out
    if left_out:
        words += (f" {' and '.join(left_out)} {'is' if len(left_out) == 1 else 'are'} left "
                  "out: not recorded for all of these periods.")
    return words


@dataclass(frozen=True)
class MeasureTable:
    """One measure's values by period: the table beside its chart (the chart's figures)."""

    measure: progress.MeasureProgress
    caption: str
    rows: tuple[tuple[str, str, str], ...]

    @property
    def id(self) -> str:
        return self.measure.measure.id

    @property
    def label(self) -> str:
        return self.measure.measure.label


def measure_tables(summary: progress.Summary) -> list[MeasureTable]:
    """Each measure with a value, in the summary's order, with its values by period."""
    return [MeasureTable(m, f"{m.measure.label} by period", tuple(
                (p.period.label, progress.number(p.value), p.status or "no target")
                for p in m.points))
            for m in summary.measures if m.points]


def on_target_words(summary: progress.Summary) -> str:
    met, judged = summary.on_target
    if not judged:
        return "No measure has a target yet."
    return (f"{met} of {judged} measure{'' if judged == 1 else 's'} with a target met it in "
            "the latest period recorded.")


def for_template(summary: progress.Summary | None) -> dict[str, Any] | None:
    """What templates/plan/_progress_so_far.html shows, or None for no progress."""
    if summary is None or summary.empty:
        return None
    return {"headers": HEADERS, "rows": rows(summary), "intro": INTRO,
            "on_target": on_target_words(summary), "funnel": funnel_rows(summary),
            "funnel_headers": FUNNEL_HEADERS,
            "funnel_words": funnel_words(summary), "measures": measure_tables(summary),
            "measure_headers": MEASURE_HEADERS, "chart_key": CHART_KEY}
