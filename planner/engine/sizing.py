"""How big a pathway would be (issue 30): the contacts it would see in a year, the funnel
after them (referred, engaged, entered treatment), the caseload per staff member, the FTE
and the first-year cost. Every figure is a low-high range that names the assumptions it
rests on, and every assumption names its sources (knowledge/sizing.yaml; wages, benefits and
other lines from the cost model through planner.engine.costs).

Inputs, in order of preference: the community's own counts (optional number questions),
published rates times the population, and the funnels real programs measured. A community
replaces any assumption by id (`overrides`: a number, or a low-high pair); a replaced figure
is marked as the community's own.

A pathway's direct staff never falls below the smallest team it can run with (its
`staff.minimum` assumption), so a small county is not sized at a fifth of a post.

Rounding: people are whole (halves up), FTE rounds up to the next 0.05, dollars are whole
(halves up). Each rounding is monotone, so more contacts never give fewer staff and a larger
caseload never gives more FTE, and a low never passes its high.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from planner.engine import costs, funnel
from planner.engine.funnel import (  # noqa: F401 (CONTACTS, POPULATION: names of this API)
    CONTACTS,
    POPULATION,
    PUBLISHED,
    YOURS,
    Assumption,
    Figure,
    Override,
    SourceRef,
    _Book,
    _range,
    _whole,
    model,
)
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge, SizingModel, SizingPathway


@dataclass(frozen=True)
class RoleFte:
    role: str
    label: str
    low: float
    high: float
    wage: int
    scales: bool  # direct staff (grows with the caseload) or a fixed post (coordinator)


@dataclass(frozen=True)
class Sizing:
    pathway_id: str
    pathway_label: str
    contacts: Figure
    referred: Figure
    engaged: Figure
    treatment: Figure
    caseload: Figure
    staff_fte: Figure
    first_year_cost: Figure | None  # None when no population band is known
    roles: tuple[RoleFte, ...]
    assumptions: tuple[Assumption, ...]
    notice: str

    @property
    def figures(self) -> tuple[Figure, ...]:
        found = (self.contacts, self.referred, self.engaged, self.treatment, self.caseload,
                 self.staff_fte, self.first_year_cost)
        return tuple(f for f in found if f is not None)

    def assumption(self, assumption_id: str) -> Assumption:
        return next(a for a in self.assumptions if a.id == assumption_id)

    @property
    def any_yours(self) -> bool:
        return any(a.origin == YOURS for a in self.assumptions)


def _fte(x: float) -> float:
    """Up to the next 0.05 FTE (monotone); the small epsilon keeps 0.1 from rising to 0.15."""
    return math.ceil(x * 20 - 1e-9) / 20


def sizable(kb: Knowledge) -> tuple[str, ...]:
    """The pathways that can be sized, in CHJ's order."""
    if kb.sizing is None:
        return ()
    ids = {p.pathway for p in kb.sizing.pathways}
    return tuple(p.id for p in kb.pathways_in_order if p.id in ids)


def estimate(kb: Knowledge, profile: CommunityProfile, pathway_id: str,
             overrides: Mapping[str, Override] | None = None) -> Sizing:
    """The sizing of one pathway for the community's answers, with any assumption replaced.

    Raises ValueError when the pathway has no sizing model or an override is not a range."""
    sm = model(kb)
    spec = sm.for_pathway(pathway_id)
    if spec is None:
        raise ValueError(f"no sizing model for pathway '{pathway_id}'")
    book = _Book(overrides or MappingProxyType({}))
    contacts, referred, engaged, treatment = funnel.people(kb, profile, pathway_id, book)
    driver = {"contacts": contacts, "referred": referred, "engaged": engaged}[spec.staff.per]
    caseload, direct = _direct_fte(book, sm, spec, driver)
    estimate_ = costs.for_pathway(kb, profile, pathway_id,
                                  extra=_wage_overrides(kb, book.overrides),
                                  treatment=(treatment.low, treatment.high))
    roles, staff = _roles(kb, book, spec, direct, estimate_)
    cost = _cost(kb, book, staff, roles, estimate_) if estimate_ is not None else None
    return Sizing(
        pathway_id=pathway_id, pathway_label=kb.pathways[pathway_id].label,
        contacts=contacts, referred=referred, engaged=engaged, treatment=treatment,
        caseload=caseload, staff_fte=staff, first_year_cost=cost, roles=roles,
        assumptions=tuple(book.used.values()), notice=sm.notice,
    )


