"""Small wording helpers shared by the reports, the exports and the command line."""

from __future__ import annotations


def n_points(value: float) -> str:
    """A rounded number of points with its noun: "1 point", "0 points", "12 points"."""
    whole = f"{value:.0f}"
    return f"{whole} point" if whole in ("1", "-1") else f"{whole} points"


def behind(value: float) -> str:
    """How far a pathway trails the top one, never "0 points behind": "tied on points" for
    equal scores (the tie-break orders them), "less than 1 point behind" under half a point."""
    if round(value, 6) == 0:
        return "tied on points"
    if f"{value:.0f}" in ("0", "-0"):
        return "less than 1 point behind"
    return f"{n_points(value)} behind"


def shown_gap(higher: float, lower: float) -> float:
    """How far one score leads another, as the tables show them: the difference of the two
    whole-point scores (so "leads by 5 points" sits beside 67 and 62). Under a displayed
    point (both round to the same whole number) the true difference, which words say as
    "less than 1 point"."""
    shown = float(f"{higher:.0f}") - float(f"{lower:.0f}")
    return shown if shown != 0 else higher - lower
