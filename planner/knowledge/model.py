"""Immutable, typed domain objects built once from the validated knowledge files.

Nothing downstream of the loader reads raw dictionaries: it reads these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

Raw = Mapping[str, Any]


def _texts(raw: Raw, key: str) -> tuple[str, ...]:
    return tuple(raw.get(key) or ())


@dataclass(frozen=True)
class Source:
    """Where a fact comes from."""

    label: str
    url: str
    kind: str
    date: str | None = None

    @classmethod
    def from_raw(cls, raw: Raw) -> Source:
        return cls(raw["label"], raw["url"], raw["kind"], raw.get("date"))


def _sources(raw: Raw) -> tuple[Source, ...]:
    return tuple(Source.from_raw(s) for s in raw.get("sources") or ())


@dataclass(frozen=True)
class Record:
    """Fields every sourced knowledge record shares."""

    id: str
    label: str
    sources: tuple[Source, ...]
    as_of: str
    flags: tuple[str, ...]
    # When someone last checked the record against its sources (YYYY-MM-DD); as_of says when
    # the fact was true. Keyword-only so subclasses keep their positional fields.
    verified_on: str = field(default="", kw_only=True)


def _record_fields(raw: Raw) -> dict[str, Any]:
    return {
        "id": raw["id"],
        "label": raw["label"],
        "sources": _sources(raw),
        "as_of": raw.get("as_of", ""),
        "flags": _texts(raw, "flags"),
        "verified_on": raw.get("verified_on", ""),
    }


@dataclass(frozen=True)
class Fact(Record):
    """A problem, resource, partner or goal a community may report."""

    kind: str
    description: str
    provided_by: tuple[str, ...] = ()
    lead_type: bool = False

    @classmethod
    def from_raw(cls, raw: Raw, kind: str) -> Fact:
        return cls(
            **_record_fields(raw),
            kind=kind,
            description=raw["description"],
            provided_by=_texts(raw, "provided_by"),
            lead_type=bool(raw.get("lead_type", False)),
        )


@dataclass(frozen=True)
class CriticalElement:
    resource: str
    why: str


@dataclass(frozen=True)
class PathwayPartner:
    partner: str
    role: str
    essential: bool
    # Partners sharing a group are alternatives: one of them is essential, not each.
    essential_group: str | None = None


@dataclass(frozen=True)
class Pathway(Record):
    aliases: tuple[str, ...]
    order: int
    framework: str
    summary: str
    definition: str
    initiator: str
    trigger: str
    charges: str
    target_population: tuple[str, ...]
    problems_addressed: tuple[str, ...]
    critical_elements: tuple[CriticalElement, ...]
    partners: tuple[PathwayPartner, ...]
    strengths: tuple[str, ...]
    challenges: tuple[str, ...]
    example_programs: tuple[str, ...]

    @classmethod
    def from_raw(cls, raw: Raw) -> Pathway:
        return cls(
            **_record_fields(raw),
            aliases=_texts(raw, "aliases"),
            order=raw["order"],
            framework=raw["framework"],
            summary=raw.get("summary", raw["definition"]),
            definition=raw["definition"],
            initiator=raw["initiator"],
            trigger=raw["trigger"],
            charges=raw["charges"],
            target_population=_texts(raw, "target_population"),
            problems_addressed=_texts(raw, "problems_addressed"),
            critical_elements=tuple(
                CriticalElement(c["resource"], c["why"]) for c in raw["critical_elements"]
            ),
            partners=tuple(
                PathwayPartner(p["partner"], p["role"], p["essential"], p.get("essential_group"))
                for p in raw["partners"]
            ),
            strengths=_texts(raw, "strengths"),
            challenges=_texts(raw, "challenges"),
            example_programs=_texts(raw, "example_programs"),
        )

    @property
    def element_ids(self) -> tuple[str, ...]:
        return tuple(c.resource for c in self.critical_elements)

    @property
    def partner_ids(self) -> tuple[str, ...]:
        return tuple(p.partner for p in self.partners)


@dataclass(frozen=True)
class Location:
    place: str
    state: str
    region: str
    rurality: str
    population: int | None

    @classmethod
    def from_raw(cls, raw: Raw) -> Location:
        return cls(raw["place"], raw["state"], raw["region"], raw["rurality"],
                   raw.get("population"))


@dataclass(frozen=True)
class Outcome:
    metric: str
    value: str
    period: str
    evidence_type: str
    as_of: str
    sources: tuple[Source, ...]
    caveat: str | None

    @property
    def self_reported(self) -> bool:
        return self.evidence_type in {"self_reported", "press"}


@dataclass(frozen=True)
class Program(Record):
    aliases: tuple[str, ...]
    location: Location
    start_year: int | None
    end_year: int | None
    lead_agency: str
    lead_agency_name: str | None
    pathways: tuple[str, ...]
    primary_pathways: tuple[str, ...]
    lead_agency_confirmed: bool
    cautionary: str | None
    pathway_basis: str
    partners: tuple[str, ...]
    partner_names: tuple[str, ...]
    summary: str
    outcomes: tuple[Outcome, ...]
    link: str | None

    @classmethod
    def from_raw(cls, raw: Raw) -> Program:
        return cls(
            **_record_fields(raw),
            aliases=_texts(raw, "aliases"),
            location=Location.from_raw(raw["location"]),
            start_year=raw.get("start_year"),
            end_year=raw.get("end_year"),
            lead_agency=raw["lead_agency"],
            lead_agency_name=raw.get("lead_agency_name"),
            pathways=_texts(raw, "pathways"),
            primary_pathways=_texts(raw, "primary_pathways"),
            lead_agency_confirmed=bool(raw.get("lead_agency_confirmed", True)),
            cautionary=raw.get("cautionary"),
            pathway_basis=raw["pathway_basis"],
            partners=_texts(raw, "partners"),
            partner_names=_texts(raw, "partner_names"),
            summary=raw["summary"],
            outcomes=tuple(
                Outcome(
                    o["metric"], o["value"], o["period"], o["evidence_type"], o["as_of"],
                    _sources(o), o.get("caveat"),
                )
                for o in raw.get("outcomes") or ()
            ),
            link=raw.get("link"),
        )

    @property
    def ended(self) -> bool:
        return self.end_year is not None


def _states(raw: Raw) -> frozenset[str]:
    return frozenset(raw.get("states") or ())


@dataclass(frozen=True)
class Initiative(Record):
    status: str
    summary: str
    how_to_request: str
    link: str
    ended_on: str | None = None
    states: frozenset[str] = frozenset()

    @classmethod
    def from_raw(cls, raw: Raw) -> Initiative:
        return cls(
            **_record_fields(raw), status=raw["status"], summary=raw["summary"],
            how_to_request=raw["how_to_request"], link=raw["link"],
            ended_on=raw.get("ended_on"), states=_states(raw),
        )

    @property
    def open(self) -> bool:
        return self.status == "current"


@dataclass(frozen=True)
class Membership:
    initiative: str
    cohort: str
    status: str


@dataclass(frozen=True)
class MentorSite(Record):
    host_agency: str
    program: str
    location: Location
    lead_agency: str
    pathways: tuple[str, ...]
    pathways_confirmed: bool
    memberships: tuple[Membership, ...]
    strengths: tuple[str, ...]
    link: str

    @classmethod
    def from_raw(cls, raw: Raw) -> MentorSite:
        return cls(
            **_record_fields(raw),
            host_agency=raw["host_agency"],
            program=raw["program"],
            location=Location.from_raw(raw["location"]),
            lead_agency=raw["lead_agency"],
            pathways=_texts(raw, "pathways"),
            pathways_confirmed=raw["pathways_confirmed"],
            memberships=tuple(
                Membership(m["initiative"], m["cohort"], m["status"]) for m in raw["memberships"]
            ),
            strengths=_texts(raw, "strengths"),
            link=raw["link"],
        )

    @property
    def current(self) -> bool:
        return any(m.status == "current" for m in self.memberships)


@dataclass(frozen=True)
class TTAResource(Record):
    provider: str
    offers: str
    format: tuple[str, ...]
    cost: str
    how_to_request: str | None
    helps_with: tuple[str, ...]
    pathways: tuple[str, ...]
    link: str
    status: str = "open"
    states: frozenset[str] = frozenset()
    ended_on: str | None = None

    @classmethod
    def from_raw(cls, raw: Raw) -> TTAResource:
        return cls(
            **_record_fields(raw), provider=raw["provider"], offers=raw["offers"],
            format=_texts(raw, "format"), cost=raw["cost"],
            how_to_request=raw.get("how_to_request"), helps_with=_texts(raw, "helps_with"),
            pathways=_texts(raw, "pathways"), link=raw["link"], status=raw["status"],
            states=_states(raw), ended_on=raw.get("ended_on"),
        )


@dataclass(frozen=True)
class Amount:
    fiscal_year: int
    amount: str
    note: str


def federal_fiscal_year(today: date) -> int:
    """The US federal fiscal year containing today (FY N runs 1 October N-1 to 30 September N)."""
    return today.year + 1 if today.month >= 10 else today.year


# Amounts more than this many fiscal years behind the current one are shown as the last
# published amount rather than as current figures.
STALE_AMOUNT_YEARS = 2


@dataclass(frozen=True)
class LatestAmounts:
    """A funding program's newest published amounts and whether they have gone stale."""

    amounts: tuple[Amount, ...]  # the newest fiscal year's amounts (empty when none published)
    fiscal_year: int | None
    stale: bool  # True when the newest amounts are older than two fiscal years
    label: str  # "FY2025", or "last published amount (FY2021)" when stale; "" when none


