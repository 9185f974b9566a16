"""Vector charts (matplotlib, SVG) with text alternatives: ranking, timeline, stakeholder map.

Uses matplotlib's object API (no pyplot), so it is safe in threaded servers.
Each chart returns inline SVG markup with role="img" and a <title>; each has
a matching *_alt function that says the same thing in words.
"""

from __future__ import annotations

import functools
import io
import math
import re
import textwrap
from collections.abc import Sequence
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

# USWDS colours with at least 3:1 contrast against white for graphics.
BAND_COLOURS = {"strong": "#00a91c", "possible": "#e5a000", "weak": "#71767a"}
INK = "#1b1b1b"
CRITICAL = "#d83933"
NORMAL = "#005ea2"
PRESENT = "#00a91c"
MISSING = "#d83933"

matplotlib.rcParams.update({
    "svg.fonttype": "none",  # keep text as text: selectable, searchable, small
    "svg.hashsalt": "deflection-planner",  # deterministic ids
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
})


def _svg(fig: Figure, title: str) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(fig).print_svg(buffer, metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"',
                  lambda m: f'<svg {m.group(1)}width="100%"', text, count=1)
    text = text.replace(
        "<svg ", f'<svg role="img" aria-label="{escape(title)}" focusable="false" ', 1
    )
    return re.sub(r"(<svg[^>]*>)", lambda m: f"{m.group(1)}<title>{escape(title)}</title>",
                  text, count=1)


def _figure(width: float, height: float) -> Any:
    fig = Figure(figsize=(width, height), dpi=72)
    fig.patch.set_alpha(0)
    return fig


def ranking_chart(ranking: Any) -> str:
    """Horizontal bars of each pathway's score, with its range and the band thresholds."""
    return _ranking_svg(tuple(
        (s.pathway.label, bool(s.running), float(s.score), float(s.low), float(s.high), s.band)
        for s in ranking.scores))


def warm() -> None:
    """Draw one throwaway chart (not kept): matplotlib's first figure loads its fonts and
    backends, a cost a server pays once before its workers fork instead of in a request."""
    _ranking_svg.__wrapped__((("Pathway", False, 50.0, 40.0, 60.0, "good"),))


# Charts are pure functions of a few plain values and the SVG is deterministic, so each
# is kept (bounded) by those values: the results page and the plan of one community, or
# a plan downloaded again, draw the same chart once. The benchmarks clear these caches.
_CACHE = 256


@functools.lru_cache(maxsize=_CACHE)
def _ranking_svg(scores: tuple[tuple[str, bool, float, float, float, str], ...]) -> str:
    fig = _figure(7.2, 0.5 * len(scores) + 0.9)
    ax = fig.add_axes((0.4, 0.18, 0.56, 0.78))
    labels = [label + (" (running)" if running else "") for label, running, *_ in scores]
    ys = list(range(len(scores)))[::-1]
    for y, (_, running, score, low, high, band) in zip(ys, scores, strict=True):
        ax.barh(y, score, color=BAND_COLOURS.get(band, NORMAL), height=0.55,
                hatch="//" if running else None, edgecolor=INK, linewidth=0.4)
        if high - low > 0.5:
            ax.plot([low, high], [y, y], color=INK, linewidth=1.2)
            ax.plot([low, low], [y - 0.15, y + 0.15], color=INK, linewidth=1.2)
            ax.plot([high, high], [y - 0.15, y + 0.15], color=INK, linewidth=1.2)
        ax.text(min(score + 1.5, 93), y + 0.3, f"{round(score)}", va="center", fontsize=8,
                color=INK)
    ax.set_yticks(ys, labels)
    ax.set_xlim(0, 100)
    ax.set_xlabel("Fit score (0-100); lines show the range from \u201cdon't know\u201d answers")
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return _svg(fig, "Pathway ranking chart")


def ranking_alt(ranking: Any) -> str:
    """The ranking chart in words."""
    parts = []
    for s in ranking.scores:
        where = "already running" if s.running else f"rank {s.rank}"
        rng = (f", range {round(s.low)} to {round(s.high)}" if s.high - s.low > 0.5 else "")
        parts.append(f"{s.pathway.label}: {round(s.score)} ({s.band_label.lower()}, "
                     f"{where}{rng})")
    return "Pathway fit scores out of 100. " + "; ".join(parts) + "."


def timeline_chart(tasks: Sequence[Any]) -> str:
    """A Gantt chart of scheduled tasks; tasks on the longest chain in red."""
    return _timeline_svg(tuple((t.task.label, int(t.start), int(t.finish), bool(t.critical))
                               for t in tasks))


