"""Starter documents filled in for one plan: the partners the community named, its name,
its lead agency and the recommended pathway (knowledge/starter_documents.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planner.engine.plan import PathwayDetail, Plan
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import Knowledge, SampleLink, Source


@dataclass(frozen=True)
class FilledSection:
    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class FilledDocument:
    id: str
    label: str
    kind: str
    pathway_id: str
    pathway_label: str
    purpose: str
    sections: tuple[FilledSection, ...]
    samples: tuple[SampleLink, ...]
    caution: str
    partners: tuple[str, ...]
    flags: tuple[str, ...]
    sources: tuple[Source, ...]


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _words(items: list[str], empty: str) -> str:
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def values(kb: Knowledge, profile: CommunityProfile, detail: PathwayDetail) -> Mapping[str, str]:
    """The placeholder values for one recommended pathway."""
    leads = [kb.facts[v].label for v in profile.value("lead_agency") if v in kb.facts]
    lead = leads[0] if leads else "the lead agency"
    named = [s.label for s in detail.stakeholders if s.status == "named" and s.label != lead]
    missing = [s.label for s in detail.stakeholders if s.essential and s.status == "missing"]
    return _Fill(
        community=profile.name or "your community",
        pathway=detail.score.pathway.label,
        lead=lead,
        partners=_words(named, "the partners you name"),
        missing=_words(missing, "none"),
    )


def for_pathway(kb: Knowledge, profile: CommunityProfile,
                detail: PathwayDetail) -> tuple[FilledDocument, ...]:
    """Every starter document that applies to the pathway, filled in, in file order."""
    pathway = detail.score.pathway
    fill = values(kb, profile, detail)
    partners = tuple(s.label for s in detail.stakeholders if s.status == "named")
    return tuple(
        FilledDocument(
            id=doc.id, label=doc.label, kind=doc.kind, pathway_id=pathway.id,
            pathway_label=pathway.label, purpose=doc.purpose.format_map(fill),
            sections=tuple(FilledSection(s.heading, tuple(i.format_map(fill) for i in s.items))
                           for s in doc.sections),
            samples=doc.samples, caution=doc.caution, partners=partners, flags=doc.flags,
            sources=doc.sources,
        )
        for doc in kb.starter_documents if doc.applies_to(pathway.id)
    )


def for_plan(kb: Knowledge, plan: Plan,
             profile: CommunityProfile) -> tuple[FilledDocument, ...]:
    """The starter documents for the plan's first recommended pathway."""
    return for_pathway(kb, profile, plan.top) if plan.top else ()
