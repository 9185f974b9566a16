"""Scenario validation: real programs, described as their communities looked before launch,
scored to see whether the planner ranks first the pathway each one chose.

A scenario file (YAML) names the program (`program`, an id in programs.yaml), says `why`
in a sentence, lists its `sources`, and gives the community's `answers` before launch and
`expect.pathway` (older files: `expect.in_top_two`), the pathway the program chose. A
scenario the model is known to miss says so in `expect.known_miss` with the reason; it still
counts as a miss in the figures.

The figures describe scenarios written by the same team that wrote the rules, from public
sources: they show the model agrees with those programs' choices, not that it predicts
what an unseen community should do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.engine import answers as answers_mod
from planner.engine.profile import CommunityProfile, read_profile
from planner.engine.scoring import Ranking, score, stability
from planner.engine.words import n_points
from planner.knowledge.loader import read_yaml_file
from planner.knowledge.model import Knowledge

GOALS_QUESTION = "goals"

# The stability label in the words the results page and the plan use.
LABEL_WORDS = {"stable": "clear lead", "close-call": "close call"}

# The bands of the top pathway's chance of coming first that calibration reports, in whole
# percent: [low, high). The last band ends past 100 so that 100 falls in it.
CHANCE_BANDS = ((0, 50), (50, 70), (70, 80), (80, 90), (90, 101))


class ScenarioError(ValueError):
    """Raised for a scenario file that cannot be read or does not fit the knowledge base."""


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    program: str
    expected: str
    known_miss: str | None
    answers: Mapping[str, answers_mod.Value]


@dataclass(frozen=True)
class Outcome:
    """One scenario scored, as written and with goals set to "don't know"."""

    scenario: Scenario
    first: str
    second: str | None
    first_without_goals: str
    second_without_goals: str | None
    status: str
    margin: float
    # Of the top pathway's positive points, the share that comes from the goals question.
    goals_share: float
    # The top pathway's chance of coming first (as shown: whole percent over 100), as
    # written and with goals unknown, and the label with goals unknown.
    chance: float = 0.0
    chance_without_goals: float = 0.0
    status_without_goals: str = ""

    @property
    def top1(self) -> bool:
        return self.first == self.scenario.expected

    @property
    def top2(self) -> bool:
        return self.scenario.expected in (self.first, self.second)

    @property
    def top1_without_goals(self) -> bool:
        return self.first_without_goals == self.scenario.expected

    @property
    def top2_without_goals(self) -> bool:
        return self.scenario.expected in (self.first_without_goals, self.second_without_goals)


@dataclass(frozen=True)
class Report:
    outcomes: tuple[Outcome, ...]

    def _share(self, attr: str) -> float:
        if not self.outcomes:
            return 0.0
        return sum(1 for o in self.outcomes if getattr(o, attr)) / len(self.outcomes)

    @property
    def top1(self) -> float:
        return self._share("top1")

    @property
    def top2(self) -> float:
        return self._share("top2")

    @property
    def top1_without_goals(self) -> float:
        return self._share("top1_without_goals")

    @property
    def top2_without_goals(self) -> float:
        return self._share("top2_without_goals")

    @property
    def goals_share(self) -> float:
        """The mean share of the top pathway's positive points that comes from goals."""
        if not self.outcomes:
            return 0.0
        return sum(o.goals_share for o in self.outcomes) / len(self.outcomes)

    def forecasts(self) -> list[tuple[float, bool]]:
        """(the top pathway's chance of coming first, whether it was the program's choice)
        for every scenario as written and with goals unknown."""
        out = []
        for o in self.outcomes:
            out.append((o.chance, o.top1))
            out.append((o.chance_without_goals, o.top1_without_goals))
        return out

    @property
    def brier(self) -> float:
        """The Brier score of the top pathway's chance as a forecast that it is the program's
        own choice: the mean of (chance - 1)**2 when it was, chance**2 when not. 0 is best;
        always saying 0.5 scores 0.25."""
        pairs = self.forecasts()
        if not pairs:
            return 0.0
        return sum((p - (1.0 if hit else 0.0)) ** 2 for p, hit in pairs) / len(pairs)

    def bands(self) -> list[tuple[int, int, int, int]]:
        """Per band of the top pathway's chance (in whole percent: [low, high)), how many
        results fell in it and in how many the top was the program's choice."""
        out = []
        for low, high in CHANCE_BANDS:
            inside = [hit for p, hit in self.forecasts()
                      if low <= round(p * 100) < high]
            out.append((low, high, len(inside), sum(inside)))
        return out

    def labels(self) -> dict[str, tuple[int, int]]:
        """Per label (as written and with goals unknown): results, and agreements."""
        out: dict[str, tuple[int, int]] = {}
        for o in self.outcomes:
            for status, hit in ((o.status, o.top1),
                                (o.status_without_goals, o.top1_without_goals)):
                n, k = out.get(status, (0, 0))
                out[status] = (n + 1, k + int(hit))
        return dict(sorted(out.items()))

    def confusion(self, without_goals: bool = False) -> dict[str, dict[str, int]]:
        """expected pathway -> ranked-first pathway -> count."""
        table: dict[str, dict[str, int]] = {}
        for o in self.outcomes:
            first = o.first_without_goals if without_goals else o.first
            row = table.setdefault(o.scenario.expected, {})
            row[first] = row.get(first, 0) + 1
        return table


