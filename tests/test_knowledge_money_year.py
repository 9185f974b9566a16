"""A state record's money carries its year as data (issue 28): `money_year` gives the year, its
basis (state fiscal, federal fiscal or calendar) and whether a source confirmed the money is
still offered; the plan's line about the money reads these fields, never the record's text."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from planner.cli import main
from planner.engine.funding import state_money
from planner.knowledge import loader
from planner.knowledge.model import Knowledge, MoneyYear

D = dt.date
FIXTURE_LINE = "    money_year: {year: 2025, basis: state-fiscal, current: true}\n"


def _findings(root: Path) -> list[str]:
    return [str(f) for f in loader.check(root)]


def test_state_money_needs_its_year(broken_kb: Any) -> None:
    root = broken_kb("states.yaml", text=lambda t: t.replace(FIXTURE_LINE, ""))
    assert any("oh-test-grant" in f and "money_year" in f and "is required with funds" in f
               for f in _findings(root)), _findings(root)


def test_money_is_current_only_on_a_confirmation(broken_kb: Any) -> None:
    root = broken_kb("states.yaml", text=lambda t: t.replace(
        '    as_of: "2024"\n    verified_on: "2026-11-22"\n  - id: or-test-law',
        '    as_of: "2024"\n    checked_on: "2026-11-22"\n    flags: [Not confirmed.]\n'
        '  - id: or-test-law'))
    found = _findings(root)
    assert any("oh-test-grant" in f and "money_year.current" in f for f in found), found


def test_the_money_year_cannot_come_after_the_record(broken_kb: Any) -> None:
    root = broken_kb("states.yaml", text=lambda t: t.replace(
        "{year: 2025, basis: state-fiscal", "{year: 2027, basis: state-fiscal"))
    found = _findings(root)
    assert any("oh-test-grant" in f and "money_year.year" in f and "after the record's as_of"
               in f for f in found), found


def test_check_fails_on_money_called_current_more_than_two_years_on(broken_kb: Any) -> None:
    root = broken_kb()

    def run(today: str) -> Any:
        return CliRunner().invoke(main, ["check", str(root), "--today", today])

    # State fiscal year 2025 (July 2024 to June 2025): two years on is state FY2027.
    assert run("2027-06-30").exit_code == 0
    late = run("2027-07-01")
    assert late.exit_code == 1
    assert ("states.yaml: oh-test-grant: status hangs on a past date: calls its money (state "
            "fiscal year 2025) current, more than two years ago") in late.output


def test_the_line_reads_the_year_from_the_field_not_the_text(shipped_kb: Knowledge) -> None:
    oh = shipped_kb.states["oh-ag-dart-qrt-grants"]
    assert oh.money_year == MoneyYear(year=2020, basis="state-fiscal", current=False)
    assert state_money(oh, D(2026, 12, 4)) == (
        "Money from state fiscal year 2020: a past example, not an open offer; ask the agency "
        "whether any remains.")
    # A text naming a newer year changes nothing; the field does.
    newer_text = replace(oh, funds="Grants of up to $50,000 in 2026.")
    assert state_money(newer_text, D(2026, 12, 4)) == state_money(oh, D(2026, 12, 4))
    recent = replace(oh, money_year=MoneyYear(year=2026, basis="state-fiscal", current=False))
    assert state_money(recent, D(2026, 12, 4)) == (
        "Money reported for state fiscal year 2026; no source showed it is still offered: ask "
        "the agency.")
    current = replace(oh, money_year=MoneyYear(year=2026, basis="calendar", current=True))
    assert state_money(current, D(2026, 12, 4)) == (
        "Money for 2026, still offered when last confirmed: confirm with the agency before "
        "planning on it.")


def test_years_are_counted_in_their_own_basis() -> None:
    day = D(2026, 12, 4)  # federal FY2027, state FY2027 (July-June), calendar 2026
    assert MoneyYear(year=2025, basis="federal-fiscal", current=True).years_before(day) == 2
    assert MoneyYear(year=2025, basis="state-fiscal", current=True).years_before(day) == 2
    assert MoneyYear(year=2025, basis="calendar", current=True).years_before(day) == 1
    assert MoneyYear(year=2025, basis="state-fiscal", current=True).years_before(
        D(2026, 6, 30)) == 1


def test_every_shipped_state_record_with_money_has_its_year(shipped_kb: Knowledge) -> None:
    with_money = [s for s in shipped_kb.states.values() if s.funds]
    assert with_money and all(s.money_year is not None for s in with_money)
    assert all(state_money(s, D(2026, 12, 4)) for s in with_money)