def _direct_fte(book: _Book, sm: SizingModel, spec: SizingPathway,
                driver: Figure) -> tuple[Figure, Figure]:
    """The caseload figure, and the direct staff: the people to serve over what one staff
    member can carry, never below the smallest team; the middle of the draws (funnel)."""
    staff = spec.staff
    assert driver.samples is not None
    if staff.reach is not None:
        reach = book.known(sm.assumptions[staff.reach])
        caseload = Figure("caseload", reach.label, reach.unit, reach.low, reach.high,
                          (reach.id,))
        each = funnel.draws(reach)
        need = np.divide(driver.samples, each, out=np.zeros(funnel.SAMPLES), where=each > 0)
        used: tuple[str, ...] = (reach.id,)
    else:
        assert staff.caseload is not None and staff.months is not None  # checked when read
        load = book.known(sm.assumptions[staff.caseload])
        months = book.known(sm.assumptions[staff.months])
        caseload = Figure("caseload", load.label, load.unit, load.low, load.high, (load.id,))
        each = funnel.draws(load)
        need = np.divide(driver.samples * funnel.draws(months) / 12, each,
                         out=np.zeros(funnel.SAMPLES), where=each > 0)
        used = (load.id, months.id)
    if staff.minimum is not None:
        # the smallest team the pathway can run with (monotone: a floor under each draw)
        floor = book.known(sm.assumptions[staff.minimum])
        need = np.maximum(need, funnel.draws(floor))
        used = (*used, floor.id)
    direct = funnel.combined("direct-fte", "Direct staff (full-time equivalents)", "fte",
                             need, (*driver.assumptions, *used), _fte)
    return caseload, direct


def _wage_overrides(kb: Knowledge, overrides: Mapping[str, Override]) -> costs.Overrides | None:
    """Overrides named wage-ROLE become the cost model's local wages (a single figure)."""
    wages = {}
    for key, value in overrides.items():
        if key.startswith("wage-") and kb.costs is not None and key[5:] in kb.costs.roles:
            low, high = _range(value)
            wages[key[5:]] = _whole((low + high) / 2)
    return costs.Overrides(wages=MappingProxyType(wages)) if wages else None


def _roles(kb: Knowledge, book: _Book, spec: SizingPathway, direct: Figure,
           estimate_: costs.CostEstimate | None) -> tuple[tuple[RoleFte, ...], Figure]:
    """Direct FTE shared over the pathway's direct roles in the proportions of the cost
    model's staffing for the band (equal shares when the band lists none of them), plus the
    band's other posts (a coordinator) at their cost-model FTE."""
    lines = {line.id: line for line in estimate_.staff_lines} if estimate_ else {}
    weights = {r: ((lines[r].fte_low or 0) + (lines[r].fte_high or 0)) / 2 if r in lines else 0
               for r in spec.staff.roles}
    total = sum(weights.values())
    shares = ({r: w / total for r, w in weights.items()} if total > 0 else
              {r: 1 / len(spec.staff.roles) for r in spec.staff.roles})
    cost_model = kb.costs
    roles: list[RoleFte] = []
    for role_id in spec.staff.roles:
        share = shares[role_id]
        if share == 0:
            continue  # a role the band does not staff (the cost model gives it no FTE)
        wage = (lines[role_id].unit_cost if role_id in lines else
                cost_model.roles[role_id].annual_wage if cost_model else 0) or 0
        label = cost_model.roles[role_id].label if cost_model else role_id
        roles.append(RoleFte(role_id, label, _fte(direct.low * share),
                             _fte(direct.high * share), int(wage), True))
    fixed_ids: list[str] = []
    for line in (estimate_.staff_lines if estimate_ else ()):
        if line.id in spec.staff.roles or line.fte_low is None or line.fte_high is None:
            continue
        staffing = cost_model.staffing[spec.pathway] if cost_model else None
        post = book.add(Assumption(
            id=f"fte-{line.id}", label=f"{line.label} (a fixed post)", unit="fte",
            low=line.fte_low, high=line.fte_high, origin=PUBLISHED,
            explanation=(staffing.note if staffing else line.basis),
            sources=tuple(SourceRef(s.label, s.url) for s in
                          (staffing.sources if staffing else line.sources)),
            flags=staffing.flags if staffing else line.flags,
        ))
        fixed_ids.append(post.id)
        roles.append(RoleFte(line.id, line.label, post.low, post.high, int(line.unit_cost or 0),
                             False))
    staff = Figure("staff-fte", "Staff (full-time equivalents)", "fte",
                   round(sum(r.low for r in roles), 2), round(sum(r.high for r in roles), 2),
                   (*direct.assumptions, *fixed_ids))
    return tuple(roles), staff


