"""A first-year staffing and cost range for a pathway, from knowledge/costs.yaml.

The figures are national (median wages by occupation, a benefits share, sourced prices and
the planner's estimates where nothing is published), so every estimate carries the notice
to adjust them locally. A community's own figures (a local wage, a local amount for a line)
replace the national ones and are marked local. Totals are always the sum of the lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from planner.engine import funnel
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import CostModel, Knowledge, Source

BENEFITS = "benefits"
TRANSPORT = "transport"  # the id of the mileage line, added when trips to treatment are long
# The non-staff line a program adding a pathway still pays for in full: its responders'
# training for the new pathway (the other shared lines, a data system or a vehicle, it has).
TRAINING_LINE = "training"


@dataclass(frozen=True)
class Overrides:
    """The community's own figures: annual wages by role id, whole-line amounts by line id,
    and the money it expects to have in year one (shown beside the range, never added)."""

    wages: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    lines: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    budget: int | None = None


@dataclass(frozen=True)
class Trips:
    """Long trips to treatment: the one-way miles, the round trips a year (low, high) and
    where that count comes from, in words."""

    miles: float
    low: int
    high: int
    counted: str


@dataclass(frozen=True)
class CostLine:
    """One line of the estimate. Staff lines carry the FTE range and the annual wage."""

    id: str
    kind: str  # "staff", "benefits" or "other"
    label: str
    fte_low: float | None
    fte_high: float | None
    unit_cost: int | None
    low: int
    high: int
    local: bool
    basis: str
    sources: tuple[Source, ...]
    flags: tuple[str, ...]
    # A staff line's wage data year (the BLS May release of that year); None for other lines.
    wage_year: int | None = None


@dataclass(frozen=True)
class CostEstimate:
    pathway_id: str
    band: str
    band_label: str
    lines: tuple[CostLine, ...]
    notice: str
    staffing_note: str
    staffing_basis: str
    programs: tuple[str, ...]
    budget: int | None
    # For a program adding a pathway: the running pathways whose team and shared costs are
    # already paid for, so the lines are only what adding this one costs.
    adds_to: tuple[str, ...] = ()
    trips: Trips | None = None  # long trips to treatment: the transport line's count

    @property
    def transport_line(self) -> CostLine | None:
        return next((line for line in self.lines if line.id == TRANSPORT), None)

    @property
    def low(self) -> int:
        return sum(line.low for line in self.lines)

    @property
    def high(self) -> int:
        return sum(line.high for line in self.lines)

    @property
    def staff_lines(self) -> tuple[CostLine, ...]:
        return tuple(line for line in self.lines if line.kind == "staff")

    @property
    def any_local(self) -> bool:
        return any(line.local for line in self.lines) or self.budget is not None

    @property
    def sources(self) -> tuple[Source, ...]:
        seen: dict[str, Source] = {}
        for line in self.lines:
            for source in line.sources:
                seen.setdefault(source.url, source)
        return tuple(seen.values())


def _money(amount: float) -> int:
    """Whole dollars, rounding halves up (deterministic, unlike banker's rounding)."""
    return int(amount + 0.5) if amount >= 0 else -int(-amount + 0.5)


def _running_staff(kb: Knowledge, running: tuple[str, ...],
                   band: str) -> dict[str, tuple[float, float]]:
    """The posts (low and high FTE by role) the running pathways' teams already have."""
    model = _model(kb)
    have: dict[str, tuple[float, float]] = {}
    for pid in running:
        staffing = model.staffing.get(pid)
        for fte in (staffing.bands.get(band, ()) if staffing else ()):
            low, high = have.get(fte.role, (0.0, 0.0))
            have[fte.role] = (low + fte.low, high + fte.high)
    return have


def estimate(kb: Knowledge, pathway_id: str, band: str,
             overrides: Overrides | None = None,
             running: tuple[str, ...] = (), trips: Trips | None = None) -> CostEstimate:
    """The first-year cost range for a pathway in a population band.

    With `running` (a program adding this pathway to those), only the increment: each post
    less what the running teams already have of it (never below zero), and no shared
    non-staff line they already pay for except the new pathway's training. With `trips`
    (long trips to treatment, see trips_for), a transport line: the round trips times twice
    the one-way miles times the mileage rate."""
    model = _model(kb)
    if pathway_id not in model.staffing:
        raise ValueError(f"no staffing model for pathway '{pathway_id}'")
    staffing = model.staffing[pathway_id]
    if band not in staffing.bands:
        raise ValueError(f"no staffing for population band '{band}'")
    given = overrides or Overrides()
    running = tuple(r for r in running if r != pathway_id)
    have = _running_staff(kb, running, band)
    lines: list[CostLine] = []
    for fte in staffing.bands[band]:
        role = model.roles[fte.role]
        local_wage = given.wages.get(role.id)
        wage = role.annual_wage if local_wage is None else int(local_wage)
        whole = given.lines.get(role.id)
        had_low, had_high = have.get(role.id, (0.0, 0.0))
        fte_low = round(max(0.0, fte.low - had_low), 4)
        fte_high = round(max(0.0, fte.high - had_high), 4)
        if whole is None and fte_high == 0:
            continue  # the running team already has this post
        if whole is not None:
            low = high = int(whole)
        else:
            low, high = _money(fte_low * wage), _money(fte_high * wage)
        local = local_wage is not None or whole is not None
        basis = ("your figure" if local else
                 f"{role.occupation}, {role.statistic} (BLS)")
        lines.append(CostLine(
            id=role.id, kind="staff", label=role.label, fte_low=fte_low, fte_high=fte_high,
            unit_cost=wage, low=low, high=high, local=local, basis=basis,
            sources=() if local else role.sources, flags=() if local else role.flags,
            wage_year=None if local else role.year,
        ))
    benefits = model.benefits
    whole = given.lines.get(BENEFITS)
    if whole is not None:
        b_low = b_high = int(whole)
    else:
        b_low = _money(benefits.low * sum(line.low for line in lines))
        b_high = _money(benefits.high * sum(line.high for line in lines))
    lines.append(CostLine(
        id=BENEFITS, kind="benefits",
        label=f"{benefits.label}: {benefits.low:.0%} to {benefits.high:.0%}",
        fte_low=None, fte_high=None, unit_cost=None, low=b_low, high=b_high,
        local=whole is not None,
        basis="your figure" if whole is not None else benefits.explanation,
        sources=() if whole is not None else benefits.sources,
        flags=() if whole is not None else benefits.flags,
    ))
    for item in model.non_staff:
        if not item.applies_to(pathway_id):
            continue
        if item.id != TRAINING_LINE and any(item.applies_to(r) for r in running):
            continue  # the running program already pays for it
        whole = given.lines.get(item.id)
        low, high = (int(whole), int(whole)) if whole is not None else item.amounts(band)
        lines.append(CostLine(
            id=item.id, kind="other", label=item.label, fte_low=None, fte_high=None,
            unit_cost=None, low=low, high=high, local=whole is not None,
            basis="your figure" if whole is not None else item.explanation,
            sources=() if whole is not None else item.sources,
            flags=() if whole is not None else item.flags,
        ))
    mileage = model.mileage
    if trips is not None and mileage is not None:
        whole = given.lines.get(mileage.id)
        if whole is not None:
            low, high = int(whole), int(whole)
        else:
            low = _money(trips.low * 2 * trips.miles * mileage.rate)
            high = _money(trips.high * 2 * trips.miles * mileage.rate)
        lines.append(CostLine(
            id=mileage.id, kind="other", label=mileage.label, fte_low=None, fte_high=None,
            unit_cost=None, low=low, high=high, local=whole is not None,
            basis=("your figure" if whole is not None else
                   f"{trips.miles:g} miles each way, {_count(trips)} round trips a year "
                   f"({trips.counted}), at {mileage.rate * 100:g} cents a mile "
                   f"({mileage.statistic}). {mileage.explanation}"),
            sources=() if whole is not None else mileage.sources,
            flags=() if whole is not None else mileage.flags,
        ))
    bucket = next((b for b in kb.matching.population_buckets if b.id == band), None)
    return CostEstimate(
        pathway_id=pathway_id, band=band, band_label=bucket.label if bucket else band,
        lines=tuple(lines), notice=model.notice, staffing_note=staffing.note,
        staffing_basis=staffing.basis, programs=staffing.programs, budget=given.budget,
        adds_to=running, trips=trips if mileage is not None else None,
    )


def _count(trips: Trips) -> str:
    return f"{trips.low:,}" if trips.low == trips.high else f"{trips.low:,} to {trips.high:,}"


def trips_for(kb: Knowledge, profile: CommunityProfile, pathway_id: str,
              treatment: tuple[float, float] | None = None) -> Trips | None:
    """Long trips to treatment, or None: the community's typical one-way miles (an optional
    question) when they reach the cost model's long_trip_miles, and one round trip a year per
    person who enters treatment (`treatment`, or the pathway's sizing funnel from the
    answers). A pathway with no sizing model takes the cost model's stated range of trips
    for the population band."""
    model = kb.costs
    mileage = model.mileage if model is not None else None
    question = model.local_questions.treatment_miles if model is not None else None
    miles = profile.number(question) if question is not None else None
    if mileage is None or miles is None or float(miles) < mileage.long_trip_miles:
        return None
    counted = "one for each person who enters treatment, from the sizing of this pathway"
    if treatment is None:
        try:
            entered = funnel.people(kb, profile, pathway_id,
                                    funnel._Book(MappingProxyType({})))[3]
            treatment = (entered.low, entered.high)
        except ValueError:  # no sizing model for the pathway, or no population
            band = profile.bucket
            if band is None or band not in mileage.trips_by_band:
                return None
            treatment = mileage.trips_by_band[band]
            counted = mileage.trips_assumption
    return Trips(miles=float(miles), low=_money(treatment[0]), high=_money(treatment[1]),
                 counted=counted)


def _model(kb: Knowledge) -> CostModel:
    if kb.costs is None:
        raise ValueError("this knowledge base has no cost model (costs.yaml)")
    return kb.costs


def band_of(kb: Knowledge, profile: CommunityProfile) -> str | None:
    """The population band the answers give (None if the population question is unanswered)."""
    return profile.bucket


def _number(profile: CommunityProfile, question_id: str | None) -> int | None:
    value = profile.number(question_id) if question_id is not None else None
    return None if value is None else _money(float(value))


def overrides_from_answers(kb: Knowledge, profile: CommunityProfile) -> Overrides:
    """The local figures the community entered in the wizard (optional questions)."""
    if kb.costs is None:
        return Overrides()
    wage = _number(profile, kb.costs.wage_question)
    wages = {role: wage for role in kb.costs.wage_roles} if wage is not None else {}
    return Overrides(wages=MappingProxyType(wages),
                     budget=_number(profile, kb.costs.budget_question))


def for_pathway(kb: Knowledge, profile: CommunityProfile, pathway_id: str,
                extra: Overrides | None = None,
                treatment: tuple[float, float] | None = None) -> CostEstimate | None:
    """The estimate for a pathway with the community's band and local figures, or None when
    the band is unknown or there is no cost model. `extra` overrides win over the answers.
    Long trips to treatment add the transport line (trips_for; `treatment`: the people a
    year who enter treatment, when the caller has sized them itself)."""
    band = band_of(kb, profile)
    if band is None or kb.costs is None or pathway_id not in kb.costs.staffing:
        return None
    local = overrides_from_answers(kb, profile)
    if extra is not None:
        local = Overrides(
            wages=MappingProxyType({**local.wages, **extra.wages}),
            lines=MappingProxyType({**local.lines, **extra.lines}),
            budget=extra.budget if extra.budget is not None else local.budget,
        )
    return estimate(kb, pathway_id, band, local, running=profile.running,
                    trips=trips_for(kb, profile, pathway_id, treatment))


def increment_words(kb: Knowledge, estimate: CostEstimate) -> str:
    """For a program adding a pathway, what the lines leave out, in one sentence ("" for a
    new program): shown wherever the cost is."""
    if not estimate.adds_to:
        return ""
    running = " and ".join(kb.pathways[r].label for r in estimate.adds_to if r in kb.pathways)
    if estimate.staffing_basis == "sizing":  # planner.engine.staffing: sized staff
        return (f"Only what adding it costs: staff for its own caseload, without the posts "
                f"your {running} team already has or the data system and vehicle it already "
                "pays for; the new pathway’s training is counted.")
    return (f"Only what adding it costs: posts your {running} team already has, and the "
            "data system and vehicle it already pays for, are left out; the new pathway’s "
            "training is counted.")


def dollars(amount: int) -> str:
    """$1,234 (whole dollars)."""
    return f"${amount:,}"


def fte_range(low: float | None, high: float | None) -> str:
    """"0.5 to 1" or "1" (an FTE range in words)."""
    if low is None or high is None:
        return ""

    def fmt(x: float) -> str:
        return f"{x:g}"

    return fmt(low) if low == high else f"{fmt(low)} to {fmt(high)}"


def budget_words(estimate: CostEstimate) -> str:
    """The community's own first-year money beside the range, in one sentence ("" when it
    gave none): shown wherever the cost is."""
    if estimate.budget is None:
        return ""
    words = ("covers even the high estimate" if estimate.budget >= estimate.high else
             "covers the low estimate" if estimate.budget >= estimate.low else
             "is below the low estimate")
    return f"The first-year money you expect, {dollars(estimate.budget)}, {words}."


def transport_words(estimate: CostEstimate) -> str:
    """The transport line in one sentence, with its rate's source ("" when trips are short
    or unknown): shown beside the cost wherever it is."""
    line = estimate.transport_line
    if line is None:
        return ""
    amount = (dollars(line.low) if line.low == line.high else
              f"{dollars(line.low)} to {dollars(line.high)}")
    source = f" Source: {line.sources[0].label} ({line.sources[0].url})." if line.sources else ""
    return f"{line.label}, {amount} a year: {line.basis.rstrip('.')}.{source}"


def wage_basis(estimate: CostEstimate) -> str:
    """Where the staff lines' pay comes from, with the release, in one short sentence."""
    # The year is the role's `year` field (one source of truth); OEWS estimates are May figures.
    releases = [f"May {year}" for year in sorted({line.wage_year for line in estimate.staff_lines
                                                   if not line.local and line.wage_year})]
    local = any(line.local for line in estimate.staff_lines)
    parts = []
    if releases:
        parts.append("Pay is the national median for each job (U.S. Bureau of Labor "
                     f"Statistics, {' and '.join(releases)})")
    if local:
        parts.append("lines marked \u201cyour figure\u201d use your own pay")
    return ("; ".join(parts) + ".") if parts else ""
