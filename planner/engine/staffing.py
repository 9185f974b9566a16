"""The staffing and first-year cost every page shows (issue 30): one value, computed here.

When the pathway can be sized (planner.engine.sizing), the staff follow from the people the
program would see and the caseload each staff member carries, and the cost is the sizing's
first-year cost. The sizing prices through the cost model, so its lines are the cost model's
lines with the sizing's FTE: each staff line is its FTE times its wage, the other lines are
the cost model's, and benefits are what is left of the sizing's total (the benefits share of
the pay, rounded once with the total). The total is always the sum of the lines and equals
the sizing's figure.

When the pathway cannot be sized yet (no sizing model for it, or no population), the cost
model's national staffing for the population band is the value, as before.

The brief, the plan's body, the Word copy, the application starter and the results page all
call `first_year`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from planner.engine import costs, sizing
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge


@dataclass(frozen=True)
class FirstYear:
    """The cost estimate shown everywhere, and the sizing it follows (None when the pathway
    cannot be sized, and the estimate is the cost model's band staffing)."""

    estimate: costs.CostEstimate
    sizing: sizing.Sizing | None

    @property
    def sized(self) -> bool:
        return self.sizing is not None


def size(kb: Knowledge, profile: CommunityProfile, pathway_id: str) -> sizing.Sizing | None:
    """The sizing of a pathway for the answers, or None when it cannot be sized."""
    if pathway_id not in sizing.sizable(kb):
        return None
    try:
        return sizing.estimate(kb, profile, pathway_id)
    except ValueError:
        return None


def first_year(kb: Knowledge, profile: CommunityProfile, pathway_id: str,
               overrides: costs.Overrides | None = None) -> FirstYear | None:
    """The first-year staffing and cost for the pathway (None when neither the sizing nor
    the cost model can give one). With `overrides` (a consultant's own lines) the cost
    model's estimate is used as given."""
    model = costs.for_pathway(kb, profile, pathway_id, overrides)
    if model is None:
        return None
    sized = size(kb, profile, pathway_id) if overrides is None else None
    made = _from_sizing(kb, sized, model) if sized is not None else None
    if sized is None or made is None:
        return FirstYear(model, None)
    return FirstYear(made, sized)


def estimate(kb: Knowledge, profile: CommunityProfile, pathway_id: str,
             overrides: costs.Overrides | None = None) -> costs.CostEstimate | None:
    """The cost estimate of `first_year` alone (what the pages print)."""
    found = first_year(kb, profile, pathway_id, overrides)
    return found.estimate if found is not None else None


def _from_sizing(kb: Knowledge, sized: sizing.Sizing,
                 model: costs.CostEstimate) -> costs.CostEstimate | None:
    """The cost model's estimate with the sizing's staff, adding up to the sizing's cost
    (None when it has none, or its cost rests on a line the cost model lacks: the pages
    then keep the cost model, and tests/test_staffing.py fails to say so)."""
    total = sized.first_year_cost
    if total is None:
        return None
    by_id = {line.id: line for line in model.lines}
    roles = kb.costs.roles if kb.costs is not None else {}
    staff: list[costs.CostLine] = []
    for r in sized.roles:
        if r.high == 0:
            continue  # the caseload is too small to need this post at all
        base = by_id.get(r.role)
        record = roles.get(r.role)
        local = base.local if base is not None else False
        staff.append(costs.CostLine(
            id=r.role, kind="staff", label=r.label, fte_low=r.low, fte_high=r.high,
            unit_cost=r.wage, low=costs._money(r.low * r.wage),
            high=costs._money(r.high * r.wage), local=local,
            basis=(base.basis if base is not None else
                   f"{record.occupation}, {record.statistic} (BLS)" if record else r.label),
            sources=(base.sources if base is not None else
                     record.sources if record is not None and not local else ()),
            flags=(base.flags if base is not None else
                   record.flags if record is not None and not local else ()),
            wage_year=(base.wage_year if base is not None else
                       record.year if record is not None and not local else None),
        ))
    others = [line for line in model.lines if line.kind == "other"]
    benefits = next((line for line in model.lines if line.kind == "benefits"), None)
    lines = list(staff)
    if benefits is not None:
        rest_low = int(total.low) - sum(x.low for x in staff) - sum(x.low for x in others)
        rest_high = int(total.high) - sum(x.high for x in staff) - sum(x.high for x in others)
        lines.append(replace(benefits, low=max(0, rest_low), high=max(0, rest_high)))
    lines += others
    made = replace(model, lines=tuple(lines), staffing_note=basis_words(sized),
                   staffing_basis="sizing", programs=())
    if (made.low, made.high) != (int(total.low), int(total.high)):
        return None
    return made


def basis_words(sized: sizing.Sizing) -> str:
    """Where the staff come from, in short sentences: the contacts a year (the community's
    count, or national rates it can replace) and the caseload; and any fixed post."""
    contacts = sizing.range_words(sized.contacts.low, sized.contacts.high, "people")
    caseload = sizing.range_words(sized.caseload.low, sized.caseload.high, sized.caseload.unit)
    fixed = [r.label for r in sized.roles if not r.scales]
    own = sizing.CONTACTS in sized.contacts.assumptions
    words = [f"Staff follow from the {contacts} the program would see in a year and the "
             f"caseload one staff member carries ({caseload})."]
    words.append("The ranges of people and staff leave out the least likely tenth at "
                 "either end.")
    words.append("The people a year are your own count." if own else
                 "The people a year come from national rates: your own count of "
                 f"{sized.contacts.label.lower()} will narrow the range.")
    if fixed:
        words.append(f"The {' and the '.join(f.lower() for f in fixed)} "
                     + ("is a fixed post." if len(fixed) == 1 else "are fixed posts."))
    return " ".join(words)