def _cost(kb: Knowledge, book: _Book, staff: Figure, roles: tuple[RoleFte, ...],
          estimate_: costs.CostEstimate) -> Figure:
    used: list[str] = list(staff.assumptions)
    wages_low = wages_high = 0.0
    lines = {line.id: line for line in estimate_.staff_lines}
    cost_model = kb.costs
    for role in roles:
        line = lines.get(role.role)
        record = (cost_model.roles[role.role] if cost_model and role.role in cost_model.roles
                  else None)
        local = line is not None and line.local
        wage = book.add(Assumption(
            id=f"wage-{role.role}", label=f"Yearly pay: {role.label}", unit="dollars",
            low=float(role.wage), high=float(role.wage), origin=YOURS if local else PUBLISHED,
            explanation=("Your local pay figure" if local else
                         f"{record.occupation}, {record.statistic}" if record else role.label),
            sources=((SourceRef("Your answer"),) if local or record is None else
                     tuple(SourceRef(s.label, s.url) for s in record.sources)),
            flags=() if local or record is None else record.flags,
        ))
        used.append(wage.id)
        wages_low += role.low * wage.low
        wages_high += role.high * wage.high
    benefits_record = cost_model.benefits if cost_model else None
    if benefits_record is not None:
        benefits = book.add(Assumption(
            id=benefits_record.id, label=benefits_record.label, unit="share",
            low=benefits_record.low, high=benefits_record.high, origin=PUBLISHED,
            explanation=benefits_record.explanation,
            sources=tuple(SourceRef(s.label, s.url) for s in benefits_record.sources),
            flags=benefits_record.flags,
        ))
        used.append(benefits.id)
        wages_low *= 1 + benefits.low
        wages_high *= 1 + benefits.high
    other_low = other_high = 0.0
    for line in estimate_.lines:
        if line.kind != "other":
            continue
        item = book.add(Assumption(
            id=f"cost-{line.id}", label=line.label, unit="dollars", low=float(line.low),
            high=float(line.high), origin=YOURS if line.local else PUBLISHED,
            explanation=line.basis,
            sources=(tuple(SourceRef(s.label, s.url) for s in line.sources)
                     or (SourceRef("Your figure"),)),
            flags=line.flags,
        ))
        used.append(item.id)
        other_low += item.low
        other_high += item.high
    return Figure("first-year-cost", "First-year cost (dollars)", "dollars",
                  _whole(wages_low + other_low), _whole(wages_high + other_high), tuple(used))


# ------------------------------------------------------------------ words and JSON


