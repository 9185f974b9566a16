"""The people a pathway would see in a year: the contacts and the funnel after them
(referred, engaged, entered treatment), each a low-high range naming the assumptions it
rests on (knowledge/sizing.yaml). Read by planner.engine.sizing (staff and cost) and by
planner.engine.costs (trips to treatment for the transport line); it uses no cost figure,
so both can.

Ranges. A figure that is one assumption (your own count, a caseload) shows that
assumption's range. A figure computed from two or more assumptions shows the middle eight
in ten of SAMPLES draws, in which every assumption is taken evenly and independently from
its own range (the 10th and the 90th of the sorted draws): with all the lows, or all the
highs, at once (a small town, the lowest rate, the lowest share at every step) the ends
would be further apart than any community is likely to be. The draws of an assumption
depend only on its id and its range (a fixed seed, SEED, and SplitMix64, as the chance
of coming first uses), so the same answers give the same figures, and raising one
assumption never lowers a figure (each draw rises with it).

Rounding: people are whole (halves up), monotone, so a low never passes its high.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from planner.engine.chance import uniform
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge, SizingAssumption, SizingModel, SizingPathway

YOURS = "yours"  # the community's own answer or figure
PUBLISHED = "published"  # a sourced figure from the knowledge base
POPULATION = "population"
CONTACTS = "contacts"
SAMPLES = 2000
SEED = 30  # the issue that asked for the sizing
MIDDLE = (0.10, 0.90)  # the share of draws below a range's low, and at or below its high


@dataclass(frozen=True)
class SourceRef:
    label: str
    url: str | None = None


@dataclass(frozen=True)
class Assumption:
    """One figure an estimate rests on: a range in its unit, with where it comes from."""

    id: str
    label: str
    unit: str
    low: float
    high: float
    origin: str  # YOURS or PUBLISHED
    explanation: str
    sources: tuple[SourceRef, ...]
    flags: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """The first source, in words (every assumption has at least one)."""
        first = self.sources[0]
        return f"{first.label} ({first.url})" if first.url else first.label


@dataclass(frozen=True)
class Figure:
    """One estimate: a low-high range and the ids of the assumptions it rests on."""

    id: str
    label: str
    unit: str
    low: float
    high: float
    assumptions: tuple[str, ...]
    # its value in each draw (None for a figure no later figure is computed from)
    samples: np.ndarray | None = field(default=None, compare=False, repr=False)


def draws(assumption: Assumption) -> np.ndarray:
    """The assumption's value in each of the SAMPLES draws: evenly within its range."""
    if assumption.low == assumption.high:
        return np.full(SAMPLES, float(assumption.low))
    seed = (SEED << 32) + zlib.crc32(assumption.id.encode("utf-8"))
    return assumption.low + uniform(seed, SAMPLES) * (assumption.high - assumption.low)


def middle(samples: np.ndarray) -> tuple[float, float]:
    """The 10th and the 90th of the sorted draws (by rank, no interpolation)."""
    ordered = np.sort(samples)
    last = len(ordered) - 1
    return (float(ordered[math.floor(MIDDLE[0] * last)]),
            float(ordered[math.ceil(MIDDLE[1] * last)]))


def combined(fid: str, label: str, unit: str, samples: np.ndarray,
             assumptions: tuple[str, ...], rounding: Callable[[float], float]) -> Figure:
    """A figure computed from several assumptions: the middle of its draws, rounded."""
    low, high = middle(samples)
    return Figure(fid, label, unit, rounding(low), rounding(high), assumptions, samples)


Override = float | tuple[float, float]


def _range(value: Override) -> tuple[float, float]:
    if isinstance(value, tuple):
        low, high = value
    else:
        low = high = value
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or low > high:
        raise ValueError(f"a figure must be a number at or above 0, low at or below high, "
                         f"not {low:g} to {high:g}")
    return low, high


def _whole(x: float) -> int:
    """Whole number, halves up (deterministic, monotone)."""
    return math.floor(x + 0.5)


def model(kb: Knowledge) -> SizingModel:
    if kb.sizing is None:
        raise ValueError("this knowledge base has no sizing model (sizing.yaml)")
    return kb.sizing


