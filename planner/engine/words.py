"""Small wording helpers shared by the reports, the exports and the command line."""

from __future__ import annotations


def n_points(value: float) -> str:
    """A rounded number of points with its noun: "1 point", "0 points", "12 points"."""
    whole = f"{value:.0f}"
    return f"{whole} point" if whole in ("1", "-1") else f"{whole} points"
