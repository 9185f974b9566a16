"""How long the questionnaire takes: the questions a community is asked, and minutes from them.

The estimate is counted from the questions, never written by hand: a question added to
knowledge/questions.yaml lengthens it. It counts the questions shown (a question read and
skipped takes time too), without those the home page's choice already answered.

The pace is an assumption, stated wherever the estimate is: SECONDS_PER_QUESTION. Pew
Research Center budgets an ordinary stand-alone survey question at about 10 seconds
(https://www.pewresearch.org/decoded/2022/12/08/how-we-keep-our-online-surveys-from-running-too-long/).
These questions ask about a community's services rather than the reader's own views, and
many are "choose all that apply", so the planner assumes twice that.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from planner.engine.answers import Answers, route_answers
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

SECONDS_PER_QUESTION = 20
MINUTES_STEP = 5


@dataclass(frozen=True)
class Estimate:
    """The questions a community is shown (fewest and most, as follow-ups open) and minutes."""

    fewest: int
    most: int
    seconds_per_question: int = SECONDS_PER_QUESTION

    @property
    def minutes_low(self) -> int:
        return minutes(self.fewest, self.seconds_per_question)

    @property
    def minutes_high(self) -> int:
        return minutes(self.most, self.seconds_per_question)

    @property
    def questions_text(self) -> str:
        if self.fewest == self.most:
            return f"{self.most} questions"
        return f"{self.fewest} to {self.most} questions"

    @property
    def minutes_text(self) -> str:
        if self.minutes_low == self.minutes_high:
            return f"about {self.minutes_high} minutes"
        return f"about {self.minutes_low} to {self.minutes_high} minutes"


def minutes(questions: int, seconds_per_question: int = SECONDS_PER_QUESTION) -> int:
    """Minutes for this many questions, to the nearest MINUTES_STEP (never below it)."""
    raw = questions * seconds_per_question / 60
    return max(MINUTES_STEP, MINUTES_STEP * math.floor(raw / MINUTES_STEP + 0.5))


def shown_count(kb: Knowledge, answers: Answers, route: str | None = "new") -> int:
    """How many questions these answers are shown, without those the route answered."""
    fixed = route_answers(kb, route)
    return sum(1 for q in read_profile(kb, answers).asked
               if not (q.id in fixed and answers.get(q.id, fixed[q.id]) == fixed[q.id]))


def estimate(kb: Knowledge, route: str | None = "new") -> Estimate:
    """The questions a community on this route is shown: fewest (no follow-up opens) and
    most (every follow-up its route allows opens)."""
    fixed: Mapping[str, object] = route_answers(kb, route)
    fewest = most = 0
    for q in kb.questions.values():
        if q.id in fixed:
            continue
        conditions = list(q.ask_when)
        if any(c.question in fixed and fixed[c.question] not in c.any_of for c in conditions):
            continue  # closed by the home page's choice
        most += 1
        if all(c.question in fixed for c in conditions):
            fewest += 1
    return Estimate(fewest, most)


def minutes_left(kb: Knowledge, answers: Answers, route: str | None = None) -> int:
    """Minutes for the questions these answers are still shown and have not answered (a
    respondent's welcome: their link may already hold the community's name and their role)."""
    fixed = route_answers(kb, route)
    shown = read_profile(kb, {**fixed, **answers})
    left = sum(1 for q in shown.asked if q.id not in shown.answers)
    return minutes(left)

