"""The shipped knowledge/ folder: it validates, and it holds what the planner promises."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from planner.knowledge import loader
from planner.knowledge.model import Knowledge, Record

KNOWLEDGE = loader.default_root()


def _raw(stem: str) -> Any:
    return loader.load_yaml((KNOWLEDGE / f"{stem}.yaml").read_text(encoding="utf-8"))


def _links(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (path, url) for every `link` value anywhere in a parsed file."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key == "link":
                yield where, item
            else:
                yield from _links(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _links(item, f"{path}[{i}]")


def _dated(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (path, mapping) for every mapping that carries `sources`, scoring rules aside."""
    if isinstance(value, dict):
        if "sources" in value:
            yield path, value
        for key, item in value.items():
            if path == "scoring" and key == "rules":
                continue  # rules are dated by the scoring model's as_of; their schema has none
            yield from _dated(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _dated(item, f"{path}[{i}]")


def _records(kb: Knowledge) -> Iterator[Record]:
    for index in (kb.pathways, kb.facts, kb.programs, kb.initiatives, kb.mentor_sites, kb.tta,
                  kb.funding, kb.tasks, kb.measures):
        yield from index.values()


def _indicated_facts(kb: Knowledge) -> set[str]:
    return {fact for q in kb.questions.values() for o in q.options for fact in o.indicates}


# ------------------------------------------------------------------ validity


def test_shipped_knowledge_has_no_findings() -> None:
    assert [str(f) for f in loader.check(KNOWLEDGE)] == []


def test_shipped_knowledge_has_every_required_file() -> None:
    assert sorted(p.stem for p in Path(KNOWLEDGE).glob("*.yaml")) == sorted(loader.FILES)


# ------------------------------------------------------------------ pathways


def test_shipped_knowledge_has_the_six_chj_pathways_in_order(shipped_kb: Knowledge) -> None:
    assert [p.id for p in shipped_kb.pathways_in_order] == [
        "self-referral", "active-outreach", "naloxone-plus", "first-responder-referral",
        "officer-intervention", "community-response",
    ]


def test_community_response_is_the_only_added_pathway(shipped_kb: Knowledge) -> None:
    added = [p.id for p in shipped_kb.pathways.values() if p.framework == "added"]
    assert added == ["community-response"]


def test_first_responder_referral_is_also_known_as_officer_prevention(
    shipped_kb: Knowledge,
) -> None:
    assert "Officer Prevention" in shipped_kb.pathways["first-responder-referral"].aliases


@pytest.mark.parametrize("pathway", [
    "self-referral", "active-outreach", "naloxone-plus", "first-responder-referral",
    "officer-intervention", "community-response",
])
def test_every_pathway_has_rules_tasks_and_at_least_three_measures(
    shipped_kb: Knowledge, pathway: str,
) -> None:
    rules = [r for r in shipped_kb.rules if r.pathway == pathway]
    assert any(r.weight > 0 for r in rules)
    assert any(pathway in t.pathways for t in shipped_kb.tasks.values()), "no specific task"
    assert sum(m.applies_to(pathway) for m in shipped_kb.measures.values()) >= 3


# ------------------------------------------------------------------ programs, mentors, TTA


def test_shipped_knowledge_has_at_least_fifteen_programs_including_named_ones(
    shipped_kb: Knowledge,
) -> None:
    assert len(shipped_kb.programs) >= 15
    named = {"hero-help", "harris-county-marijuana-diversion", "atlanta-pad", "huntington-qrt",
             "tucson-deflection"}
    assert named <= set(shipped_kb.programs)


def test_shipped_knowledge_has_at_least_twelve_tta_resources(shipped_kb: Knowledge) -> None:
    assert len(shipped_kb.tta) >= 12


def test_every_mentor_site_has_a_membership_and_a_link(shipped_kb: Knowledge) -> None:
    assert shipped_kb.mentor_sites
    for site in shipped_kb.mentor_sites.values():
        assert site.memberships, site.id
        assert site.link.startswith("https://"), site.id


# ------------------------------------------------------------------ funding


def test_shipped_knowledge_has_at_least_six_funding_records(shipped_kb: Knowledge) -> None:
    assert len(shipped_kb.funding) >= 6



@pytest.mark.parametrize("funding_id", [r["id"] for r in _raw("funding")["funding"]])
def test_every_funding_record_has_dated_cycles_or_is_philanthropy(
    shipped_kb: Knowledge, funding_id: str,
) -> None:
    funding = shipped_kb.funding[funding_id]
    if funding.kind == "philanthropy":
        assert not funding.cycles and funding.examples
        return
    assert funding.cycles
    for cycle in funding.cycles:
        # Every round is dated: by its fiscal year, or (settlements) by the day it began.
        assert cycle.fiscal_year or cycle.opens, (funding_id, cycle)
        assert cycle.applicants


def test_every_federal_cycle_carries_a_fiscal_year() -> None:
    federal = [c for r in _raw("funding")["funding"] if r["kind"].startswith("federal")
               for c in r["cycles"]]
    assert federal
    for cycle in federal:
        assert isinstance(cycle.get("fiscal_year"), int), cycle
        assert 2000 <= cycle["fiscal_year"] <= 2100, cycle


_VARIES = re.compile(
    r"\b(deadlines?|amounts?|ceilings?|priorities|rounds?|cycles?|timing|window)\b"
)
_CHECK = re.compile(r"\b(check|ask)\b")


def test_every_funding_recurrence_warns_that_deadlines_or_amounts_change(
    shipped_kb: Knowledge,
) -> None:
    """The recurrence text names what varies (deadline, amount, round...) and says to check."""
    for funding in shipped_kb.funding.values():
        text = funding.recurrence.lower()
        assert _VARIES.search(text), (funding.id, funding.recurrence)
        assert _CHECK.search(text), (funding.id, funding.recurrence)


# ------------------------------------------------------------------ sources and links


def test_every_record_with_sources_has_an_as_of(shipped_kb: Knowledge) -> None:
    for record in _records(shipped_kb):
        if record.sources:
            assert record.as_of, record.id
    for program in shipped_kb.programs.values():
        for outcome in program.outcomes:
            assert outcome.as_of, (program.id, outcome.metric)
    assert shipped_kb.model.as_of


@pytest.mark.parametrize("stem", sorted(loader.FILES))
def test_every_sourced_mapping_in_the_file_has_an_as_of(stem: str) -> None:
    missing = [path for path, item in _dated(_raw(stem), stem) if not item.get("as_of")]
    assert missing == []


@pytest.mark.parametrize("stem", sorted(set(loader.FILES) - {"links"}))
def test_every_user_facing_link_is_https_and_not_on_a_mirror_or_aggregator(stem: str) -> None:
    policy = _raw("links")
    banned = set(policy["mirror_hosts"]) | set(policy["aggregator_hosts"])
    suffixes = tuple(policy["mirror_host_suffixes"])
    for path, url in _links(_raw(stem), stem):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        assert parts.scheme == "https", (path, url)
        assert host, (path, url)
        assert host not in banned and not host.endswith(suffixes), (path, url)


def test_the_link_policy_names_mirror_and_aggregator_hosts() -> None:
    """Guards the link test above against passing on an empty policy."""
    policy = _raw("links")
    assert policy["mirror_hosts"]
    assert policy["aggregator_hosts"]


# ------------------------------------------------------------------ questions


def test_every_question_section_has_a_question(shipped_kb: Knowledge) -> None:
    used = {q.section for q in shipped_kb.questions.values()}
    assert [s.id for s in shipped_kb.sections if s.id not in used] == []


def test_every_choice_question_has_help_text(shipped_kb: Knowledge) -> None:
    for question in shipped_kb.questions.values():
        if question.has_options:
            assert question.help.strip(), question.id


@pytest.mark.parametrize("profile", ["population", "rurality", "lead_agency", "state",
                                     "running_pathways", "community_name"])
def test_a_question_gives_each_profile_attribute(shipped_kb: Knowledge, profile: str) -> None:
    assert shipped_kb.profile_question(profile) is not None


def test_running_pathways_offers_every_pathway_and_is_asked_only_of_existing_programs(
    shipped_kb: Knowledge,
) -> None:
    question = shipped_kb.profile_question("running_pathways")
    assert question is not None
    assert {o.value for o in question.options} == set(shipped_kb.pathways)
    assert question.ask_when


@pytest.mark.parametrize("fact", [
    "access-point-24-7", "phone-screening", "treatment-capacity", "moud", "peers", "clinicians",
    "case-managers", "overdose-data", "data-sharing", "prosecutor-support", "defender-support",
    "call-triage", "non-police-responders", "transport", "housing-shelter",
    "evaluation-capacity", "dedicated-funding",
])
def test_some_answer_indicates_each_capacity_the_brief_asks_about(
    shipped_kb: Knowledge, fact: str,
) -> None:
    assert fact in shipped_kb.facts
    assert fact in _indicated_facts(shipped_kb)


def test_lead_agency_question_offers_the_common_lead_types(shipped_kb: Knowledge) -> None:
    question = shipped_kb.profile_question("lead_agency")
    assert question is not None
    values = {o.value for o in question.options}
    assert {"police", "sheriff", "fire-ems", "public-health", "community-organization",
            "prosecutor"} <= values


def _all_urls(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (path, url) for every `link` and source `url` anywhere in a parsed file."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in {"link", "url"} and isinstance(item, str):
                yield where, item
            else:
                yield from _all_urls(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _all_urls(item, f"{path}[{i}]")


_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}$")
_REPUBLISHERS = ("newsbreak.com", "news.yahoo.com")


@pytest.mark.parametrize("stem", sorted(loader.FILES))
def test_no_url_uses_http_or_a_malformed_host_or_a_republisher(stem: str) -> None:
    for where, url in _all_urls(_raw(stem), stem):
        parts = urlsplit(url)
        assert parts.scheme == "https", f"{where}: {url}"
        host = parts.hostname or ""
        assert _HOST.match(host), f"{where}: malformed host in {url}"
        assert not host.endswith(_REPUBLISHERS), f"{where}: republisher {url}"


def test_every_record_carries_verified_on() -> None:
    kb = loader.load_default()
    groups: list[Any] = [kb.pathways, kb.facts, kb.programs, kb.initiatives, kb.mentor_sites,
                         kb.tta, kb.funding, kb.tasks, kb.measures, kb.states]
    for group in groups:
        for record in group.values():
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", record.verified_on), record.id


def test_naloxone_plus_and_active_outreach_need_a_first_responder_of_any_kind() -> None:
    kb = loader.load_default()
    for pid in ("naloxone-plus", "active-outreach"):
        group = {p.partner for p in kb.pathways[pid].partners
                 if p.essential_group == "first-responder"}
        assert {"police", "fire-ems"} <= group, (pid, group)
        assert all(p.essential for p in kb.pathways[pid].partners if p.partner in group)


def test_every_scored_question_with_dont_know_says_who_usually_knows(
        shipped_kb: Knowledge) -> None:
    """The review page asks a decisive "don't know" again with who usually knows the answer
    (goals and partners are the community's own to decide)."""
    from planner.engine import scoring

    tables = scoring.index(shipped_kb).tables
    missing = [q.id for q in shipped_kb.questions.values()
               if q.id in tables and any(o.dont_know for o in q.options)
               and q.id not in {"goals", "partners"} and not q.who_knows]
    assert missing == []
