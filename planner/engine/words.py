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
    if shown != 0:
        return shown
    # Both show the same whole number: a true difference, kept under half a point so that
    # every wording of it reads "less than 1 point".
    true = higher - lower
    return max(-0.49, min(0.49, true))
