"""Funding by cycle and honest dates (issue 28): a funding program's status on any day is
computed from its rounds; `planner check` fails a record whose status hangs on a date now past;
`--stale` lists those records and `--report` gives the maintainer's report."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.engine import funding, matching
from planner.engine.profile import read_profile
from planner.knowledge.model import Cycle, Knowledge

D = dt.date


@pytest.mark.parametrize(("fund", "day", "status"), [
    ("fund-connect-and-protect", D(2025, 3, 1), "open"),  # FY2025 round, closing 3 April 2025
    ("fund-connect-and-protect", D(2025, 4, 4), "closed"),
    ("fund-jmhcp", D(2025, 4, 3), "open"),
    ("fund-jmhcp", D(2026, 12, 4), "closed"),
    ("fund-byrne-scip", D(2026, 8, 1), "open"),  # FY2026, the act's last year
    ("fund-byrne-scip", D(2026, 12, 4), "ended"),  # FY2027: no money after FY2026
    ("fund-medicaid-mobile-crisis", D(2026, 12, 4), "open"),
    ("fund-medicaid-mobile-crisis", D(2027, 4, 1), "ended"),  # the match ends 31 March 2027
    ("fund-cdc-od2a", D(2026, 12, 4), "closed"),
    ("fund-opioid-settlements", D(2026, 12, 4), "open"),
    ("fund-philanthropy", D(2026, 12, 4), "varies"),
])
def test_status_is_computed_from_the_cycles(shipped_kb: Knowledge, fund: str, day: dt.date,
                                            status: str) -> None:
    assert shipped_kb.funding[fund].status_on(day) == status


def test_an_expected_round_is_expected_before_its_dates_and_stale_after(
        shipped_kb: Knowledge) -> None:
    fund = replace(shipped_kb.funding["fund-connect-and-protect"], cycles=(
        Cycle(fiscal_year=2027, opens="2027-02-01", closes="2027-04-01", expected=True,
              applicants=("local-government",)),))
    assert fund.status_on(D(2026, 12, 4)) == "expected"
    assert fund.status_on(D(2027, 3, 1)) == "expected"  # inside dates never announced
    assert fund.past_dates(D(2026, 12, 4)) == ()
    assert fund.past_dates(D(2027, 2, 2))


def _who(kb: Knowledge, lead: str | None = None, state: str = "wv") -> Any:
    answers: dict[str, Any] = {"state": state, "community-name": "Testville"}
    if lead:
        answers["lead-agency"] = lead
    return read_profile(kb, answers)


def _fit(kb: Knowledge, fund_id: str, who: Any, today: dt.date,
         launch: dt.date) -> funding.FundingFit | None:
    fund = kb.funding[fund_id]
    dates = funding.PlanDates(today, today + dt.timedelta(days=30), launch)
    return funding.fit(kb, fund, matching.Match(fund.id, fund.label, 1.0, ()), who, dates)


def test_pass_through_money_is_asked_of_the_state_administering_agency(
        shipped_kb: Knowledge) -> None:
    fit = _fit(shipped_kb, "fund-byrne-scip", _who(shipped_kb), D(2026, 3, 2), D(2026, 9, 1))
    assert fit is not None and fit.to_apply and fit.route == "through-state"
    assert "made through your state administering agency (SAA)" in fit.application
    assert "not to the federal agency" in fit.how
    # After FY2026 the act's money has ended: shown as ended, never as an application.
    ended = _fit(shipped_kb, "fund-byrne-scip", _who(shipped_kb), D(2026, 12, 4), D(2027, 8, 1))
    assert ended is not None and not ended.to_apply and ended.status == "ended"
    assert ended.how == ""
    assert ended.when == ("Ended: the law funded it for FY2022\u2013FY2026 only; no new money "
                          "after FY2026. Ask your state administering agency (SAA) for criminal "
                          "justice grants whether any earlier money remains.")


def test_money_that_ends_before_the_launch_is_not_counted(shipped_kb: Knowledge) -> None:
    who = _who(shipped_kb, state="co")
    late = _fit(shipped_kb, "fund-medicaid-mobile-crisis", who, D(2026, 12, 4), D(2027, 8, 14))
    assert late is not None and not late.to_apply
    assert "31 March 2027, before your launch (14 August 2027)" in late.when
    early = _fit(shipped_kb, "fund-medicaid-mobile-crisis", who, D(2026, 12, 4), D(2027, 3, 1))
    assert early is not None and early.to_apply


def test_health_department_money_is_for_a_health_department_applicant(
        shipped_kb: Knowledge) -> None:
    od2a = shipped_kb.funding["fund-cdc-od2a"]
    fit = _fit(shipped_kb, od2a.id, _who(shipped_kb, "local-government"), D(2026, 12, 4),
               D(2027, 8, 1))
    assert fit is not None and not fit.to_apply and fit.route == "health-department"
    assert fit.when.startswith("Not open now") and "Your health department applies" in fit.how
    # Were a round open, only a health department lead would be asked to apply.
    kb = replace(shipped_kb, funding={**shipped_kb.funding, od2a.id: replace(od2a, cycles=(
        Cycle(fiscal_year=2027, opens="2026-11-01", closes="2027-01-15",
              applicants=("health-department",)),))})
    for lead, applies in (("public-health", True), ("police", False)):
        fit = _fit(kb, od2a.id, _who(kb, lead), D(2026, 12, 4), D(2027, 8, 1))
        assert fit is not None and fit.to_apply is applies, lead


def test_a_foundations_grant_to_another_program_is_only_an_example(
        shipped_kb: Knowledge) -> None:
    fit = _fit(shipped_kb, "fund-philanthropy", _who(shipped_kb), D(2026, 12, 4), D(2027, 8, 1))
    assert fit is not None and not fit.to_apply and fit.route == "example"
    assert fit.examples == ("Example only, not an offer: Caring for Denver Foundation gave "
                            "$1.4M to Denver STAR (2022, Colorado).",)


def test_state_money_says_its_year_and_whether_it_is_current(shipped_kb: Knowledge) -> None:
    wv = shipped_kb.states["wv-qla-early-intervention"]
    assert funding.state_money(wv, D(2026, 12, 4)).startswith(
        "Money from 2020: a past example, not an open offer")


# ------------------------------------------------------------------ planner check and dates

PLANTED = ("Pays for deflection programs run by first responders.",
           "Pays for deflection programs run by first responders. The FY2025 round is "
           "expected to open by 1 March 2026.")


def _check(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["check", str(root), *args])


def test_check_fails_on_a_record_whose_status_hangs_on_a_past_date(broken_kb: Any) -> None:
    clean = broken_kb()
    assert _check(clean, "--today", "2026-12-04").exit_code == 0
    root = broken_kb("funding.yaml", text=lambda t: t.replace(*PLANTED))
    before = _check(root, "--today", "2026-02-01")
    assert before.exit_code == 0, before.output  # the date has not come yet
    after = _check(root, "--today", "2026-12-04")
    assert after.exit_code == 1
    assert ("funding.yaml: fund-federal: status hangs on a past date: says \u201cThe FY2025 "
            "round is expected to open by 1 March 2026.\u201d") in after.output


def test_check_fails_on_a_pending_date_now_past_and_a_verification_after_it(
        broken_kb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = broken_kb("funding.yaml", text=lambda t: t.replace(
        '    as_of: "2024"\n    verified_on: "2026-11-22"\n  - id: fund-state',
        '    as_of: "2024"\n    verified_on: "2026-11-22"\n    pending_until: "2026-06-30"\n'
        '  - id: fund-state', 1))
    monkeypatch.setenv("PLANNER_TODAY", "2026-12-04")  # "today" from the environment
    result = _check(root)
    assert result.exit_code == 1
    assert ("fund-federal: status hangs on a past date: calls something pending until "
            "2026-06-30, now past, yet it was marked verified on 2026-11-22, after that date"
            ) in result.output
    assert _check(root, "--today", "2026-06-30").exit_code == 0


def test_check_fails_on_an_expected_round_whose_dates_have_come(broken_kb: Any) -> None:
    root = broken_kb("funding.yaml", text=lambda t: t.replace(
        '{fiscal_year: 2024, ceiling: 1000000, closes: "2024-05-01"',
        '{fiscal_year: 2026, expected: true, opens: "2026-03-01", ceiling: 1000000, '
        'closes: "2026-05-01"'))
    assert _check(root, "--today", "2026-02-01").exit_code == 0
    result = _check(root, "--today", "2026-12-04")
    assert result.exit_code == 1
    assert "its FY2026 round was expected by 2026-03-01, now past" in result.output


def test_the_shipped_knowledge_has_no_status_on_a_past_date() -> None:
    result = CliRunner().invoke(main, ["check", "--today", "2026-12-04", "--stale"])
    assert result.exit_code == 0, result.output
    assert "past date:" not in result.output


def test_stale_lists_the_records_whose_status_hangs_on_a_past_date(broken_kb: Any) -> None:
    root = broken_kb("funding.yaml", text=lambda t: t.replace(*PLANTED))
    # Listed (and failed) the day after; "--stale" alone means 24 months.
    result = _check(root, "--stale", "--today", "2026-12-04")
    assert result.exit_code == 1 and "fund-federal" in result.output
    ok = _check(root, "--stale", "0", "--today", "2026-02-28")
    assert ok.exit_code == 0
    assert "stale: states.yaml: or-test-law: last verified 2019-06-30" in ok.output
    assert "past date:" not in ok.output


def test_the_report_gives_ages_flags_past_dates_and_weak_sources(broken_kb: Any) -> None:
    root = broken_kb("funding.yaml", text=lambda t: t.replace(*PLANTED).replace(
        "https://grants.example.com/deflection", "http://grants.example.com/deflection"))
    result = _check(root, "--report", "--today", "2026-12-04")
    out = result.output
    assert result.exit_code == 1  # the http link and the past date are findings
    assert ("funding.yaml: 2 record(s); under 6 months: 2, 6 to 12 months: 0, "
            "12 to 24 months: 0, over 24 months: 0") in out
    assert "  open flags: 1\n    fund-state: Award amounts were not published." in out
    assert "  statuses that hang on a past date: 1\n    fund-federal: says" in out
    assert ("  mirror or http sources: 1\n    fund-federal: http: "
            "http://grants.example.com/deflection") in out


def test_the_report_on_the_shipped_knowledge_lists_mirrors() -> None:
    result = CliRunner().invoke(main, ["check", "--report", "--today", "2026-12-04"])
    assert result.exit_code == 0, result.output
    assert "funding.yaml: 12 record(s)" in result.output
    assert ("fund-byrne-scip: mirror: https://www.everycrsreport.com/files/2022-07-12_IN11968_"
            in result.output)


def test_the_old_purdue_sentence_would_fail_the_check(tmp_path: Path) -> None:
    # Issue 28's case: the record said Purdue's plan awaited a court, marked verified after
    # the court had confirmed it (18 November 2025).
    import shutil

    from planner.knowledge import loader

    root = tmp_path / "knowledge"
    shutil.copytree(loader.default_root(), root)
    path = root / "funding.yaml"
    text = path.read_text(encoding="utf-8")
    new = ("A further plan with Purdue Pharma and the Sackler family, worth at\n"
           "      least $7.4B paid over 15 years, was confirmed by the bankruptcy court on "
           "18 November 2025.")
    old = ("In June 2025, 55 attorneys general signed on to a further $7.4B settlement\n"
           "      with Purdue Pharma and the Sackler family, to be paid over 15 years once a "
           "court approves it.")
    assert new in text
    path.write_text(text.replace(new, old), encoding="utf-8")
    result = _check(root, "--today", "2026-12-04")
    assert result.exit_code == 1
    assert "funding.yaml: fund-opioid-settlements: status hangs on a past date" in result.output
    assert _check(root, "--today", "2025-06-20").exit_code == 0
