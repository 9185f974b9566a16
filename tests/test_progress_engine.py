"""planner.engine.progress: periods, checks, the funnel and others' published figures."""

from __future__ import annotations

import pytest

from planner.engine import progress as p
from planner.knowledge import loader
from planner.knowledge.model import Knowledge


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


@pytest.mark.parametrize(("text", "label"), [
    ("2026-03", "March 2026"), ("2026-12", "December 2026"), ("2026-Q1", "Q1 2026"),
    ("2026-q4", "Q4 2026"), (" 2030-01 ", "January 2030"),
])
def test_a_month_or_a_quarter_is_a_period(text: str, label: str) -> None:
    assert p.parse_period(text).label == label


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "2026-Q0", "2026-Q5",
                                  "26-03", "March 2026", "", "1999-01", "2101-Q1",
                                  "2026-03-01", "２０２６-03"])
def test_anything_else_is_not(text: str) -> None:
    with pytest.raises(p.ProgressError, match="is not a period"):
        p.parse_period(text)


def test_periods_sort_by_their_first_month_a_month_before_its_quarter() -> None:
    texts = ["2026-Q2", "2026-04", "2025-12", "2026-Q1", "2026-01", "2026-03"]
    ordered = sorted((p.parse_period(t) for t in texts), key=lambda x: x.key)
    assert [x.text for x in ordered] == ["2025-12", "2026-01", "2026-Q1", "2026-03",
                                         "2026-04", "2026-Q2"]


def test_a_measure_is_found_by_id_or_by_its_printed_name(kb: Knowledge) -> None:
    assert p.find_measure(kb, "measure-contacts").id == "measure-contacts"
    assert p.find_measure(kb, "  people   CONTACTED ").id == "measure-contacts"
    with pytest.raises(p.ProgressError, match="not one of the plan"):
        p.find_measure(kb, "People reached")


def test_every_unit_and_direction_names_a_measure_of_the_knowledge_base(kb: Knowledge) -> None:
    assert set(p.UNITS) <= set(kb.measures)
    assert set(kb.measures) >= p.LOWER_IS_BETTER
    assert set(p.FUNNEL) <= set(kb.measures)
    assert set(p.UNITS.values()) <= set(p.UNIT_WORDS)


@pytest.mark.parametrize(("measure", "text", "says"), [
    ("measure-contacts", "-1", "is negative"),
    ("measure-contacts", "1.5", "not a whole number"),
    ("measure-contacts", "nan", "not a number"),
    ("measure-contacts", "inf", "not a number"),
    ("measure-contacts", "", "not a number"),
    ("measure-contacts", "2000000000", "larger than any program records"),
    ("measure-contacts", "1e3", "not a number"),
    ("measure-contacts", "1_000", "not a number"),
    ("measure-contacts", "１２", "not a number"),
    ("measure-treatment-retention", "101", "over 100 percent"),
    ("measure-time-to-treatment", "-0.5", "is negative"),
])
def test_a_bad_value_is_refused(kb: Knowledge, measure: str, text: str, says: str) -> None:
    with pytest.raises(p.ProgressError, match=says):
        p.parse_value(kb.measures[measure], text)


def test_good_values_read(kb: Knowledge) -> None:
    assert p.parse_value(kb.measures["measure-contacts"], "1,204") == 1204
    assert p.parse_value(kb.measures["measure-treatment-retention"], "42.5%") == 42.5
    assert p.parse_value(kb.measures["measure-time-to-treatment"], "2.75") == 2.75
    assert p.parse_value(kb.measures["measure-contacts"], "0") == 0


def test_check_names_every_problem_by_row_and_keeps_nothing(kb: Knowledge) -> None:
    with pytest.raises(p.ProgressError) as caught:
        p.check(kb, [("2026-01", "measure-contacts", "4"),
                     ("2026-01", "People contacted", "5"),
                     ("2026-02", "measure-nope", "1"),
                     ("2026-Q1", "measure-contacts", "3")])
    problems = caught.value.problems
    assert problems[0].startswith("Row 2: ") and "already on row 1" in problems[0]
    assert problems[1].startswith("Row 3: ") and "not one of the plan" in problems[1]
    assert problems[2].startswith("Row 4: ") and "recorded by month" in problems[2]
    assert len(problems) == 3


def test_what_is_saved_sets_a_measures_kind_of_period(kb: Knowledge) -> None:
    saved = p.check(kb, [("2026-Q1", "measure-contacts", "4")])
    with pytest.raises(p.ProgressError, match="recorded by quarter"):
        p.check(kb, [("2026-04", "measure-contacts", "4")], saved)


def test_the_csv_round_trips_and_names_its_rows(kb: Knowledge) -> None:
    entries = p.check(kb, [("2026-02", "measure-contacts", "50"),
                           ("2026-01", "Referrals made", "20"),
                           ("2026-Q1", "measure-treatment-retention", "42.5")])
    text = p.write_csv(kb, entries)
    assert text.splitlines()[0] == "period,measure,value,measure_name"
    assert text.splitlines()[1] == "2026-01,measure-referrals-made,20,Referrals made"
    assert p.read_csv(kb, text) == p.ordered(kb, entries)
    # Columns in another order, a byte-order mark and blank lines are fine.
    assert p.read_csv(kb, "\ufeffvalue,period,measure\n\n50,2026-02,People contacted\n") == [
        p.Entry(p.parse_period("2026-02"), "measure-contacts", 50)]
    with pytest.raises(p.ProgressError, match="Row 1: it has 2 cells"):
        p.read_csv(kb, "period,measure,value\n2026-01,measure-contacts\n")


def test_the_funnel_counts_only_periods_where_every_stage_is_recorded(kb: Knowledge) -> None:
    entries = p.check(kb, [
        ("2026-01", "measure-contacts", "40"), ("2026-01", "measure-referrals-made", "20"),
        ("2026-01", "measure-treatment-entry", "8"),
        ("2026-02", "measure-contacts", "60"), ("2026-02", "measure-referrals-made", "30"),
        ("2026-03", "measure-contacts", "10"), ("2026-03", "measure-referrals-made", "5"),
        ("2026-03", "measure-treatment-entry", "2")])
    funnel = p.summarise(kb, entries).funnel
    assert funnel is not None
    assert [x.text for x in funnel.periods] == ["2026-01", "2026-03"]
    assert [(s.total, s.share_of_first) for s in funnel.stages] == [(50, 1.0), (25, 0.5),
                                                                     (10, 0.2)]
    assert p.summarise(kb, entries[:2]).funnel is None


def test_the_engaged_stage_joins_the_funnel_when_recorded_for_its_periods(
        kb: Knowledge) -> None:
    """Contact, referred, engaged, entered treatment: engaged is a stage when it has a value
    in every period the other three share, else the funnel names it as left out."""
    assert p.FUNNEL == ("measure-contacts", "measure-referrals-made", "measure-engaged",
                        "measure-treatment-entry")
    assert kb.measures["measure-engaged"].sources
    rows = [("2026-01", "measure-contacts", "40"), ("2026-01", "measure-referrals-made", "20"),
            ("2026-01", "measure-engaged", "12"), ("2026-01", "measure-treatment-entry", "8"),
            ("2026-02", "measure-contacts", "60"), ("2026-02", "measure-referrals-made", "30"),
            ("2026-02", "measure-treatment-entry", "9")]
    partly = p.summarise(kb, p.check(kb, rows)).funnel
    assert partly is not None
    assert [s.label for s in partly.stages] == [
        kb.measures[m].label for m in p.FUNNEL if m != "measure-engaged"]
    assert partly.left_out == (kb.measures["measure-engaged"].label,)
    whole = p.summarise(kb, p.check(kb, [*rows, ("2026-02", "measure-engaged", "18")])).funnel
    assert whole is not None and whole.left_out == ()
    assert [(s.label, s.total) for s in whole.stages] == [
        (kb.measures[m].label, n) for m, n in zip(p.FUNNEL, (100, 50, 30, 17), strict=True)]
    assert whole.stages[2].share_of_first == 0.3


def test_targets_are_met_at_or_above_or_at_or_below_for_fewer_is_better(kb: Knowledge) -> None:
    entries = p.check(kb, [("2026-01", "measure-contacts", "45"),
                           ("2026-02", "measure-contacts", "44"),
                           ("2026-01", "measure-repeat-overdoses", "3")])
    summary = p.summarise(kb, entries, [p.Goal("measure-contacts", 20, 45),
                                        p.Goal("measure-repeat-overdoses", 5, 3),
                                        p.Goal("measure-moud-starts", None, 10)])
    by_id = {m.measure.id: m for m in summary.measures}
    assert [x.status for x in by_id["measure-contacts"].points] == ["met", "not met"]
    assert by_id["measure-repeat-overdoses"].points[0].status == "met"
    assert by_id["measure-moud-starts"].points == ()  # a goal with no value yet is listed
    assert summary.on_target == (1, 2)


def test_published_figures_are_the_programs_own_and_say_when_self_reported(
        kb: Knowledge) -> None:
    pid = next(pid for pid, prog in kb.programs.items()
               if any(o.self_reported for o in prog.outcomes))
    found = p.published(kb, [pid, "no-such-program"])
    program = kb.programs[pid]
    assert len(found) == len(program.outcomes)
    assert all(f.program == program.label for f in found)
    assert [f.self_reported for f in found] == [o.self_reported for o in program.outcomes]
    assert [f.value for f in found] == [o.value for o in program.outcomes]