@dataclass(frozen=True)
class Funding(Record):
    agency: str
    kind: str
    listing: str | None
    purpose: str
    eligibility: str
    eligible_leads: tuple[str, ...]
    amounts: tuple[Amount, ...]
    recurrence: str
    pathways: tuple[str, ...]
    helps_with: tuple[str, ...]
    link: str
    status: str = "recurring"
    states: frozenset[str] = frozenset()
    ended_on: str | None = None

    @classmethod
    def from_raw(cls, raw: Raw) -> Funding:
        return cls(
            **_record_fields(raw), agency=raw["agency"], kind=raw["kind"],
            listing=raw.get("listing"), purpose=raw["purpose"], eligibility=raw["eligibility"],
            eligible_leads=_texts(raw, "eligible_leads"),
            amounts=tuple(
                Amount(a["fiscal_year"], a["amount"], a["note"]) for a in raw.get("amounts") or ()
            ),
            recurrence=raw["recurrence"], pathways=_texts(raw, "pathways"),
            helps_with=_texts(raw, "helps_with"), link=raw["link"], status=raw["status"],
            states=_states(raw), ended_on=raw.get("ended_on"),
        )

    def latest_amounts(self, today: date) -> LatestAmounts:
        """The newest fiscal year's amounts, marked stale when older than two fiscal years.

        A plan shows stale figures as "last published amount (FY...)", never as current money.
        """
        if not self.amounts:
            return LatestAmounts((), None, False, "")
        newest = max(a.fiscal_year for a in self.amounts)
        stale = newest < federal_fiscal_year(today) - STALE_AMOUNT_YEARS
        label = f"last published amount (FY{newest})" if stale else f"FY{newest}"
        return LatestAmounts(
            tuple(a for a in self.amounts if a.fiscal_year == newest), newest, stale, label
        )


