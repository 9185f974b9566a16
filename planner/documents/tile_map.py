"""A US tile-grid map: one equal square per state (and DC), shaded by a count, drawn as
SVG on planner.documents.charts' figures (matplotlib's one home); a page shows a table of
the same counts."""

from __future__ import annotations

import functools

from planner.documents.charts import INK, NORMAL, _figure, _svg

# (row, column) of each state's tile, north-west first.
GRID: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (0, 10),
    "WI": (1, 5), "VT": (1, 9), "NH": (1, 10),
    "WA": (2, 0), "ID": (2, 1), "MT": (2, 2), "ND": (2, 3), "MN": (2, 4), "IL": (2, 5),
    "MI": (2, 6), "NY": (2, 8), "MA": (2, 9),
    "OR": (3, 0), "NV": (3, 1), "WY": (3, 2), "SD": (3, 3), "IA": (3, 4), "IN": (3, 5),
    "OH": (3, 6), "PA": (3, 7), "NJ": (3, 8), "CT": (3, 9), "RI": (3, 10),
    "CA": (4, 0), "UT": (4, 1), "CO": (4, 2), "NE": (4, 3), "MO": (4, 4), "KY": (4, 5),
    "WV": (4, 6), "VA": (4, 7), "MD": (4, 8), "DE": (4, 9),
    "AZ": (5, 1), "NM": (5, 2), "KS": (5, 3), "AR": (5, 4), "TN": (5, 5), "NC": (5, 6),
    "SC": (5, 7), "DC": (5, 8),
    "OK": (6, 3), "LA": (6, 4), "MS": (6, 5), "AL": (6, 6), "GA": (6, 7),
    "HI": (7, 0), "TX": (7, 3), "FL": (7, 8),
}
EMPTY = "#f0f0f0"


def chart(counts: dict[str, int], title: str = "Communities by state") -> str:
    """The map: each tile names its state and its count; darker for more."""
    return _tiles(tuple(sorted((k.upper(), int(v)) for k, v in counts.items()
                               if k.upper() in GRID)), title)


@functools.lru_cache(maxsize=64)
def _tiles(counts: tuple[tuple[str, int], ...], title: str) -> str:
    found = dict(counts)
    top = max(found.values(), default=0)
    fig = _figure(7.2, 5.0)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-0.1, 11.1)
    ax.set_ylim(8.1, -0.1)
    ax.axis("off")
    for code, (row, col) in GRID.items():
        n = found.get(code, 0)
        # Three shades of the chart blue, so no tile relies on a subtle difference.
        shade = EMPTY if n == 0 else ("#73b3e7" if n <= top / 3 else
                                      "#2378c3" if n <= 2 * top / 3 else NORMAL)
        text = INK if n == 0 or shade == "#73b3e7" else "white"
        ax.fill([col, col + 0.9, col + 0.9, col], [row, row, row + 0.9, row + 0.9],
                facecolor=shade, edgecolor=INK, linewidth=0.4)
        ax.text(col + 0.45, row + 0.32, code, ha="center", va="center", fontsize=8,
                weight="bold", color=text)
        ax.text(col + 0.45, row + 0.66, str(n) if n else "", ha="center", va="center",
                fontsize=8, color=text)
    return _svg(fig, title)


def alt(counts: dict[str, int]) -> str:
    """The map in words."""
    listed = sorted(((k.upper(), v) for k, v in counts.items() if v), key=lambda x: x[0])
    if not listed:
        return "A map of the states: no community listed."
    return ("A map of the states, each a square with its number of communities: "
            + "; ".join(f"{k} {v}" for k, v in listed) + ".")
