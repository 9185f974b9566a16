"""A measure over time against its target (matplotlib SVG, as planner.documents.charts draws),
with the same figures in words; the page and the plan put a table beside it."""

from __future__ import annotations

import functools

from planner.documents.charts import CRITICAL, INK, NORMAL, _figure, _svg
from planner.engine import progress

MUTED = "#71767a"


def measure_chart(m: progress.MeasureProgress) -> str:
    """Bars of the measure's values by period, a solid line at its target and a dotted
    line at its baseline."""
    return _measure_svg(m.measure.label, m.unit,
                        tuple((p.period.label, p.value) for p in m.points),
                        m.baseline, m.target)


def measure_alt(m: progress.MeasureProgress) -> str:
    """The chart in words."""
    words = progress.UNIT_WORDS[m.unit]
    values = "; ".join(f"{p.period.label}: {progress.number(p.value)}"
                       + (f" ({p.status})" if p.status else "") for p in m.points)
    goal = []
    if m.baseline is not None:
        goal.append(f"baseline {progress.number(m.baseline)}")
    if m.target is not None:
        goal.append(f"target {progress.number(m.target)} ({m.direction})")
    return (f"{m.measure.label}, in {words}, by period. {values or 'No values yet'}."
            + (f" {'; '.join(goal).capitalize()}." if goal else ""))


@functools.lru_cache(maxsize=256)
def _measure_svg(label: str, unit: str, points: tuple[tuple[str, float], ...],
                 baseline: float | None, target: float | None) -> str:
    width = max(4.8, min(7.2, 1.6 + 0.55 * len(points)))
    fig = _figure(width, 2.6)
    ax = fig.add_axes((0.14, 0.3, 0.66, 0.6))  # the right margin holds the lines' labels
    xs = list(range(len(points)))
    ax.bar(xs, [v for _, v in points], color=NORMAL, width=0.6, edgecolor=INK, linewidth=0.4)
    for x, (_, v) in zip(xs, points, strict=True):
        ax.text(x, v, progress.number(v), ha="center", va="bottom", fontsize=8, color=INK)
    if target is not None:
        ax.axhline(target, color=CRITICAL, linewidth=1.4)
        ax.annotate(f"target {progress.number(target)}", (1.02, target),
                    xycoords=("axes fraction", "data"), va="center", ha="left", fontsize=8,
                    color=INK, annotation_clip=False)
    if baseline is not None:
        ax.axhline(baseline, color=MUTED, linewidth=1.2, linestyle=":")
        near = target is not None and abs(target - baseline) < 0.08 * max(
            [v for _, v in points] + [target, baseline, 1])
        ax.annotate(f"baseline {progress.number(baseline)}", (1.02, baseline),
                    xycoords=("axes fraction", "data"), va="top" if near else "center",
                    ha="left", fontsize=8, color=INK, annotation_clip=False)
    ax.set_xticks(xs, [p for p, _ in points], rotation=30 if len(points) > 6 else 0,
                  ha="right" if len(points) > 6 else "center")
    ax.set_xlim(-0.6, max(len(points) - 0.4, 0.6))
    top = max([v for _, v in points] + [target or 0, baseline or 0, 1])
    ax.set_ylim(0, top * 1.2)
    ax.set_ylabel(progress.UNIT_WORDS[unit])
    if unit == "count":
        ax.locator_params(axis="y", integer=True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return _svg(fig, f"{label} by period")


def clear_cache() -> None:
    _measure_svg.cache_clear()