@dataclass(frozen=True)
class StateLink:
    label: str
    url: str


@dataclass(frozen=True)
class StateContext(Record):
    """A state's deflection-relevant law or state money (knowledge/states.yaml)."""

    state: str
    kind: str
    citation: str | None
    administered_by: str
    summary: str
    requires: str | None
    funds: str | None
    pathways: tuple[str, ...]
    links: tuple[StateLink, ...]

    @classmethod
    def from_raw(cls, raw: Raw) -> StateContext:
        return cls(
            **_record_fields(raw), state=raw["state"], kind=raw["kind"],
            citation=raw.get("citation"), administered_by=raw["administered_by"],
            summary=raw["summary"], requires=raw.get("requires"), funds=raw.get("funds"),
            pathways=_texts(raw, "pathways"),
            links=tuple(StateLink(x["label"], x["url"]) for x in raw["links"]),
        )


@dataclass(frozen=True)
class Task(Record):
    description: str
    phase: str
    duration_days: int
    depends_on: tuple[str, ...]
    pathways: tuple[str, ...]
    partners: tuple[str, ...]
    builds: tuple[str, ...]

    @classmethod
    def from_raw(cls, raw: Raw) -> Task:
        return cls(
            **_record_fields(raw), description=raw["description"], phase=raw["phase"],
            duration_days=raw["duration_days"], depends_on=_texts(raw, "depends_on"),
            pathways=_texts(raw, "pathways"), partners=_texts(raw, "partners"),
            builds=_texts(raw, "builds"),
        )

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways


@dataclass(frozen=True)
class Measure(Record):
    description: str
    kind: str
    pathways: tuple[str, ...]
    data_from: tuple[str, ...]

    @classmethod
    def from_raw(cls, raw: Raw) -> Measure:
        return cls(
            **_record_fields(raw), description=raw["description"], kind=raw["kind"],
            pathways=_texts(raw, "pathways"), data_from=_texts(raw, "data_from"),
        )

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways


@dataclass(frozen=True)
class Section:
    id: str
    label: str
    intro: str


@dataclass(frozen=True)
class Condition:
    question: str
    any_of: tuple[str, ...]


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    hint: str | None = None
    dont_know: bool = False
    exclusive: bool = False
    neutral: bool = False
    indicates: tuple[str, ...] = ()
    value: str | None = None


@dataclass(frozen=True)
class Question:
    id: str
    section: str
    label: str
    help: str
    type: str
    required: bool
    profile: str | None
    ask_when: tuple[Condition, ...]
    options: tuple[Option, ...]
    max_length: int | None
    minimum: float | None
    maximum: float | None
    max_choices: int | None = None
    # Who usually knows the answer, named when a "don't know" could change the top pathway.
    who_knows: str | None = None

    @classmethod
    def from_raw(cls, raw: Raw) -> Question:
        return cls(
            id=raw["id"], section=raw["section"], label=raw["label"], help=raw["help"],
            type=raw["type"], required=bool(raw.get("required", False)),
            profile=raw.get("profile"),
            ask_when=tuple(
                Condition(c["question"], tuple(c["any_of"])) for c in raw.get("ask_when") or ()
            ),
            options=tuple(
                Option(
                    id=o["id"], label=o["label"], hint=o.get("hint"),
                    dont_know=bool(o.get("dont_know", False)),
                    exclusive=bool(o.get("exclusive", False) or o.get("dont_know", False)),
                    neutral=bool(o.get("neutral", False)),
                    indicates=_texts(o, "indicates"), value=o.get("value"),
                )
                for o in raw.get("options") or ()
            ),
            max_length=raw.get("max_length"), minimum=raw.get("minimum"),
            maximum=raw.get("maximum"), max_choices=raw.get("max_choices"),
            who_knows=raw.get("who_knows"),
        )

    @property
    def has_options(self) -> bool:
        return self.type in {"single", "multi"}

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Rule:
    """One weighted bearing of an answer (or a fact it indicates) on one pathway."""

    id: str
    pathway: str
    weight: int
    rationale: str
    fact: str | None
    question: str | None
    option: str | None
    sources: tuple[Source, ...]

    @classmethod
    def from_raw(cls, raw: Raw) -> Rule:
        return cls(
            id=raw["id"], pathway=raw["pathway"], weight=raw["weight"],
            rationale=raw["rationale"], fact=raw.get("fact"), question=raw.get("question"),
            option=raw.get("option"), sources=_sources(raw),
        )


@dataclass(frozen=True)
class Band:
    id: str
    label: str
    min: float