def load_scenario(kb: Knowledge, path: Path) -> Scenario:
    """Read and check one scenario file."""
    try:
        data = read_yaml_file(path)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("expect"), dict):
        raise ScenarioError(f"{path.name}: a scenario needs 'expect' and 'answers'")
    expect = data["expect"]
    expected = expect.get("pathway", expect.get("in_top_two"))
    if not isinstance(expected, str) or expected not in kb.pathways:
        raise ScenarioError(f"{path.name}: expected pathway '{expected}' is not a pathway")
    program = data.get("program")
    if not isinstance(program, str) or program not in kb.programs:
        raise ScenarioError(f"{path.name}: program '{program}' is not in programs.yaml")
    try:
        given = answers_mod.validate(kb, data.get("answers") or {})
    except answers_mod.AnswersError as exc:
        raise ScenarioError(f"{path.name}: {exc}") from exc
    miss = expect.get("known_miss")
    return Scenario(path, path.stem, program, expected, str(miss) if miss else None, given)


def load_dir(kb: Knowledge, directory: Path) -> tuple[Scenario, ...]:
    """Every scenario in a folder, by file name."""
    if not directory.is_dir():
        raise ScenarioError(f"{directory}: not a folder")
    return tuple(load_scenario(kb, p) for p in sorted(directory.glob("*.yaml")))


def without_goals(kb: Knowledge, profile: CommunityProfile) -> CommunityProfile:
    """The profile with the goals question set to "don't know"."""
    question = kb.questions.get(GOALS_QUESTION)
    if question is None:
        return profile
    dont_know = next((o.id for o in question.options if o.dont_know), None)
    if dont_know is None:
        return profile.with_answer(GOALS_QUESTION, None)
    return profile.with_answer(
        GOALS_QUESTION, (dont_know,) if question.type == "multi" else dont_know)


def goals_share(ranking: Ranking) -> float:
    """Of the top pathway's positive points, the share that comes from the goals question."""
    top = ranking.top
    if top is None:
        return 0.0
    positive = [c for c in top.contributions if c.points > 0]
    total = sum(c.points for c in positive)
    if total <= 0:
        return 0.0
    return sum(c.points for c in positive if c.question_id == GOALS_QUESTION) / total


def _first_two(ranking: Ranking) -> tuple[str, str | None]:
    c = ranking.candidates
    return c[0].pathway.id, (c[1].pathway.id if len(c) > 1 else None)


def evaluate(kb: Knowledge, scenarios: tuple[Scenario, ...]) -> Report:
    """Score every scenario as written and with goals unknown."""
    outcomes = []
    for s in scenarios:
        profile = read_profile(kb, s.answers)
        ranking = score(kb, profile)
        blind = score(kb, without_goals(kb, profile))
        first, second = _first_two(ranking)
        first_ng, second_ng = _first_two(blind)
        stab = stability(kb, profile, ranking)
        blind_stab = stability(kb, without_goals(kb, profile), blind)
        outcomes.append(Outcome(s, first, second, first_ng, second_ng, stab.status,
                                stab.margin, goals_share(ranking), stab.chance_of(first),
                                blind_stab.chance_of(first_ng), blind_stab.status))
    return Report(tuple(outcomes))