@functools.lru_cache(maxsize=_CACHE)
def _timeline_svg(rows: tuple[tuple[str, int, int, bool], ...]) -> str:
    height = 0.3 * len(rows) + 0.9
    fig = _figure(7.2, height)
    ax = fig.add_axes((0.45, 0.5 / height, 0.52, 1 - 0.7 / height))
    ys = list(range(len(rows)))[::-1]
    for y, (_, start, finish, critical) in zip(ys, rows, strict=True):
        ax.barh(y, finish - start, left=start, height=0.6,
                color=CRITICAL if critical else NORMAL, linewidth=0)
    ax.set_yticks(ys, [_short(label, 50) for label, *_ in rows], fontsize=8.5)
    end = max((finish for _, _, finish, _ in rows), default=30)
    ax.set_xlim(0, math.ceil(end / 30) * 30)
    ax.set_xticks(range(0, math.ceil(end / 30) * 30 + 1, 30))
    for day in (30, 60, 90):
        ax.axvline(day, color="#565c65", linewidth=0.6, linestyle="--")
    ax.set_xlabel("Days from the start of planning (red: the longest chain of steps)")
    ax.tick_params(axis="y", length=0)  # labels only: fewer SVG nodes to lay out
    for spine in ("top", "right", "left"):
        ax.spines[spine].set_visible(False)
    return _svg(fig, "Timeline of planning tasks")


def timeline_alt(tasks: Sequence[Any]) -> str:
    """The timeline in words."""
    rows = list(tasks)
    critical = [t.task.label for t in rows if t.critical]
    end = max((t.finish for t in rows), default=0)
    return (f"{len(rows)} tasks over about {end} days. On the longest chain of steps (a delay "
            "in any of them delays the launch): " + "; ".join(critical) + ".")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def stakeholder_chart(stakeholders: Sequence[Any], title: str) -> str:
    """A hub-and-spoke map: the pathway (`title`, its name) in the centre, partners around
    it, coloured by whether the community has them; essential partners with solid spokes."""
    return _stakeholder_svg(tuple((s.label, bool(s.present), bool(s.essential))
                                  for s in stakeholders), title)


LEGEND = ("Solid line: essential. Dotted line: helpful, or named by you. "
          "\u2713 at the table or covered; \u2717 missing.")


@functools.lru_cache(maxsize=_CACHE)
def _stakeholder_svg(items: tuple[tuple[str, bool, bool], ...], title: str) -> str:
    fig = _figure(7.2, 4.6)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-2.3, 2.3)
    ax.set_ylim(-1.35, 1.35)
    ax.axis("off")
    ax.text(0, 0, "\n".join(textwrap.wrap(title, 22)), ha="center", va="center", fontsize=9,
            weight="bold", color="white",
            bbox={"boxstyle": "round,pad=0.5", "fc": NORMAL, "ec": INK})
    n = max(len(items), 1)
    for i, (label, present, essential) in enumerate(items):
        angle = math.pi / 2 - 2 * math.pi * i / n
        x, y = 1.45 * math.cos(angle), 0.95 * math.sin(angle)
        ax.plot([0, x * 0.8], [0, y * 0.8], color=INK, linewidth=1.4 if essential else 0.8,
                linestyle="-" if essential else ":")
        mark = "\u2713 " if present else "\u2717 "
        ax.text(x, y, mark + _short(label, 34), ha="center", va="center", fontsize=8,
                color=INK, bbox={"boxstyle": "square,pad=0.3", "fc": "white",
                                 "ec": PRESENT if present else MISSING, "lw": 1.6})
    ax.text(0, -1.32, LEGEND, ha="center", va="bottom", fontsize=7, color=INK)
    return _svg(fig, f"Stakeholder map for {title}")


def clear_cache() -> None:
    """Forget every drawn chart (benchmarks time the drawing itself)."""
    for cached in (_ranking_svg, _timeline_svg, _stakeholder_svg):
        cached.cache_clear()


def stakeholder_alt(stakeholders: Sequence[Any], title: str) -> str:
    """The stakeholder map in words."""
    items = list(stakeholders)
    have = [s.label for s in items if getattr(s, "status", "named" if s.present else "") == "named"]
    covered = [s.label for s in items if getattr(s, "status", "") == "covered"]
    missing = [s.label + (" (essential)" if s.essential else "") for s in items
               if not s.present]
    essential = [s.label for s in items if s.essential]
    return (f"Partners for {title}; essential: {', '.join(essential) or 'none named'}. "
            f"At the table: {', '.join(have) or 'none yet'}. "
            + (f"Covered by another partner: {', '.join(covered)}. " if covered else "")
            + f"Missing: {', '.join(missing) or 'none'}.")