@dataclass(frozen=True)
class ChanceModel:
    """How the chance each pathway comes first is worked out (see engine/chance.py)."""

    samples: int
    seed: int
    weight_spread: float
    unknown_answers: str
    clear_lead: float
    rationale: str

    @property
    def clear_lead_percent(self) -> int:
        """The clear-lead threshold in whole percent (the unit the chance is shown in)."""
        return int(self.clear_lead * 100 + 0.5)


@dataclass(frozen=True)
class ScoringModel:
    bands: tuple[Band, ...]
    close_call_margin: float
    tie_break: str
    chance: ChanceModel
    build_on_points: float
    build_on_max: float
    build_on_rationale: str
    rationale: str
    sources: tuple[Source, ...]
    as_of: str

    @classmethod
    def from_raw(cls, raw: Raw) -> ScoringModel:
        return cls(
            bands=tuple(
                sorted((Band(b["id"], b["label"], b["min"]) for b in raw["bands"]),
                       key=lambda b: -b.min)
            ),
            close_call_margin=raw["close_call_margin"], tie_break=raw["tie_break"],
            chance=ChanceModel(**raw["chance"]),
            build_on_points=raw["build_on"]["points_per_shared_element"],
            build_on_max=raw["build_on"]["max_points"],
            build_on_rationale=raw["build_on"]["rationale"], rationale=raw["rationale"],
            sources=_sources(raw), as_of=raw["as_of"],
        )

    def band_for(self, score: float) -> Band:
        return next((b for b in self.bands if score >= b.min), self.bands[-1])


@dataclass(frozen=True)
class Criterion:
    weight: float
    rationale: str


@dataclass(frozen=True)
class PopulationBucket:
    id: str
    label: str
    max: int | None


@dataclass(frozen=True)
class Matching:
    population_buckets: tuple[PopulationBucket, ...]
    mentor_criteria: Mapping[str, Criterion]
    program_criteria: Mapping[str, Criterion]
    rationale: str

    @classmethod
    def from_raw(cls, raw: Raw) -> Matching:
        def crit(block: Raw) -> Mapping[str, Criterion]:
            return MappingProxyType(
                {k: Criterion(v["weight"], v["rationale"]) for k, v in block.items()}
            )

        return cls(
            population_buckets=tuple(
                PopulationBucket(b["id"], b["label"], b["max"]) for b in raw["population_buckets"]
            ),
            mentor_criteria=crit(raw["mentor_criteria"]),
            program_criteria=crit(raw["program_criteria"]),
            rationale=raw["rationale"],
        )

    def bucket_for(self, population: int | None) -> str | None:
        if population is None:
            return None
        for bucket in self.population_buckets:
            if bucket.max is None or population <= bucket.max:
                return bucket.id
        return self.population_buckets[-1].id


def _index(items: Any) -> Mapping[str, Any]:
    return MappingProxyType({item.id: item for item in items})


@dataclass(frozen=True)
class QuestionChange:
    """How answers written for the questions version before `version` are carried over."""

    version: int
    summary: str
    # (from question, to question, {old option: new option})
    copy: tuple[tuple[str, str, Mapping[str, str]], ...] = ()
    # (question, {old option: new option})
    rename: tuple[tuple[str, Mapping[str, str]], ...] = ()

    @classmethod
    def from_raw(cls, raw: Raw) -> QuestionChange:
        return cls(
            version=raw["version"], summary=raw["summary"],
            copy=tuple((c["from"], c["to"], MappingProxyType(dict(c["options"])))
                       for c in raw.get("copy") or ()),
            rename=tuple((r["question"], MappingProxyType(dict(r["options"])))
                         for r in raw.get("rename") or ()),
        )