def to_json(kb: Knowledge, report: Report) -> dict[str, Any]:
    return {
        "scenarios": len(report.outcomes),
        "top1": round(report.top1, 4),
        "top2": round(report.top2, 4),
        "goals_unknown": {"top1": round(report.top1_without_goals, 4),
                          "top2": round(report.top2_without_goals, 4)},
        "goals_share_of_top_points": round(report.goals_share, 4),
        "calibration": {
            "forecasts": len(report.forecasts()),
            "brier": round(report.brier, 4),
            "bands": [{"chance_from": low / 100, "chance_below": high / 100,
                       "results": n, "top_was_program_choice": k}
                      for low, high, n, k in report.bands()],
            "labels": {LABEL_WORDS.get(status, status): {"results": n,
                                                         "top_was_program_choice": k}
                       for status, (n, k) in report.labels().items()},
        },
        "confusion": report.confusion(),
        "confusion_goals_unknown": report.confusion(without_goals=True),
        "known_misses": [{"scenario": o.scenario.name, "reason": o.scenario.known_miss}
                         for o in report.outcomes if o.scenario.known_miss],
        "results": [{
            "scenario": o.scenario.name, "program": o.scenario.program,
            "expected": o.scenario.expected, "first": o.first, "second": o.second,
            "first_goals_unknown": o.first_without_goals,
            "second_goals_unknown": o.second_without_goals,
            "stability": o.status, "margin": round(o.margin, 2),
            "chance_first": o.chance, "chance_first_goals_unknown": o.chance_without_goals,
            "stability_goals_unknown": o.status_without_goals,
            "goals_share": round(o.goals_share, 4),
            "known_miss": o.scenario.known_miss,
        } for o in report.outcomes],
    }


def _abbrev(kb: Knowledge) -> dict[str, str]:
    return {pid: "".join(w[0] for w in p.label.replace("-", " ").split()
                         if w[0].isupper())[:4] or pid[:4]
            for pid, p in kb.pathways.items()}


def confusion_text(kb: Knowledge, table: dict[str, dict[str, int]]) -> list[str]:
    order = [p.id for p in kb.pathways_in_order]
    short = _abbrev(kb)
    width = max(len(kb.pathways[p].label) for p in order)
    lines = ["expected \\ ranked first".ljust(width) + " " + " ".join(
        short[p].rjust(5) for p in order)]
    for p in order:
        if p not in table:
            continue
        row = table[p]
        lines.append(kb.pathways[p].label.ljust(width) + " " + " ".join(
            (str(row.get(q, 0)) if row.get(q) else ".").rjust(5) for q in order))
    lines.append("(" + ", ".join(f"{short[p]} = {kb.pathways[p].label}" for p in order) + ")")
    return lines


def to_text(kb: Knowledge, report: Report) -> str:
    n = len(report.outcomes)

    def pct(share: float) -> str:
        return f"{round(share * n)}/{n} ({share:.0%})"

    lines = [
        f"Scenarios: {n} (written by the planner's team from public sources; see README)",
        f"As written:          top-1 {pct(report.top1)}, top-2 {pct(report.top2)}",
        f"Goals \"don't know\":  top-1 {pct(report.top1_without_goals)}, "
        f"top-2 {pct(report.top2_without_goals)}",
        f"Share of the top pathway's points from the goals question: "
        f"{report.goals_share:.0%} on average",
        "",
        "How sure (calibration of the top pathway's chance of coming first, as written and "
        "with goals unknown;",
        "agreement with the programs' own choices, not accuracy on unseen communities):",
        f"  Brier score {report.brier:.3f} over {len(report.forecasts())} results "
        "(0 is best; always saying 50 in 100 scores 0.250)",
        *(f"  chance {low:>2} to {min(high, 100) - (1 if high <= 100 else 0):>3} in 100: "
          f"top was the program's choice in {k} of {n}"
          for low, high, n, k in report.bands()),
        *(f"  labeled {LABEL_WORDS.get(status, status)}: top was the program's choice in "
          f"{k} of {n}" for status, (n, k) in report.labels().items()),
        "",
        "Confusion, as written:",
        *confusion_text(kb, report.confusion()),
        "",
        "Confusion, goals \"don't know\":",
        *confusion_text(kb, report.confusion(without_goals=True)),
        "",
        "Each scenario (expected; ranked first, second; goals unknown first; label, margin and "
        "the top's chance in 100; goals share):",
    ]
    for o in report.outcomes:
        mark = "ok  " if o.top1 else ("top2" if o.top2 else "MISS")
        lines.append(
            f"  {mark} {o.scenario.name}: {o.scenario.expected}; {o.first}, {o.second}; "
            f"{o.first_without_goals}; {LABEL_WORDS.get(o.status, o.status)} "
            f"by {n_points(o.margin)}, {round(o.chance * 100)} in 100; {o.goals_share:.0%}")
        if o.scenario.known_miss:
            lines.append(f"       known miss: {o.scenario.known_miss}")
    return "\n".join(lines)