class _Book:
    """The assumptions used so far, each once, with the community's overrides applied."""

    def __init__(self, overrides: Mapping[str, Override]) -> None:
        self.overrides = overrides
        self.used: dict[str, Assumption] = {}

    def add(self, item: Assumption) -> Assumption:
        given = self.overrides.get(item.id)
        if given is not None:
            low, high = _range(given)
            if item.unit == "share" and high > 1:
                raise ValueError(f"'{item.id}' is a share: give it between 0 and 1")
            item = Assumption(
                id=item.id, label=item.label, unit=item.unit, low=low, high=high,
                origin=YOURS, explanation="Your own figure, in place of: " + item.explanation,
                sources=(SourceRef("Your figure"),),
            )
        self.used.setdefault(item.id, item)
        return self.used[item.id]

    def known(self, record: SizingAssumption) -> Assumption:
        return self.add(Assumption(
            id=record.id, label=record.label, unit=record.unit, low=record.low,
            high=record.high, origin=PUBLISHED, explanation=record.explanation,
            sources=tuple(SourceRef(s.label, s.url) for s in record.sources),
            flags=record.flags,
        ))


def _answer(kb: Knowledge, profile: CommunityProfile, question_id: str | None,
            assumption_id: str, label: str, unit: str) -> Assumption | None:
    value = profile.number(question_id) if question_id else None
    if value is None or question_id is None or question_id not in kb.questions:
        return None
    wording = kb.questions[question_id].label
    return Assumption(
        id=assumption_id, label=label, unit=unit, low=float(value), high=float(value),
        origin=YOURS, explanation=f"Your answer to \u201c{wording}\u201d",
        sources=(SourceRef(f"Your answer ({question_id})"),),
    )


def _population(kb: Knowledge, sm: SizingModel, profile: CommunityProfile,
                book: _Book) -> Assumption | None:
    given = _answer(kb, profile, sm.questions.population, POPULATION,
                    "People in the area served", "people")
    if given is not None:
        return book.add(given)
    bands = sm.population_bands
    band = bands.of(profile.bucket) if profile.bucket else None
    if band is None and POPULATION not in book.overrides:
        return None
    return book.add(Assumption(
        id=POPULATION, label="People in the area served", unit="people",
        low=float(band.low if band else 0), high=float(band.high if band else 0),
        origin=PUBLISHED, explanation=bands.explanation,
        sources=tuple(SourceRef(s.label, s.url) for s in bands.sources), flags=bands.flags,
    ))


def _contacts(kb: Knowledge, sm: SizingModel, spec: SizingPathway,
              profile: CommunityProfile, book: _Book) -> Figure:
    label = spec.contacts.label
    own = _answer(kb, profile, spec.contacts.count_question, CONTACTS, label, "people")
    if own is not None or CONTACTS in book.overrides:
        counted = book.add(own or Assumption(
            id=CONTACTS, label=label, unit="people", low=0, high=0, origin=YOURS,
            explanation="Your count", sources=(SourceRef("Your figure"),)))
        return Figure(CONTACTS, label, "people", _whole(counted.low), _whole(counted.high),
                      (CONTACTS,), draws(counted))
    population = _population(kb, sm, profile, book)
    if population is None:
        raise ValueError("the population is unknown: answer the population question or give "
                         "a population figure")
    rate = book.known(sm.assumptions[spec.contacts.rate])
    return combined(CONTACTS, label, "people", draws(population) * draws(rate) / 100_000,
                    (POPULATION, rate.id), _whole)


def _step(book: _Book, sm: SizingModel, fid: str, label: str, before: Figure,
          share_id: str) -> Figure:
    share = book.known(sm.assumptions[share_id])
    assert before.samples is not None
    return combined(fid, label, "people", before.samples * draws(share),
                    (*before.assumptions, share.id), _whole)


def people(kb: Knowledge, profile: CommunityProfile, pathway_id: str,
           book: _Book) -> tuple[Figure, Figure, Figure, Figure]:
    """Contacts, referred, engaged and entered treatment for a pathway, in that order.

    Raises ValueError when the pathway has no sizing model or the population is unknown."""
    sm = model(kb)
    spec = sm.for_pathway(pathway_id)
    if spec is None:
        raise ValueError(f"no sizing model for pathway '{pathway_id}'")
    contacts = _contacts(kb, sm, spec, profile, book)
    referred = _step(book, sm, "referred", "Referred (passed to the program)", contacts,
                     spec.funnel.referred)
    engaged = _step(book, sm, "engaged", "Engaged (reached and taking part)", referred,
                    spec.funnel.engaged)
    treatment = _step(book, sm, "treatment", "Entered treatment", engaged,
                      spec.funnel.treatment)
    return contacts, referred, engaged, treatment