@dataclass(frozen=True, eq=False)
class Knowledge:
    """The whole knowledge base, indexed by id (hashed by identity, so caches can key on it)."""

    pathways: Mapping[str, Pathway]
    facts: Mapping[str, Fact]
    sections: tuple[Section, ...]
    questions: Mapping[str, Question]
    questions_version: int
    rules: tuple[Rule, ...]
    model: ScoringModel
    matching: Matching
    programs: Mapping[str, Program]
    initiatives: Mapping[str, Initiative]
    mentor_sites: Mapping[str, MentorSite]
    tta: Mapping[str, TTAResource]
    funding: Mapping[str, Funding]
    tasks: Mapping[str, Task]
    measures: Mapping[str, Measure]
    root: str = field(default="")
    states: Mapping[str, StateContext] = field(default_factory=lambda: MappingProxyType({}))
    costs: CostModel | None = None
    starter_documents: tuple[StarterDocument, ...] = ()
    question_changes: tuple[QuestionChange, ...] = ()

    @property
    def pathways_in_order(self) -> tuple[Pathway, ...]:
        return tuple(sorted(self.pathways.values(), key=lambda p: (p.order, p.id)))

    def facts_of_kind(self, kind: str) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts.values() if f.kind == kind)

    def profile_question(self, key: str) -> Question | None:
        return next((q for q in self.questions.values() if q.profile == key), None)


def build_knowledge(data: Mapping[str, Raw], root: str = "") -> Knowledge:
    """Build the typed knowledge base from schema-valid file contents keyed by file stem."""
    facts: list[Fact] = []
    for kind, stem in (("partner", "partners"), ("resource", "resources"),
                       ("problem", "problems"), ("goal", "goals")):
        facts.extend(Fact.from_raw(r, kind) for r in data[stem][stem])
    questions = data["questions"]
    mentor = data["mentor_sites"]
    return Knowledge(
        pathways=_index(Pathway.from_raw(r) for r in data["pathways"]["pathways"]),
        facts=_index(facts),
        sections=tuple(Section(s["id"], s["label"], s["intro"]) for s in questions["sections"]),
        questions=_index(Question.from_raw(q) for q in questions["questions"]),
        questions_version=questions["version"],
        question_changes=tuple(sorted(
            (QuestionChange.from_raw(c) for c in questions.get("changes") or ()),
            key=lambda c: c.version)),
        rules=tuple(Rule.from_raw(r) for r in data["scoring"]["rules"]),
        model=ScoringModel.from_raw(data["scoring"]["model"]),
        matching=Matching.from_raw(data["matching"]),
        programs=_index(Program.from_raw(r) for r in data["programs"]["programs"]),
        initiatives=_index(Initiative.from_raw(r) for r in mentor["initiatives"]),
        mentor_sites=_index(MentorSite.from_raw(r) for r in mentor["mentor_sites"]),
        tta=_index(TTAResource.from_raw(r) for r in data["tta_resources"]["tta_resources"]),
        funding=_index(Funding.from_raw(r) for r in data["funding"]["funding"]),
        tasks=_index(Task.from_raw(r) for r in data["tasks"]["tasks"]),
        measures=_index(Measure.from_raw(r) for r in data["measures"]["measures"]),
        root=root,
        states=_index(
            StateContext.from_raw(r) for r in (data.get("states") or {}).get("states", ())
        ),
        costs=CostModel.from_raw(data["costs"]) if "costs" in data else None,
        starter_documents=tuple(
            StarterDocument.from_raw(r)
            for r in (data["starter_documents"]["documents"] if "starter_documents" in data
                      else ())
        ),
    )


@dataclass(frozen=True)
class CostRole:
    """A staff role with the national median wage of its matching occupation."""

    id: str
    label: str
    occupation: str
    annual_wage: int
    year: int
    statistic: str
    sources: tuple[Source, ...]
    as_of: str
    verified_on: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class FteRange:
    role: str
    low: float
    high: float


@dataclass(frozen=True)
class Staffing:
    """The staffing model of one pathway, by population band."""

    id: str
    pathway: str
    basis: str
    programs: tuple[str, ...]
    note: str
    bands: Mapping[str, tuple[FteRange, ...]]
    sources: tuple[Source, ...]
    as_of: str
    verified_on: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class NonStaffCost:
    """A yearly cost that is not a wage (vehicle, naloxone, data system, training)."""

    id: str
    label: str
    pathways: tuple[str, ...]
    low: int
    high: int
    by_band: Mapping[str, tuple[int, int]]
    explanation: str
    sources: tuple[Source, ...]
    as_of: str
    verified_on: str | None
    flags: tuple[str, ...]

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways

    def amounts(self, band: str) -> tuple[int, int]:
        return self.by_band.get(band, (self.low, self.high))


