"""Match a community to mentor sites, similar programs, TTA resources and funding, with reasons.

Eligibility is data: a funding program, TTA offer or mentoring initiative says where it
applies (`states`) and whether it is still offered (`status`); nothing ended, and nothing
limited to other states, is ever offered. Mentor sites and similar programs match on the
pathway a program is built around (`primary_pathways`), never on location alone, and never
on the community's own program. A lead agency of the same kind earns the lead-agency weight;
one of a near kind (police and sheriff: law enforcement, matching.yaml `lead_families`) a
stated share of it. Every list has a stated order: points, then label, then id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from planner.engine.profile import CommunityProfile
from planner.engine.scoring import PathwayScore
from planner.engine.words import with_article
from planner.knowledge.model import (
    Criterion,
    Funding,
    Initiative,
    Knowledge,
    Location,
    MentorSite,
    Program,
    TTAResource,
)


@dataclass(frozen=True)
class Match:
    """A matched record with its points and the reasons it matched.

    `standing` says how a program may be shown: "model" (a program to learn from),
    "past" (it has ended: a past example, never a place to visit) or "lesson" (the
    knowledge base marks it as a weak or cautionary model).
    """

    id: str
    label: str
    points: float
    reasons: tuple[str, ...]
    standing: str = "model"


# Words that name a kind of place or agency rather than the place itself.
_GENERIC = frozenset({
    "a", "an", "and", "the", "of", "for", "in", "on", "at", "to", "city", "county", "town",
    "township", "village", "borough", "parish", "metro", "metropolitan", "region", "regional",
    "area", "district", "department", "dept", "police", "sheriff", "sheriffs", "office",
    "fire", "ems", "rescue", "program", "programme", "project", "team", "initiative",
    "coalition", "outreach", "deflection", "diversion", "quick", "response", "community",
    "crisis", "unit", "services", "service", "health",
})


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'")
                                           .replace("'", "")) if w not in _GENERIC)


def is_own_program(who: CommunityProfile, label: str, aliases: tuple[str, ...], place: str,
                   state: str) -> bool:
    """True when a record is the community itself: its name, an alias or its place names the
    community (in the same state, where the community's state is known)."""
    mine = _words(who.name)
    if not mine:
        return False
    if who.state and state and who.state != state.upper():
        return False
    return any(mine <= _words(text) for text in (label, place, *aliases))


def offered(record: Funding | TTAResource | Initiative, who: CommunityProfile) -> bool:
    """True when an offer is still open and its eligibility does not rule the community out
    (a funding program's status is worked out from its cycles in planner.engine.funding)."""
    if not isinstance(record, Funding) and record.status == "ended":
        return False
    return not record.states or (who.state is not None and who.state in record.states)


def _where(kb: Knowledge, states: frozenset[str]) -> str:
    names = []
    question = kb.profile_question("state")
    for code in sorted(states):
        option = question.option(code.lower()) if question else None
        names.append(option.label if option else code)
    return ", ".join(names)


def _location_points(kb: Knowledge, criteria: Mapping[str, Criterion], who: CommunityProfile,
                     lead: str | None, location: Location) -> tuple[float, list[str]]:
    points, reasons = 0.0, []
    family = kb.matching.lead_family(lead, who.lead_agency) if lead and who.lead_agency \
        else None
    if who.lead_agency and lead == who.lead_agency and "lead_agency" in criteria:
        points += criteria["lead_agency"].weight
        reasons.append(f"led by {with_article(kb.facts[lead].label.lower())}, like yours")
    elif family is not None and lead is not None and "lead_agency" in criteria:
        # A near kind of lead (a sheriff for a police-led community): a share of the weight.
        points += criteria["lead_agency"].weight * family.share
        reasons.append(f"led by {with_article(kb.facts[lead].label.lower())}: "
                       f"{family.label}, like yours")
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
        reasons.append(f"serves {with_article(location.rurality)} area, like yours")
    if who.region and location.region == who.region and "region" in criteria:
        points += criteria["region"].weight
        reasons.append(f"in your Census region ({location.region.title()})")
    return points, reasons


def _common(kb: Knowledge, criteria: Mapping[str, Criterion], who: CommunityProfile,
            pathway_id: str, lead: str | None, location: Location,
            note: str = "") -> tuple[float, list[str]]:
    """Points and reasons shared by mentor sites and programs: the pathway (already known to
    be one the record is built around), then location."""
    points = criteria["pathway"].weight
    reasons = [f"built around {kb.pathways[pathway_id].label}{note}"]
    more, why = _location_points(kb, criteria, who, lead, location)
    return points + more, reasons + why


def _ordered(matches: list[Match], limit: int) -> list[Match]:
    return sorted(matches, key=lambda m: (-m.points, m.label, m.id))[:limit]


def _primary(kb: Knowledge, site: MentorSite) -> tuple[str, ...]:
    program = kb.programs.get(site.program)
    return program.primary_pathways if program is not None else ()


def visit_routes(kb: Knowledge, site: MentorSite, who: CommunityProfile) -> tuple[Initiative, ...]:
    """The open initiatives through which a visit to the site can be requested now."""
    routes = []
    for membership in site.memberships:
        initiative = kb.initiatives.get(membership.initiative)
        if membership.status == "current" and initiative is not None and initiative.open \
                and offered_initiative(initiative, who):
            routes.append(initiative)
    return tuple(sorted(routes, key=lambda i: i.id))


def offered_initiative(initiative: Initiative, who: CommunityProfile) -> bool:
    if not initiative.open:
        return False
    return not initiative.states or (who.state is not None and who.state in initiative.states)


def mentor_sites(kb: Knowledge, who: CommunityProfile, pathway_id: str,
                 limit: int = 4) -> list[Match]:
    """Mentor sites a community can ask to visit now, for a pathway, with reasons.

    Only sites with a current membership of an open initiative, built around the pathway,
    whose program has not ended and is not the community's own.
    """
    criteria = kb.matching.mentor_criteria
    matches = []
    for site in kb.mentor_sites.values():
        program = kb.programs.get(site.program)
        if pathway_id not in _primary(kb, site) or not visit_routes(kb, site, who):
            continue
        if program is not None and (program.ended or _own_program(who, program)):
            continue
        if is_own_program(who, site.label, (), site.location.place, site.location.state):
            continue
        lead = site.lead_agency if program is None or program.lead_agency_confirmed else None
        note = "" if site.pathways_confirmed else " (pathways not confirmed by COSSUP)"
        points, reasons = _common(kb, criteria, who, pathway_id, lead, site.location, note)
        if "current" in criteria:
            points += criteria["current"].weight
        reasons.append("a current mentor site: a visit can be requested")
        matches.append(Match(site.id, site.label, points, tuple(reasons)))
    return _ordered(matches, limit)


def _own_program(who: CommunityProfile, program: Program) -> bool:
    return is_own_program(who, program.label, program.aliases, program.location.place,
                          program.location.state)


def similar_programs(kb: Knowledge, who: CommunityProfile, pathway_id: str,
                     limit: int = 4) -> list[Match]:
    """Real programs built around the pathway, most like the community first, with reasons.

    A program that has ended is a past example; one the knowledge base marks as cautionary
    is a lesson. Both come after the models to learn from.
    """
    criteria = kb.matching.program_criteria
    matches = []
    for program in kb.programs.values():
        if pathway_id not in program.primary_pathways or _own_program(who, program):
            continue
        lead = program.lead_agency if program.lead_agency_confirmed else None
        # CHJ has assigned no pathway to most programs: the planner's label is said to be one.
        note = "" if program.pathway_basis == "chj" else " (the planner's classification)"
        points, reasons = _common(kb, criteria, who, pathway_id, lead, program.location, note)
        shared = [p for p in program.partners if p in who.facts]
        if shared and "shared_resources" in criteria:
            points += criteria["shared_resources"].weight * len(shared) / len(program.partners)
            reasons.append(f"built on {len(shared)} of its {len(program.partners)} partner "
                           "types, which you already have")
        standing = "lesson" if program.cautionary else "past" if program.ended else "model"
        matches.append(Match(program.id, program.label, points, tuple(reasons), standing))
    rank = {"model": 0, "past": 1, "lesson": 2}
    return sorted(matches, key=lambda m: (rank[m.standing], -m.points, m.label, m.id))[:limit]


# Words in a TTA offer's formats that say it connects a community with peers who run a
# program: the nearest help when no mentor site runs the pathway.
PEER_FORMAT_WORDS = ("peer", "virtual", "visit")


def peer_learning(kb: Knowledge, who: CommunityProfile, pathway_id: str,
                  limit: int = 3) -> list[Match]:
    """TTA offers that put a community in touch with peers (peer-to-peer mentoring, a peer
    exchange, a virtual or on-site visit), for the pathway or any pathway, open to it.
    Ordered by how many such formats an offer has, then offers for this pathway first."""
    matches = []
    for tta in kb.tta.values():
        if tta.status == "ended" or (tta.states and not offered(tta, who)):
            continue
        if tta.pathways and pathway_id not in tta.pathways:
            continue
        formats = [f for f in tta.format if any(w in f.lower() for w in PEER_FORMAT_WORDS)]
        if not formats:
            continue
        points = 10.0 * len(formats) + (5.0 if tta.pathways else 0.0)
        matches.append(Match(tta.id, tta.label, points, (f"offers {', '.join(formats)}",)))
    return _ordered(matches, limit)


def tta_for(kb: Knowledge, resource_ids: tuple[str, ...], pathway_id: str,
            limit: int = 3, who: CommunityProfile | None = None) -> list[Match]:
    """TTA resources that help build the given capacities, preferring ones for the pathway.

    Only offers that are still made and that the community's state is eligible for (an offer
    limited to some states is left out when the community's state is not known)."""
    matches = []
    for tta in kb.tta.values():
        if tta.status == "ended" or (tta.states and (who is None or not offered(tta, who))):
            continue
        covered = [r for r in resource_ids if r in tta.helps_with]
        if not covered:
            continue
        fits = not tta.pathways or pathway_id in tta.pathways
        reasons = [f"helps with {', '.join(kb.facts[r].label.lower() for r in covered)}"]
        if tta.pathways and fits:
            reasons.append(f"suited to {kb.pathways[pathway_id].label}")
        if tta.states:
            reasons.append(f"offered in {_where(kb, tta.states)}")
        points = 10.0 * len(covered) + (5.0 if fits else 0.0) + (2.0 if tta.pathways and fits
                                                                 else 0.0)
        matches.append(Match(tta.id, tta.label, points, tuple(reasons)))
    return _ordered(matches, limit)


def funding_for(kb: Knowledge, who: CommunityProfile, score: PathwayScore,
                limit: int = 5) -> list[Match]:
    """Funding programs offered where the community is, for a pathway and its gaps (their
    standing on the plan's dates, and who applies, come from planner.engine.funding)."""
    gaps = {g.resource_id for g in score.gaps}
    pid = score.pathway.id
    matches = []
    for fund in kb.funding.values():
        if (fund.pathways and pid not in fund.pathways) or not offered(fund, who):
            continue
        covered = sorted(gaps & set(fund.helps_with))
        points = 10.0 + 6.0 * len(covered)
        reasons = [f"funds {score.pathway.label}" if fund.pathways else
                   "open to deflection programs of any pathway"]
        if fund.states:
            points += 8
            reasons.append(f"{with_article(_where(kb, fund.states))} program, for communities in "
                           "that state")
        if covered:
            reasons.append("can pay for " + ", ".join(kb.facts[r].label.lower() for r in covered))
        matches.append(Match(fund.id, fund.label, points, tuple(reasons)))
    return _ordered(matches, limit)


def site(kb: Knowledge, match: Match) -> MentorSite:
    return kb.mentor_sites[match.id]


def program(kb: Knowledge, match: Match) -> Program:
    return kb.programs[match.id]


def tta(kb: Knowledge, match: Match) -> TTAResource:
    return kb.tta[match.id]


def funding(kb: Knowledge, match: Match) -> Funding:
    return kb.funding[match.id]