def parse_override(text: str) -> tuple[str, Override]:
    """"ID=VALUE" or "ID=LOW:HIGH" (a --set option or a form field) as (id, value)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"'{text}' is not ID=VALUE or ID=LOW:HIGH")
    return key.strip(), _parse_value(value)


def _parse_value(value: str) -> Override:
    parts = value.replace(",", "").split(":")
    try:
        numbers = [float(p) for p in parts]
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a number or LOW:HIGH") from exc
    if len(numbers) == 1:
        _range(numbers[0])
        return numbers[0]
    if len(numbers) == 2:
        _range((numbers[0], numbers[1]))
        return (numbers[0], numbers[1])
    raise ValueError(f"'{value}' is not a number or LOW:HIGH")


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


def as_json(sizing: Sizing) -> dict[str, object]:
    """The CLI's --json shape: figures as {low, high} with their assumption ids, and every
    assumption with id, value, source (and all its sources and flags)."""

    def fig(f: Figure | None) -> dict[str, object] | None:
        if f is None:
            return None
        return {"low": _num(f.low), "high": _num(f.high), "unit": f.unit,
                "assumptions": list(f.assumptions)}

    return {
        "pathway": sizing.pathway_id,
        "contacts_per_year": fig(sizing.contacts),
        "funnel": {"referred": fig(sizing.referred), "engaged": fig(sizing.engaged),
                   "entered_treatment": fig(sizing.treatment)},
        "caseload_per_staff": fig(sizing.caseload),
        "staff_fte": fig(sizing.staff_fte),
        "first_year_cost": fig(sizing.first_year_cost),
        "roles": [{"role": r.role, "fte": {"low": _num(r.low), "high": _num(r.high)},
                   "wage": r.wage} for r in sizing.roles],
        "assumptions": [
            {"id": a.id, "label": a.label, "unit": a.unit,
             "value": {"low": _num(a.low), "high": _num(a.high)}, "origin": a.origin,
             "source": a.source,
             "sources": [{"label": s.label, "url": s.url} for s in a.sources],
             "flags": list(a.flags)}
            for a in sizing.assumptions
        ],
        "notice": sizing.notice,
    }


UNIT_WORDS: Mapping[str, str] = MappingProxyType({
    "people": "people", "fte": "full-time staff", "dollars": "dollars",
    "people-a-year": "people a year for each full-time staff member",
    "people-at-a-time": "people at a time for each full-time staff member",
    "per-100k": "a year for every 100,000 people", "share": "", "months": "months",
})


def amount(value: float, unit: str) -> str:
    """One end of a range in words: 1,234 / 1.5 / 40% / $12,345."""
    if unit == "dollars":
        return costs.dollars(_whole(value))
    if unit == "share":
        return f"{value:.0%}"
    if unit == "fte":
        return f"{value:g}"
    return f"{_whole(value):,}" if float(value).is_integer() or value >= 10 else f"{value:g}"


def range_words(low: float, high: float, unit: str) -> str:
    """"12 to 30 people", "40%", "$1 to $2" (one figure when low equals high)."""
    a, b = amount(low, unit), amount(high, unit)
    text = a if a == b else f"{a} to {b}"
    tail = UNIT_WORDS.get(unit, "")
    return f"{text} {tail}".strip() if unit not in {"dollars", "share"} else text


@dataclass(frozen=True)
class Row:
    """One line of a sizing table: what, the range in words, what it rests on."""

    label: str
    value: str
    rests_on: str
    extra: tuple[str, ...] = field(default=())


def rows(sizing: Sizing, *, new_only: bool = False) -> tuple[Row, ...]:
    """The figures as table rows, each naming its assumptions by label (with `new_only`,
    only those no row above it named: "and" the rows above)."""
    names = {a.id: a.label for a in sizing.assumptions}
    out = []
    shown: set[str] = set()
    for f in sizing.figures:
        ids = [a for a in f.assumptions if not (new_only and a in shown)]
        shown.update(f.assumptions)
        label = {"caseload": "Caseload per staff member"}.get(f.id, f.label)
        if f.id == "contacts":
            label = f"Contacts a year ({f.label.lower()})"
        rests_on = "; ".join(names[a] for a in ids)
        if new_only and len(ids) < len(f.assumptions):
            rests_on = "The rows above" + (f", and: {rests_on}" if rests_on else "")
        out.append(Row(label, range_words(f.low, f.high, f.unit), rests_on))
    return tuple(out)