@dataclass(frozen=True)
class Benefits:
    id: str
    label: str
    low: float
    high: float
    explanation: str
    sources: tuple[Source, ...]
    as_of: str
    verified_on: str | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class CostModel:
    """Staffing models and unit costs (knowledge/costs.yaml): national figures."""

    notice: str
    roles: Mapping[str, CostRole]
    benefits: Benefits
    staffing: Mapping[str, Staffing]  # by pathway id
    non_staff: tuple[NonStaffCost, ...]
    wage_question: str | None
    wage_roles: tuple[str, ...]
    budget_question: str | None

    @classmethod
    def from_raw(cls, raw: Raw) -> CostModel:
        def common(r: Raw) -> dict[str, Any]:
            return {"sources": _sources(r), "as_of": r["as_of"],
                    "verified_on": r.get("verified_on"), "flags": _texts(r, "flags")}

        local = raw.get("local_questions") or {}
        ben = raw["benefits"]
        return cls(
            notice=raw["notice"],
            roles=_index(
                CostRole(id=r["id"], label=r["label"], occupation=r["occupation"],
                         annual_wage=r["annual_wage"], year=r["year"],
                         statistic=r["statistic"], **common(r))
                for r in raw["roles"]
            ),
            benefits=Benefits(id=ben["id"], label=ben["label"], low=ben["low"],
                              high=ben["high"], explanation=ben["explanation"], **common(ben)),
            staffing=MappingProxyType({
                s["pathway"]: Staffing(
                    id=s["id"], pathway=s["pathway"], basis=s["basis"],
                    programs=tuple(s["programs"]), note=s["note"],
                    bands=MappingProxyType({
                        b["band"]: tuple(FteRange(x["role"], x["low"], x["high"])
                                         for x in b["roles"])
                        for b in s["bands"]
                    }),
                    **common(s))
                for s in raw["staffing"]
            }),
            non_staff=tuple(
                NonStaffCost(id=n["id"], label=n["label"], pathways=tuple(n["pathways"]),
                             low=n["low"], high=n["high"],
                             by_band=MappingProxyType({b["band"]: (b["low"], b["high"])
                                                       for b in n.get("by_band") or ()}),
                             explanation=n["explanation"], **common(n))
                for n in raw["non_staff"]
            ),
            wage_question=local.get("wage"),
            wage_roles=tuple(local.get("wage_roles") or ()),
            budget_question=local.get("budget"),
        )


@dataclass(frozen=True)
class StarterSection:
    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class SampleLink:
    label: str
    link: str
    publisher: str


@dataclass(frozen=True)
class StarterDocument:
    """A starter document outline (knowledge/starter_documents.yaml), in our own words."""

    id: str
    label: str
    kind: str
    pathways: tuple[str, ...]
    purpose: str
    sections: tuple[StarterSection, ...]
    samples: tuple[SampleLink, ...]
    caution: str
    sources: tuple[Source, ...]
    as_of: str
    verified_on: str | None
    flags: tuple[str, ...]

    @classmethod
    def from_raw(cls, raw: Raw) -> StarterDocument:
        return cls(
            id=raw["id"], label=raw["label"], kind=raw["kind"],
            pathways=_texts(raw, "pathways"), purpose=raw["purpose"],
            sections=tuple(StarterSection(s["heading"], tuple(s["items"]))
                           for s in raw["sections"]),
            samples=tuple(SampleLink(s["label"], s["link"], s["publisher"])
                          for s in raw.get("samples") or ()),
            caution=raw["caution"], sources=_sources(raw), as_of=raw["as_of"],
            verified_on=raw.get("verified_on"), flags=_texts(raw, "flags"),
        )

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways
