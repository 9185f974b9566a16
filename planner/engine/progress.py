"""Progress on the plan's measures: periods, checked values, the funnel, and others' figures.

A community records each measure of knowledge/measures.yaml by period: a month
(`YYYY-MM`) or a quarter (`YYYY-Qn`). One measure keeps one kind of period (all months or
all quarters), so its values can be read one after the other. Each measure may have a
baseline and a target. Plain Python: the web layer stores the rows, this module checks and
summarises them, so every page and export shows the same figures.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from planner.knowledge.model import Knowledge, Measure

# What a measure's values are. A measure not named here is a count (a whole number).
UNITS: Mapping[str, str] = {
    "measure-time-to-treatment": "hours",
    "measure-treatment-retention": "percent",
    "measure-walk-in-placement-rate": "percent",
    "measure-intervention-completion-rate": "percent",
    "measure-participant-experience": "percent",
    "measure-cost-per-person": "dollars",
}
UNIT_WORDS = {"count": "people or events", "hours": "hours", "percent": "percent",
              "dollars": "dollars"}
# Measures where fewer is better: their target is met at or below it.
LOWER_IS_BETTER = frozenset({
    "measure-time-to-treatment", "measure-cost-per-person", "measure-overdose-deaths",
    "measure-repeat-overdoses", "measure-police-backup-requests",
    "measure-low-level-crime-reports", "measure-medical-clearance",
})
# The funnel from contact to treatment, in order. An optional stage shows when it is
# recorded for every period the other stages share (a program that did not count it
# still sees its funnel).
FUNNEL = ("measure-contacts", "measure-referrals-made", "measure-engaged",
          "measure-treatment-entry")
FUNNEL_OPTIONAL = frozenset({"measure-engaged"})
# The largest value any measure takes (a billion): a bigger one is a typing slip.
VALUE_MAX = 1_000_000_000
ROWS_MAX = 2000
CSV_COLUMNS = ("period", "measure", "value")
# The export adds the measure's name; the import reads past it.
EXTRA_COLUMNS = ("measure_name",)

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([1-4])")
# A value as typed: ASCII digits, an optional decimal part, thousands commas allowed.
_NUMBER = re.compile(r"(-?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?")


class ProgressError(ValueError):
    """Input that cannot be saved; `problems` says why, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Period:
    """A month or a quarter. Ordered by the month it starts in; in the same month a month
    comes before a quarter (a shorter period first)."""

    year: int
    kind: str  # "month" or "quarter"
    number: int  # 1-12 or 1-4

    @property
    def first_month(self) -> int:
        return self.number if self.kind == "month" else 3 * self.number - 2

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.year, self.first_month, 1 if self.kind == "month" else 3)

    @property
    def text(self) -> str:
        return (f"{self.year}-{self.number:02d}" if self.kind == "month"
                else f"{self.year}-Q{self.number}")

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"Q{self.number} {self.year}"
        return f"{_MONTHS[self.number - 1]} {self.year}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def parse_period(text: str) -> Period:
    """`YYYY-MM` or `YYYY-Qn` (years 2000 to 2100); raise ProgressError otherwise."""
    raw = (text or "").strip()
    month, quarter = _MONTH.fullmatch(raw), _QUARTER.fullmatch(raw)
    found = (Period(int(month.group(1)), "month", int(month.group(2))) if month else
             Period(int(quarter.group(1)), "quarter", int(quarter.group(2))) if quarter
             else None)
    if found is None or not 2000 <= found.year <= 2100:
        shown = raw[:40] or "(empty)"
        raise ProgressError([f"\u201c{shown}\u201d is not a period: write a month as "
                             "YYYY-MM (2026-03) or a quarter as YYYY-Qn (2026-Q1), "
                             "in the years 2000 to 2100"])
    return found


def unit(measure_id: str) -> str:
    return UNITS.get(measure_id, "count")


def find_measure(kb: Knowledge, text: str) -> Measure:
    """A measure by its id or by its name as the plan prints it (case and spaces aside)."""
    raw = " ".join((text or "").split())
    if raw in kb.measures:
        return kb.measures[raw]
    folded = raw.casefold()
    for m in kb.measures.values():
        if m.label.casefold() == folded or m.id.casefold() == folded:
            return m
    shown = raw[:80] or "(empty)"
    raise ProgressError([f"\u201c{shown}\u201d is not one of the plan\u2019s measures: use a "
                         "measure\u2019s name as the plan prints it, or its id"])


def parse_value(measure: Measure, text: str) -> float:
    """A value for the measure: a number, never negative; a whole number for a count; at
    most 100 for a percent."""
    raw = (text or "").strip()
    kind = unit(measure.id)
    if kind == "percent" and raw.endswith("%"):
        raw = raw[:-1].rstrip()
    shown = (text or "").strip()[:40] or "(empty)"
    match = _NUMBER.fullmatch(raw)
    if match is None:
        raise ProgressError([f"{measure.label}: \u201c{shown}\u201d is not a number "
                             "(write it with digits, such as 12 or 3.5)"])
    value = float(raw.replace(",", ""))
    if value < 0:
        raise ProgressError([f"{measure.label}: {shown} is negative; a "
                             f"{'count' if kind == 'count' else 'value'} is 0 or more"])
    if kind == "count" and not value.is_integer():
        raise ProgressError([f"{measure.label}: {shown} is not a whole number; this measure "
                             "counts people or events"])
    if kind == "percent" and value > 100:
        raise ProgressError([f"{measure.label}: {shown} is over 100 percent"])
    if value > VALUE_MAX:
        raise ProgressError([f"{measure.label}: {shown} is larger than any program "
                             "records; check the number"])
    return value


@dataclass(frozen=True)
class Entry:
    """One measure's value for one period."""

    period: Period
    measure: str
    value: float


@dataclass(frozen=True)
class Goal:
    """A measure's baseline and target (either may be missing)."""

    measure: str
    baseline: float | None
    target: float | None


def check(kb: Knowledge, rows: Iterable[tuple[str, str, str]],
          existing: Iterable[Entry] = ()) -> list[Entry]:
    """Check (period, measure, value) rows as typed or imported; every problem is named
    (with its row, counted from 1 after any header) and nothing is kept if there is one.

    A row that names the same period and measure as an earlier row is a duplicate. A
    measure keeps one kind of period: the rows (and what is saved already, `existing`)
    must not mix months and quarters for one measure.
    """
    return _check(kb, list(enumerate(rows, start=1)), existing, [])


def _check(kb: Knowledge, rows: Sequence[tuple[int, tuple[str, str, str]]],
           existing: Iterable[Entry], problems: list[str]) -> list[Entry]:
    out: list[Entry] = []
    seen: dict[tuple[str, str], int] = {}
    kinds = {e.measure: e.period.kind for e in existing}
    for line, (period_text, measure_text, value_text) in rows:
        where = f"Row {line}: "
        try:
            measure = find_measure(kb, measure_text)
            period = parse_period(period_text)
            value = parse_value(measure, value_text)
        except ProgressError as exc:
            problems.extend(where + p for p in exc.problems)
            continue
        key = (period.text, measure.id)
        if key in seen:
            problems.append(f"{where}{measure.label} for {period.label} is already on row "
                            f"{seen[key]}; give each measure one value per period")
            continue
        seen[key] = line
        if kinds.setdefault(measure.id, period.kind) != period.kind:
            problems.append(f"{where}{measure.label} is recorded by "
                            f"{kinds[measure.id]}; record it by {kinds[measure.id]} "
                            f"here too, not by {period.kind}")
            continue
        out.append(Entry(period, measure.id, value))
    if len(rows) > ROWS_MAX:
        problems.append(f"There are more than {ROWS_MAX} rows; import a year or two at a time")
    if problems:
        raise ProgressError(problems)
    return out


def read_csv(kb: Knowledge, text: str, existing: Iterable[Entry] = ()) -> list[Entry]:
    """A CSV with the columns period, measure, value (a header row naming them, in any
    order, and the export's measure_name, which is ignored; blank lines skipped), checked as
    `check` does."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        lines = [r for r in reader if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise ProgressError([f"This file is not a readable CSV ({exc})"]) from exc
    if not lines:
        raise ProgressError(["The file is empty: it needs a header row (period, measure, "
                             "value) and a row for each value"])
    header = [c.strip().casefold() for c in lines[0]]
    if sorted(set(header) - set(EXTRA_COLUMNS)) != sorted(CSV_COLUMNS) or \
            len(set(header)) != len(header):
        raise ProgressError(["The first row must name the three columns period, measure "
                             f"and value (it has: {', '.join(lines[0])[:120] or 'nothing'})"])
    if len(lines) == 1:
        raise ProgressError(["The file has a header but no values"])
    at = [header.index(c) for c in CSV_COLUMNS]
    problems: list[str] = []
    rows = []
    for n, r in enumerate(lines[1:], start=1):
        if len(r) != len(header):
            problems.append(f"Row {n}: it has {len(r)} cells, not {len(header)}")
        else:
            rows.append((n, (r[at[0]], r[at[1]], r[at[2]])))
    return _check(kb, rows, existing, problems)


def write_csv(kb: Knowledge, entries: Iterable[Entry]) -> str:
    """The entries as CSV (period, measure id, value, and the measure's name), ordered by
    period then the measures' order in the knowledge base; read_csv reads it back."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *EXTRA_COLUMNS])
    for e in ordered(kb, entries):
        writer.writerow([e.period.text, e.measure, number(e.value),
                         kb.measures[e.measure].label if e.measure in kb.measures else ""])
    return out.getvalue()


def number(value: float | None) -> str:
    """A value as people read it: no trailing .0, at most two decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def ordered(kb: Knowledge, entries: Iterable[Entry]) -> list[Entry]:
    """Entries by period, then the measure's place in the knowledge base, then id."""
    place = {mid: i for i, mid in enumerate(kb.measures)}
    return sorted(entries, key=lambda e: (e.period.key, place.get(e.measure, len(place)),
                                          e.measure))


# ------------------------------------------------------------------ summary


@dataclass(frozen=True)
class Point:
    period: Period
    value: float
    status: str  # "met", "not met" or "" (no target)


@dataclass(frozen=True)
class MeasureProgress:
    """One measure over time, against its baseline and target."""

    measure: Measure
    unit: str
    lower_is_better: bool
    baseline: float | None
    target: float | None
    points: tuple[Point, ...]

    @property
    def latest(self) -> Point | None:
        return self.points[-1] if self.points else None

    @property
    def direction(self) -> str:
        return "lower is better" if self.lower_is_better else "higher is better"


@dataclass(frozen=True)
class FunnelStage:
    label: str
    total: int
    share_of_first: float | None  # a fraction of the first stage


@dataclass(frozen=True)
class Funnel:
    stages: tuple[FunnelStage, ...]
    periods: tuple[Period, ...]  # the periods where every stage shown was recorded
    left_out: tuple[str, ...] = ()  # optional stages not recorded for all of them (labels)


@dataclass(frozen=True)
class Published:
    """A figure a similar program published: theirs, not the community's."""

    program: str
    metric: str
    value: str
    period: str
    self_reported: bool
    evidence: str
    as_of: str
    source_label: str
    source_url: str


@dataclass(frozen=True)
class Summary:
    measures: tuple[MeasureProgress, ...]
    funnel: Funnel | None
    published: tuple[Published, ...]

    @property
    def empty(self) -> bool:
        return not any(m.points for m in self.measures)

    @property
    def on_target(self) -> tuple[int, int]:
        """(measures whose latest value meets its target, measures with a target and a
        value)."""
        judged = [m.latest.status for m in self.measures if m.latest and m.latest.status]
        return sum(1 for s in judged if s == "met"), len(judged)


def status(measure_id: str, value: float, target: float | None) -> str:
    if target is None:
        return ""
    met = value <= target if measure_id in LOWER_IS_BETTER else value >= target
    return "met" if met else "not met"


def summarise(kb: Knowledge, entries: Iterable[Entry], goals: Iterable[Goal] = (),
              similar: Sequence[str] = ()) -> Summary:
    """Each measure with a value or a goal (in the knowledge base's order), the funnel, and
    the published figures of the `similar` programs (ids, in the order given)."""
    by_measure: dict[str, list[Entry]] = {}
    for e in ordered(kb, entries):
        by_measure.setdefault(e.measure, []).append(e)
    goal_of = {g.measure: g for g in goals}
    out = []
    for mid, measure in kb.measures.items():
        if mid not in by_measure and mid not in goal_of:
            continue
        goal = goal_of.get(mid, Goal(mid, None, None))
        out.append(MeasureProgress(
            measure, unit(mid), mid in LOWER_IS_BETTER, goal.baseline, goal.target,
            tuple(Point(e.period, e.value, status(mid, e.value, goal.target))
                  for e in by_measure.get(mid, []))))
    return Summary(tuple(out), funnel(kb, by_measure), published(kb, similar))


def funnel(kb: Knowledge, by_measure: Mapping[str, Sequence[Entry]]) -> Funnel | None:
    """Totals of the funnel's stages over the periods where every required stage has a
    value (None if there is no such period). An optional stage (FUNNEL_OPTIONAL) is a
    stage when it has a value in each of those periods, else it is named in `left_out`."""
    known = [mid for mid in FUNNEL if mid in kb.measures]
    periods = {mid: {e.period for e in by_measure.get(mid, ())} for mid in known}
    required = [periods[mid] for mid in known if mid not in FUNNEL_OPTIONAL]
    common = set.intersection(*required) if required else set()
    if not common:
        return None
    shown = [mid for mid in known if mid not in FUNNEL_OPTIONAL or common <= periods[mid]]
    totals = [int(sum(e.value for e in by_measure[mid] if e.period in common))
              for mid in shown]
    first = totals[0]
    return Funnel(tuple(FunnelStage(kb.measures[mid].label, total,
                                    (total / first) if first else None)
                        for mid, total in zip(shown, totals, strict=True)),
                  tuple(sorted(common, key=lambda p: p.key)),
                  tuple(kb.measures[mid].label for mid in known if mid not in shown))


EVIDENCE_WORDS = {
    "self_reported": "reported by the program itself",
    "press": "reported in the press",
    "program_evaluation": "a program evaluation",
    "peer_reviewed": "a peer-reviewed study",
    "quasi_experimental": "a quasi-experimental study",
    "descriptive": "a descriptive study",
}


def published(kb: Knowledge, program_ids: Sequence[str]) -> tuple[Published, ...]:
    """The published figures of these programs, in the order given, each as the knowledge
    base records it (with whether it is self-reported and its first source)."""
    out = []
    for pid in program_ids:
        program = kb.programs.get(pid)
        if program is None:
            continue
        for o in program.outcomes:
            source = o.sources[0] if o.sources else None
            out.append(Published(
                program.label, o.metric, o.value, o.period, o.self_reported,
                EVIDENCE_WORDS.get(o.evidence_type, o.evidence_type.replace("_", " ")),
                str(o.as_of), source.label if source else "",
                str(source.url) if source else ""))
    return tuple(out)
