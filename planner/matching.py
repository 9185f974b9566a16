"""Match a community to mentor sites, similar programs, TTA resources and funding, with reasons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planner.answers import Answers, facts_of, profile_value
from planner.model import (
    Criterion,
    Funding,
    Knowledge,
    Location,
    MentorSite,
    Program,
    TTAResource,
)
from planner.scoring import PathwayScore


@dataclass(frozen=True)
class Profile:
    """What matching needs to know about a community."""

    region: str | None
    bucket: str | None
    rurality: str | None
    lead_agency: str | None
    facts: frozenset[str]


@dataclass(frozen=True)
class Match:
    """A matched record with its points and the reasons it matched."""

    id: str
    label: str
    points: float
    reasons: tuple[str, ...]


def profile(kb: Knowledge, answers: Answers) -> Profile:
    """Read the community's profile from its answers."""
    def one(key: str) -> str | None:
        values = profile_value(kb, answers, key)
        return values[0] if values else None

    return Profile(one("state"), one("population"), one("rurality"), one("lead_agency"),
                   facts_of(kb, answers))


def _location_points(kb: Knowledge, criteria: Mapping[str, Criterion], who: Profile,
                     lead: str, location: Location) -> tuple[float, list[str]]:
    points, reasons = 0.0, []
    if who.lead_agency and lead == who.lead_agency and "lead_agency" in criteria:
        points += criteria["lead_agency"].weight
        reasons.append(f"led by a {kb.facts[lead].label.lower()}, like yours")
    bucket = kb.matching.bucket_for(location.population)
    ids = [b.id for b in kb.matching.population_buckets]
    if who.bucket and bucket and "population" in criteria:
        distance = abs(ids.index(bucket) - ids.index(who.bucket))
        label = next(b.label for b in kb.matching.population_buckets if b.id == bucket)
        if distance == 0:
            points += criteria["population"].weight
            reasons.append(f"serves {label}, a place of your size")
        elif distance == 1:
            points += criteria["population"].weight / 2
            reasons.append(f"serves {label}, close to your size")
    if who.rurality and location.rurality == who.rurality and "rurality" in criteria:
        points += criteria["rurality"].weight
        reasons.append(f"serves a {location.rurality} area, like yours")
    if who.region and location.region == who.region and "region" in criteria:
        points += criteria["region"].weight
        reasons.append(f"in your Census region ({location.region.title()})")
    return points, reasons


def _common(kb: Knowledge, criteria: Mapping[str, Criterion], who: Profile, pathway_id: str,
            pathways: tuple[str, ...], lead: str, location: Location,
            note: str = "") -> tuple[float, list[str]]:
    """Points and reasons shared by mentor sites and programs: pathway, then location."""
    points, reasons = 0.0, []
    if pathway_id in pathways:
        points += criteria["pathway"].weight
        reasons.append(f"runs {kb.pathways[pathway_id].label}{note}")
    more, why = _location_points(kb, criteria, who, lead, location)
    return points + more, reasons + why


def _top(matches: list[Match], limit: int) -> list[Match]:
    return sorted((m for m in matches if m.points > 0), key=lambda m: (-m.points, m.label))[:limit]


def mentor_sites(kb: Knowledge, answers: Answers, pathway_id: str, limit: int = 4) -> list[Match]:
    """Mentor sites ranked for a pathway, each with the reasons it matched."""
    who = profile(kb, answers)
    criteria = kb.matching.mentor_criteria
    matches = []
    for site in kb.mentor_sites.values():
        note = "" if site.pathways_confirmed else " (pathways not confirmed by COSSUP)"
        points, reasons = _common(kb, criteria, who, pathway_id, site.pathways,
                                  site.lead_agency, site.location, note)
        if site.current and "current" in criteria:
            points += criteria["current"].weight
            reasons.append("a current mentor site: a visit can be requested")
        matches.append(Match(site.id, site.label, points, tuple(reasons)))
    return _top(matches, limit)


def similar_programs(kb: Knowledge, answers: Answers, pathway_id: str,
                     limit: int = 4) -> list[Match]:
    """Real programs most like the community, for a pathway, with reasons."""
    who = profile(kb, answers)
    criteria = kb.matching.program_criteria
    matches = []
    for program in kb.programs.values():
        points, reasons = _common(kb, criteria, who, pathway_id, program.pathways,
                                  program.lead_agency, program.location)
        shared = [p for p in program.partners if p in who.facts]
        if shared and "shared_resources" in criteria:
            points += criteria["shared_resources"].weight * len(shared) / len(program.partners)
            reasons.append(f"built on {len(shared)} of its {len(program.partners)} partner "
                           "types, which you already have")
        matches.append(Match(program.id, program.label, points, tuple(reasons)))
    return _top(matches, limit)


def tta_for(kb: Knowledge, resource_ids: tuple[str, ...], pathway_id: str,
            limit: int = 3) -> list[Match]:
    """TTA resources that help build the given capacities, preferring ones for the pathway."""
    matches = []
    for tta in kb.tta.values():
        covered = [r for r in resource_ids if r in tta.helps_with]
        if not covered:
            continue
        fits = not tta.pathways or pathway_id in tta.pathways
        reasons = [f"helps with {', '.join(kb.facts[r].label.lower() for r in covered)}"]
        if tta.pathways and fits:
            reasons.append(f"suited to {kb.pathways[pathway_id].label}")
        points = 10.0 * len(covered) + (5.0 if fits else 0.0) + (2.0 if tta.pathways and fits
                                                                 else 0.0)
        matches.append(Match(tta.id, tta.label, points, tuple(reasons)))
    matches.sort(key=lambda m: (-m.points, m.label))
    return matches[:limit]


def funding_for(kb: Knowledge, answers: Answers, score: PathwayScore,
                limit: int = 5) -> list[Match]:
    """Funding programs for a pathway and its gaps, with who can apply."""
    who = profile(kb, answers)
    gaps = {g.resource_id for g in score.gaps}
    pid = score.pathway.id
    matches = []
    for fund in kb.funding.values():
        if fund.pathways and pid not in fund.pathways:
            continue
        covered = sorted(gaps & set(fund.helps_with))
        points = 10.0 + 6.0 * len(covered)
        reasons = [f"funds {score.pathway.label}" if fund.pathways else
                   "open to deflection programs of any pathway"]
        if covered:
            reasons.append("can pay for " + ", ".join(kb.facts[r].label.lower() for r in covered))
        if who.lead_agency and who.lead_agency in fund.eligible_leads:
            points += 4
            reasons.append("your lead agency type can apply directly")
        elif not fund.eligible_leads:
            reasons.append("reaches local programs through state or health department awards")
        matches.append(Match(fund.id, fund.label, points, tuple(reasons)))
    matches.sort(key=lambda m: (-m.points, m.label))
    return matches[:limit]


def site(kb: Knowledge, match: Match) -> MentorSite:
    return kb.mentor_sites[match.id]


def program(kb: Knowledge, match: Match) -> Program:
    return kb.programs[match.id]


def tta(kb: Knowledge, match: Match) -> TTAResource:
    return kb.tta[match.id]


def funding(kb: Knowledge, match: Match) -> Funding:
    return kb.funding[match.id]
