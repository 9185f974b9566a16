"""The knowledge records: one declaration per record type, checked by pydantic when read.

Each record type is a frozen dataclass whose fields, types, defaults and single-record checks
(id, date and link formats, allowed values, ranges, consistency within the record) are declared
once, here; each knowledge file is a record type too (`FILE_MODELS`), so a file is validated by
its declaration. Checks that need more than one record live in validation.py.

Why pydantic v2 (issue 24), chosen by error messages and load time:
- errors: it reports every error of a file in one pass, each with its location path, which the
  loader turns into "file: record: field: message" in plain words (msgspec stops at the first
  error; cattrs gives nested exception groups);
- load time: its Rust core checks and builds the shipped knowledge base in about 60-100 ms, where
  the JSON Schema files plus hand-written constructors took 2.8-4.4 s, measured the same way
  (15 runs each on the same parsed files, alternating, on a shared 2-core machine under load:
  median 97-105 ms vs 4153-4376 ms, min 57-62 ms vs 2833-2907 ms). Whole loads with
  /work/refs/loadtime.py (YAML parsing included, old and new alternating, same conditions):
  median 4.7-5.3 s vs 7.1-9.5 s (min 3.2-4.0 s vs 6.0-6.9 s). Parsing the YAML is now nearly
  all of the load. Importing the loader costs more (pydantic: 575-895 ms vs 350-385 ms with
  -X importtime), paid once per process like the load itself.

The records stay plain frozen dataclasses: pydantic builds them from the files (validating), while
code that builds one by hand (tests, consultant weight overrides via dataclasses.replace) is not
re-validated. Tuples stay tuples, sets frozensets and mappings read-only.
Nothing downstream of the loader reads raw dictionaries: it reads these.
"""

from __future__ import annotations

import re
import string
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StringConstraints,
    model_validator,
    with_config,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")
FORBID = ConfigDict(extra="forbid")

# ------------------------------------------------------------------ field types

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
AS_OF_PATTERN = r"^[12][0-9]{3}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"
DATE_PATTERN = r"^[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
LINK_PATTERN = (r"^https://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
                r"(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(:[0-9]{1,5})?"
                r"([/?#][^\s]*)?$")
HOST_PATTERN = r"^[a-z0-9.-]+$"
SUFFIX_PATTERN = r"^\.[a-z0-9.-]+$"

# What each pattern means, in the words a finding uses.
PATTERN_NAMES: Mapping[str, str] = MappingProxyType({
    ID_PATTERN: "an id (lowercase letters and digits joined by single hyphens)",
    AS_OF_PATTERN: "a date written YYYY, YYYY-MM or YYYY-MM-DD",
    DATE_PATTERN: "a date written YYYY-MM-DD",
    LINK_PATTERN: "an https link on a well-formed host (no trailing dot, a real top-level domain)",
    HOST_PATTERN: "a host name (lowercase letters, digits, dots and hyphens)",
    SUFFIX_PATTERN: "a host suffix starting with a dot",
})


class _Unset(str):
    """The default of a field a file must give but hand-built records may leave out."""


UNSET = _Unset("")
OPEN = _Unset("open")  # a TTA offer's status when a record is built by hand


def _given(value: Any) -> Any:
    if isinstance(value, _Unset):
        raise PydanticCustomError("missing", "is required")
    return value


def _unique(values: tuple[Any, ...]) -> tuple[Any, ...]:
    repeated = sorted({str(v) for v, n in Counter(values).items() if n > 1})
    if repeated:
        raise PydanticCustomError("not_unique", "lists '{value}' more than once",
                                  {"value": repeated[0]})
    return values


def _at_least(count: int) -> Any:
    """A list holding at least `count` items (checked once its items are valid, so a bad item
    is not also reported as a missing one)."""

    def check(items: Any) -> Any:
        if len(items) < count:
            raise PydanticCustomError("too_short", "needs at least {min_length} item(s)",
                                      {"min_length": count})
        return items

    return AfterValidator(check)


def _number(low: float | None = None, high: float | None = None) -> Any:
    """A number (an int stays an int) within optional bounds; true/false is not a number."""

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PydanticCustomError("number_type", "must be a number")
        if low is not None and value < low:
            raise PydanticCustomError("greater_than_equal", "must be at least {ge}",
                                      {"ge": low})
        if high is not None and value > high:
            raise PydanticCustomError("less_than_equal", "must be at most {le}", {"le": high})
        return value

    return PlainValidator(check)


def _int(low: int | None = None, high: int | None = None) -> Any:
    return Field(strict=True, ge=low, le=high)


Id = Annotated[str, StringConstraints(strict=True, pattern=ID_PATTERN, max_length=80)]
Text = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=2000)]
AsOf = Annotated[str, StringConstraints(strict=True, pattern=AS_OF_PATTERN)]
Date = Annotated[str, StringConstraints(strict=True, pattern=DATE_PATTERN)]
Link = Annotated[str, StringConstraints(strict=True, pattern=LINK_PATTERN)]
Bool = Annotated[bool, Strict()]
Number = Annotated[float, _number()]
Ids = Annotated[tuple[Id, ...], AfterValidator(_unique)]
Texts = tuple[Text, ...]
Flags = Texts
Money = Annotated[int, _int(0, 100_000_000)]
Fte = Annotated[float, _number(0, 100)]

Region = Literal["northeast", "midwest", "south", "west"]
Rurality = Literal["rural", "mixed", "urban"]
State = Literal["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID",
                "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO",
                "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA",
                "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY"]
OfferStatus = Literal["open", "recurring", "ended"]
EvidenceType = Literal["self_reported", "press", "program_evaluation", "peer_reviewed",
                       "quasi_experimental", "descriptive"]


def _index(items: Any) -> Mapping[str, Any]:
    return MappingProxyType({item.id: item for item in items})


if TYPE_CHECKING:
    ById = Mapping[str, T]  # a list in the file, read-only by id once read
    NonEmpty = tuple[T, ...]
    StateSet = frozenset[str]
else:
    class ById:
        """A list of records in the file; a read-only mapping by id once read."""

        def __class_getitem__(cls, item: Any) -> Any:
            return Annotated[tuple[item, ...], _at_least(1), AfterValidator(_index)]

    class NonEmpty:
        """A list in the file that holds at least one item."""

        def __class_getitem__(cls, item: Any) -> Any:
            return Annotated[tuple[item, ...], _at_least(1)]

    StateSet = Annotated[tuple[State, ...], _at_least(1), AfterValidator(_unique),
                         AfterValidator(frozenset)]


def _problems(found: list[tuple[str, str]]) -> None:
    """Raise the record's consistency problems as one error the loader splits into findings
    (field relative to the record, message)."""
    if found:
        raise PydanticCustomError("record_checks", "{count} problem(s)",
                                  {"count": len(found), "problems": tuple(found)})


def _set(record: Any, name: str, value: Any) -> None:
    object.__setattr__(record, name, value)


def _honest_dates(record: Any) -> list[tuple[str, str]]:
    """verified_on is the day a source confirmed the record; a record none has confirmed
    leaves it out and says so: the day of the attempt (checked_on) and a flag on what is
    unconfirmed."""
    if record.verified_on is not None:
        return []
    if record.checked_on is None or not record.flags:
        return [("verified_on", "is required, unless no source confirmed the record: then "
                                "give checked_on and a flag naming what is unconfirmed")]
    return []


# ------------------------------------------------------------------ sources and records


@with_config(FORBID)
@dataclass(frozen=True)
class Source:
    """Where a fact comes from."""

    label: Text
    url: Link
    # official, program, press, research, or mirror (a third-party copy; evidence only).
    kind: Literal["official", "program", "press", "research", "mirror"]
    date: AsOf | None = None


Sources = Annotated[tuple[Source, ...], _at_least(1)]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Record:
    """Fields every sourced knowledge record shares."""

    id: Id
    label: Text
    sources: Sources
    as_of: AsOf  # when the fact was true (YYYY, YYYY-MM or YYYY-MM-DD)
    flags: Flags = ()  # points no retrievable source confirmed; shown as unverified
    # For maintainers only, never shown to users: what was searched for and not found, what
    # was left out on purpose, how a record was classified. A note states no fact to users.
    notes: Flags = ()
    # The day a source confirmed the record's claims (YYYY-MM-DD); only then. A record no
    # source has confirmed leaves it out, and carries checked_on and a flag instead.
    verified_on: Date | None = None
    # The day someone last tried to check it (YYYY-MM-DD), confirmed or not.
    checked_on: Date | None = None

    @model_validator(mode="after")
    def _dated_honestly(self) -> Any:
        _problems(_honest_dates(self))
        return self
    # The day by which something the record calls pending, awaited, expected or upcoming was to
    # happen (a court ruling, a decision, a launch). Once it is past, `planner check` fails the
    # record until someone confirms what happened and rewrites it.
    pending_until: Date | None = None


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Fact(Record):
    """A problem, resource, partner or goal a community may report (kind: from its file)."""

    kind: str = ""
    description: Text
    provided_by: Ids = ()
    lead_type: Bool = False
    # Keys only some kinds take; the others refuse them as unknown keys.
    _kind: ClassVar[str] = ""
    _refused: ClassVar[tuple[str, ...]] = ("kind", "provided_by", "lead_type")

    @model_validator(mode="before")
    @classmethod
    def _refuse_other_kinds_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in cls._refused:
                if key in data:
                    raise PydanticCustomError("extra_forbidden", "unknown key '{key}'",
                                              {"key": key})
        return data

    @model_validator(mode="after")
    def _kind_from_file(self) -> Fact:
        if self._kind:
            _set(self, "kind", self._kind)
        return self


@dataclass(frozen=True, kw_only=True)
class Partner(Fact):
    _kind: ClassVar[str] = "partner"
    _refused: ClassVar[tuple[str, ...]] = ("kind", "provided_by")


@dataclass(frozen=True, kw_only=True)
class Resource(Fact):
    provided_by: Ids
    _kind: ClassVar[str] = "resource"
    _refused: ClassVar[tuple[str, ...]] = ("kind", "lead_type")


@dataclass(frozen=True, kw_only=True)
class Problem(Fact):
    _kind: ClassVar[str] = "problem"


@dataclass(frozen=True, kw_only=True)
class Goal(Fact):
    _kind: ClassVar[str] = "goal"


# ------------------------------------------------------------------ pathways


@with_config(FORBID)
@dataclass(frozen=True)
class CriticalElement:
    resource: Id
    why: Text


@with_config(FORBID)
@dataclass(frozen=True)
class PathwayPartner:
    partner: Id
    role: Text
    essential: Bool
    # Partners sharing a group are alternatives: one of them is essential, not each.
    essential_group: Id | None = None


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Pathway(Record):
    aliases: Texts = ()  # other names, older first
    order: Annotated[int, _int(1)]  # CHJ's order; also the tie-break
    framework: Literal["original", "added"]
    summary: Text = ""  # defaults to the definition
    definition: Text
    initiator: Text
    trigger: Text
    charges: Text
    target_population: Texts
    problems_addressed: Ids
    critical_elements: Annotated[tuple[CriticalElement, ...], _at_least(1)]
    partners: Annotated[tuple[PathwayPartner, ...], _at_least(1)]
    strengths: Texts
    challenges: Texts
    example_programs: Ids

    @model_validator(mode="after")
    def _check(self) -> Pathway:
        if not self.summary:
            _set(self, "summary", self.definition)
        groups: defaultdict[str, list[PathwayPartner]] = defaultdict(list)
        for partner in self.partners:
            if partner.essential_group:
                groups[partner.essential_group].append(partner)
        found = []
        for group, members in sorted(groups.items()):
            if len(members) < 2:
                found.append(("partners", f"essential group '{group}' needs at least two "
                                          "alternative partners"))
            found += [("partners", f"'{m.partner}' is in essential group '{group}', so mark "
                                   "it essential") for m in members if not m.essential]
        _problems(found)
        return self

    @property
    def element_ids(self) -> tuple[str, ...]:
        return tuple(c.resource for c in self.critical_elements)

    @property
    def partner_ids(self) -> tuple[str, ...]:
        return tuple(p.partner for p in self.partners)


# ------------------------------------------------------------------ programs and mentor sites


@with_config(FORBID)
@dataclass(frozen=True)
class Location:
    place: Text
    state: State
    region: Region
    rurality: Rurality
    population: Annotated[int, _int(1)] | None = None


@with_config(FORBID)
@dataclass(frozen=True)
class Outcome:
    metric: Text
    value: Text
    period: Text
    evidence_type: EvidenceType
    as_of: AsOf
    sources: Sources
    caveat: Text | None = None

    @property
    def self_reported(self) -> bool:
        return self.evidence_type in {"self_reported", "press"}


Year = Annotated[int, _int(1900, 2100)]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Program(Record):
    aliases: Texts = ()
    location: Location
    start_year: Year | None = None
    end_year: Year | None = None
    lead_agency: Id
    lead_agency_name: Text | None = None
    pathways: Ids
    # The pathway(s) the program is built around: what mentor and peer matching uses.
    primary_pathways: Ids
    # False when the lead agency type is a placeholder no source confirms.
    lead_agency_confirmed: Bool = True
    # Set when sources describe a weak or cautionary model: the lesson it teaches.
    cautionary: Text | None = None
    pathway_basis: Literal["chj", "editorial"]
    partners: Ids
    partner_names: Texts = ()
    summary: Text
    outcomes: tuple[Outcome, ...]
    link: Link | None = None
    # Read and checked, not used by the planner.
    eligibility: Text | None = None
    staffing: Text | None = None
    funding_history: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> Program:
        found = []
        if self.end_year and self.start_year and self.end_year < self.start_year:
            found.append(("end_year", "ends before it starts"))
        extra = sorted(set(self.primary_pathways) - set(self.pathways))
        if extra:
            found.append(("primary_pathways",
                          f"{', '.join(extra)} not among the program's pathways"))
        if not self.lead_agency_confirmed and not (self.flags or self.notes):
            found.append(("flags", "the lead agency is a placeholder (never shown), so the "
                                   "record must carry a flag or a note saying so"))
        _problems(found)
        return self

    @property
    def ended(self) -> bool:
        return self.end_year is not None


def _end_needs_status(record: Any) -> None:
    if record.ended_on and record.status != "ended":
        _problems([("ended_on", "an end date needs status: ended")])


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Initiative(Record):
    status: Literal["current", "ended"]
    summary: Text
    how_to_request: Text
    link: Link
    ended_on: Date | None = None  # when it stopped taking requests (when known)
    states: StateSet = frozenset()  # absent: nationwide

    @model_validator(mode="after")
    def _check(self) -> Initiative:
        _end_needs_status(self)
        return self

    @property
    def open(self) -> bool:
        return self.status == "current"


@with_config(FORBID)
@dataclass(frozen=True)
class Membership:
    initiative: Id
    cohort: Text
    status: Literal["current", "past", "unconfirmed"]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class MentorSite(Record):
    host_agency: Text
    program: Id
    location: Location
    lead_agency: Id
    pathways: Ids
    pathways_confirmed: Bool  # true when from the site's COSSUP page; false when inferred
    memberships: Annotated[tuple[Membership, ...], _at_least(1)]
    strengths: Texts = ()
    link: Link

    @model_validator(mode="after")
    def _check(self) -> MentorSite:
        if not self.pathways_confirmed and not (self.flags or self.notes):
            _problems([("flags", "pathways are not confirmed (shown as such), so the record "
                                 "must carry a flag or a note saying how they were inferred")])
        return self

    @property
    def current(self) -> bool:
        return any(m.status == "current" for m in self.memberships)


# ------------------------------------------------------------------ help and money


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class TTAResource(Record):
    provider: Text
    offers: Text
    format: Texts
    cost: Text
    how_to_request: Text | None = None
    helps_with: Ids  # resources (gaps) this TTA helps a community build
    pathways: Ids
    link: Link
    status: Annotated[OfferStatus, Field(validate_default=True),
                      BeforeValidator(_given)] = OPEN  # type: ignore[assignment]
    states: StateSet = frozenset()  # absent: nationwide
    ended_on: Date | None = None

    @model_validator(mode="after")
    def _check(self) -> TTAResource:
        _end_needs_status(self)
        return self


def federal_fiscal_year(today: date) -> int:
    """The US federal fiscal year containing today (FY N runs 1 October N-1 to 30 September N)."""
    return today.year + 1 if today.month >= 10 else today.year


def fiscal_year_start(year: int) -> date:
    return date(year - 1, 10, 1)


def fiscal_year_end(year: int) -> date:
    return date(year, 9, 30)


# Who may apply for (or ask for) a round of money. "state-pass-through": the state receives it
# and local programs ask a named state body for a share (the record's `apply_through`).
ApplicantKind = Literal["local-government", "first-responder-agency", "state",
                        "state-pass-through", "health-department", "tribe", "nonprofit"]
# A funding program's status on a day, computed from its cycles (never written by hand):
# open (a round is open), expected (a round is announced or expected to open later), closed
# (the last round has closed; the program may offer another), ended (its money has ended), or
# varies (no cycles: each funder sets its own, as with foundations).
FundingStatus = Literal["open", "expected", "closed", "ended", "varies"]
Dollars = Annotated[int, _int(0, 100_000_000_000)]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Cycle:
    """One round of a funding program.

    A `solicitation` is an application window (`opens` to `closes`); a `payments` cycle is a
    period in which money flows and can be asked for (settlement payments, an enhanced Medicaid
    match, a state's pass-through award). A solicitation without dates counts as closed once its
    fiscal year ends; a payments cycle without `closes` has no end on record.
    """

    kind: Literal["solicitation", "payments"] = "solicitation"
    fiscal_year: Annotated[int, _int(2000, 2100)] | None = None
    round: Text | None = None  # the solicitation number or the round's name
    total: Dollars | None = None  # all the money of the round, in dollars
    ceiling: Dollars | None = None  # the most one award can be, in dollars
    amount: Text | None = None  # a sum that is not a total or a ceiling (a match rate)
    opens: Date | None = None
    closes: Date | None = None
    expected: Bool = False  # the dates are expected, not announced
    applicants: Annotated[tuple[ApplicantKind, ...], _at_least(1), AfterValidator(_unique)]
    note: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> Cycle:
        found = []
        if self.opens and self.closes and self.opens > self.closes:
            found.append(("closes", "comes before opens"))
        if self.kind == "solicitation" and not (self.fiscal_year or self.closes):
            found.append(("fiscal_year", "a solicitation needs a fiscal year or a closing date"))
        if self.expected and not (self.opens or self.closes):
            found.append(("expected", "expected dates need opens or closes"))
        if self.total is not None and self.ceiling is not None and self.ceiling > self.total:
            found.append(("ceiling", "is more than the total"))
        _problems(found)
        return self

    @property
    def start(self) -> date | None:
        if self.opens:
            return date.fromisoformat(self.opens)
        return fiscal_year_start(self.fiscal_year) if self.fiscal_year else None

    @property
    def end(self) -> date | None:
        """The last day of the round (None: no end on record)."""
        if self.closes:
            return date.fromisoformat(self.closes)
        if self.kind == "payments" and self.opens:
            return None
        return fiscal_year_end(self.fiscal_year) if self.fiscal_year else None

    def open_on(self, day: date) -> bool:
        start, end = self.start, self.end
        return (start is None or start <= day) and (end is None or day <= end)

    def open_between(self, first: date, last: date) -> bool:
        """True when the round is open on some day from `first` to `last`."""
        start, end = self.start, self.end
        return (start is None or start <= last) and (end is None or first <= end)


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class FundingExample:
    """A grant one funder made to one program: an example to learn from, never an offer."""

    funder: Text
    recipient: Text
    amount: Dollars
    year: Annotated[int, _int(1990, 2100)]
    state: State | None = None


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Funding(Record):
    agency: Text
    kind: Literal["federal-competitive", "federal-formula", "state", "settlement",
                  "philanthropy", "medicaid"]
    listing: Text | None = None
    purpose: Text
    eligibility: Text
    cycles: tuple[Cycle, ...]
    # The body a local program asks when the money passes through the state.
    apply_through: Text | None = None
    ends_on: Date | None = None  # the last day its money can be had, when the law sets one
    last_fiscal_year: Annotated[int, _int(2000, 2100)] | None = None  # of a time-limited law
    examples: tuple[FundingExample, ...] = ()
    recurrence: Text
    pathways: Ids
    helps_with: Ids
    link: Link
    states: StateSet = frozenset()  # absent: nationwide

    @model_validator(mode="after")
    def _check(self) -> Funding:
        found = []
        if not self.cycles and self.kind != "philanthropy":
            found.append(("cycles", "needs at least one cycle (only philanthropy has none)"))
        needs_body = any("state-pass-through" in c.applicants for c in self.cycles)
        if needs_body and not self.apply_through:
            found.append(("apply_through", "pass-through money must name the state body to ask"))
        if self.kind in ("federal-competitive", "federal-formula") and any(
                c.fiscal_year is None for c in self.cycles):
            found.append(("cycles", "each federal cycle needs its fiscal year"))
        _problems(found)
        return self

    def status_on(self, day: date) -> FundingStatus:
        """The program's status on a day, from its cycles and end dates."""
        if self.ends_on and day > date.fromisoformat(self.ends_on):
            return "ended"
        if not self.cycles:
            return "varies"
        active = [c for c in self.cycles if c.open_on(day)]
        if active:
            return "open" if any(not c.expected for c in active) else "expected"
        if any(c.start is not None and c.start > day for c in self.cycles):
            return "expected"
        if self.last_fiscal_year and federal_fiscal_year(day) > self.last_fiscal_year:
            return "ended"
        return "closed"

    def last_cycle(self, day: date) -> Cycle | None:
        """The newest round that began on or before the day (by start, then fiscal year)."""
        begun = [c for c in self.cycles if c.start is None or c.start <= day]
        return max(begun, key=lambda c: (c.start or date.min, c.fiscal_year or 0),
                   default=None)

    def next_cycle(self, day: date) -> Cycle | None:
        """The first round that starts after the day."""
        later = [c for c in self.cycles if c.start is not None and c.start > day]
        return min(later, key=lambda c: (c.start or date.max), default=None)

    def past_dates(self, day: date) -> tuple[str, ...]:
        """What in the record hangs on a date now past: an expected round whose dates have
        come (confirm it or drop it), or a pending status whose date has gone by."""
        out = []
        for c in self.cycles:
            when = c.opens or c.closes
            if c.expected and when and date.fromisoformat(when) < day:
                out.append(f"a round expected {_day_words(when)} (FY{c.fiscal_year}) was never "
                           "confirmed")
        return tuple(out)


def _day_words(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d.strftime('%B')} {d.year}"


# Hosts a state record may link to: government domains (.gov, and the older state .us domains).
OFFICIAL_SUFFIXES = (".gov", ".us")


@with_config(FORBID)
@dataclass(frozen=True)
class StateLink:
    label: Text
    url: Link


# The year a state record's money belongs to: a state fiscal year (most states: July to June,
# named for the year it ends), a federal fiscal year (October to September) or a calendar year.
MoneyBasis = Literal["state-fiscal", "federal-fiscal", "calendar"]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class MoneyYear:
    """The year of the money a state record describes, and whether it is current.

    `current` is true only when a source confirmed, on the record's verified_on, that this money
    is still offered (an open or standing round, or payments that run on); a past round, or one
    no source showed to be still offered, is false. The plan shows the year and standing from
    these fields, never from the record's text.
    """

    year: Annotated[int, _int(1990, 2100)]
    basis: MoneyBasis
    current: Bool

    @property
    def label(self) -> str:
        if self.basis == "state-fiscal":
            return f"state fiscal year {self.year}"
        if self.basis == "federal-fiscal":
            return f"federal fiscal year {self.year}"
        return str(self.year)

    def years_before(self, day: date) -> int:
        """How many years of its basis lie between this money's year and the day's year."""
        if self.basis == "federal-fiscal":
            now = federal_fiscal_year(day)
        elif self.basis == "state-fiscal":
            now = day.year + 1 if day.month >= 7 else day.year
        else:
            now = day.year
        return now - self.year


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class StateContext(Record):
    """A state's deflection-relevant law or state money (knowledge/states.yaml)."""

    state: State
    # statute, state-grant (money communities can apply for), state-program, or settlement.
    kind: Literal["statute", "state-grant", "state-program", "settlement"]
    citation: Text | None = None
    administered_by: Text
    summary: Text
    requires: Text | None = None  # what it requires of communities
    funds: Text | None = None  # what the state money pays for
    money_year: MoneyYear | None = None  # required with `funds`: the money's year and standing
    pathways: Ids = ()
    links: Annotated[tuple[StateLink, ...], _at_least(1)]  # official pages only

    @model_validator(mode="after")
    def _check(self) -> StateContext:
        found = []
        if not (self.requires or self.funds):
            found.append(("requires", "say what the law or program requires or funds "
                                      "(requires and/or funds)"))
        if self.funds and self.money_year is None:
            found.append(("money_year", "is required with funds: the money's year (year, "
                                        "basis: state-fiscal, federal-fiscal or calendar) and "
                                        "whether a source confirmed it is still offered "
                                        "(current)"))
        if self.money_year is not None and not self.funds:
            found.append(("money_year", "belongs with funds: say what the money pays for"))
        for i, link in enumerate(self.links):
            host = (urlsplit(link.url).hostname or "").lower()
            if not host.endswith(OFFICIAL_SUFFIXES):
                found.append((f"links[{i}].url", "state links must be official government "
                                                 f"pages (.gov or .us), not {host}"))
        _problems(found)
        return self


# ------------------------------------------------------------------ tasks and measures


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Task(Record):
    description: Text
    phase: Literal["convene", "assess", "design", "agree", "prepare", "launch", "sustain"]
    duration_days: Annotated[int, _int(1, 365)]  # typical calendar days
    depends_on: Ids
    pathways: Ids  # empty: every pathway
    partners: Ids
    builds: Ids = ()
    # The partners whose function it is to lead the step (its domain), in order of
    # preference; required for a pathway-specific step, a subset of its partners.
    led_by: Ids = ()

    @model_validator(mode="after")
    def _led_within_partners(self) -> Task:
        found = [("led_by", f"'{p}' leads but is not one of the step's partners")
                 for p in self.led_by if p not in self.partners]
        if self.pathways and not self.led_by:
            found.append(("led_by", "a pathway-specific step names who leads it"))
        _problems(found)
        return self

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Measure(Record):
    description: Text
    kind: Literal["process", "outcome"]
    pathways: Ids  # empty: every pathway
    data_from: Ids

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways


# ------------------------------------------------------------------ questions


@with_config(FORBID)
@dataclass(frozen=True)
class Section:
    id: Id
    label: Text
    intro: Text


@with_config(FORBID)
@dataclass(frozen=True)
class Condition:
    question: Id
    any_of: Ids


@with_config(FORBID)
@dataclass(frozen=True)
class Option:
    id: Id
    label: Text
    hint: Text | None = None
    dont_know: Bool = False
    exclusive: Bool = False  # in a multi question, cannot be combined with other options
    neutral: Bool = False  # a deliberate answer that bears on no pathway
    indicates: Ids = ()  # facts this answer tells us the community has
    value: Id | None = None  # the profile value this answer gives

    @model_validator(mode="after")
    def _dont_know_is_exclusive(self) -> Option:
        if self.dont_know and not self.exclusive:
            _set(self, "exclusive", True)
        return self


WHO_KNOWS_MAX = 120
# Profile values a question may give without looking at another file.
PROFILE_VALUES: Mapping[str, frozenset[str]] = MappingProxyType({
    "state": frozenset({"northeast", "midwest", "south", "west"}),
    "rurality": frozenset({"rural", "mixed", "urban"}),
})


@with_config(FORBID)
@dataclass(frozen=True)
class Question:
    id: Id
    section: Id
    label: Text
    help: Text  # plain-language "why we ask"
    # "month": a month and year, stored as YYYY-MM.
    type: Literal["single", "multi", "text", "number", "month"]
    required: Bool = False
    # Marks the question that gives a profile attribute used for matching and the plan
    # ("start_month": the month the community hopes to start, which dates the plan).
    profile: Literal["community_name", "state", "population", "rurality", "lead_agency",
                     "running_pathways", "respondent_role", "start_month"] | None = None
    ask_when: tuple[Condition, ...] = ()  # ask only when every condition holds
    options: tuple[Option, ...] = ()
    max_length: Annotated[int, _int(1, 5000)] | None = None
    minimum: Number | None = None
    maximum: Number | None = None
    max_choices: Annotated[int, _int(1)] | None = None  # a multi question: at most this many
    # Who usually knows the answer, named when a "don't know" could change the top pathway.
    who_knows: Text | None = None
    # An optional question shown folded away in a closed <details> on its page, under this
    # summary line: it takes no room among the questions the page asks (the wizard's page rule).
    folded: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> Question:
        found = []
        if self.folded is not None and self.required:
            found.append(("folded", "a required question cannot be folded away"))
        if self.type in {"single", "multi"} and len(self.options) < 2:
            found.append(("options", "a choice question needs at least two options"))
        if self.max_choices is not None and self.type != "multi":
            found.append(("max_choices", "only a multi question takes max_choices"))
        if self.type in {"text", "number", "month"} and self.options:
            found.append(("options", f"a {self.type} question takes no options"))
        if self.who_knows is not None:
            problem = self._who_knows_problem(self.who_knows)
            if problem:
                found.append(("who_knows", problem))
        for option_id, n in Counter(o.id for o in self.options).items():
            if n > 1:
                found.append(("options", f"option id '{option_id}' is used {n} times"))
        for i, option in enumerate(self.options):
            if option.value is None or option.dont_know:
                continue
            if self.profile is None:
                found.append((f"options[{i}].value", "a value needs a profile question"))
            elif option.value not in PROFILE_VALUES.get(self.profile, {option.value}):
                found.append((f"options[{i}].value",
                              f"'{option.value}' is not a valid {self.profile} value"))
        _problems(found)
        return self

    def _who_knows_problem(self, text: str) -> str | None:
        """Why `who_knows` cannot be shown as it is, if it cannot."""
        if not any(o.dont_know for o in self.options):
            return "only a question with a \"don't know\" option takes who_knows"
        if len(text) > WHO_KNOWS_MAX:
            return f"is longer than {WHO_KNOWS_MAX} characters"
        if text != " ".join(text.split()) or re.search(r"[<>{}\[\]*_`|]|https?:|www\.", text):
            return "must be plain text on one line (no markup, links or extra spaces)"
        return None

    @property
    def has_options(self) -> bool:
        return self.type in {"single", "multi"}

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


if TYPE_CHECKING:
    OptionMap = Mapping[str, str]
else:
    OptionMap = Annotated[Mapping[Id, Id], AfterValidator(MappingProxyType)]


class CopyStep(NamedTuple):
    """Fill question `to` from an old answer to question `from`, option to option."""

    source: Annotated[Id, Field(alias="from")]
    to: Id
    options: OptionMap


class RenameStep(NamedTuple):
    """Move a question's answers from old options to new ones."""

    question: Id
    options: OptionMap


@with_config(FORBID)
@dataclass(frozen=True)
class QuestionChange:
    """How answers written for the questions version before `version` are carried over."""

    version: Annotated[int, _int(2)]
    summary: Text
    # (from question, to question, {old option: new option})
    copy: tuple[CopyStep, ...] = ()
    # (question, {old option: new option})
    rename: tuple[RenameStep, ...] = ()


# ------------------------------------------------------------------ scoring and matching

JUDGEMENT = "planner's own judgement"


@with_config(FORBID)
@dataclass(frozen=True)
class Rule:
    """One weighted bearing of an answer (or a fact it indicates) on one pathway."""

    id: Id
    pathway: Id
    weight: Annotated[int, _int(-30, 30)]
    rationale: Text
    fact: Id | None = None
    question: Id | None = None
    option: Id | None = None
    sources: Sources = ()

    @model_validator(mode="after")
    def _check(self) -> Rule:
        found = []
        if self.weight == 0:
            found.append(("weight", "must not be 0"))
        if self.fact is not None and (self.question is not None or self.option is not None):
            found.append(("", "a rule is on a fact or on a question and option, not both"))
        elif self.fact is None and (self.question is None or self.option is None):
            found.append(("", "a rule needs a fact, or a question and an option"))
        if not self.sources and JUDGEMENT not in self.rationale.lower():
            found.append(("rationale", "cite a source, or say in the rationale that it is the "
                                       "planner's own judgement"))
        _problems(found)
        return self


@with_config(FORBID)
@dataclass(frozen=True)
class Band:
    id: Id
    label: Text
    min: Annotated[float, _number(0, 100)]


@with_config(FORBID)
@dataclass(frozen=True)
class BuildOn:
    points_per_shared_element: Annotated[float, _number(0, 20)]
    max_points: Annotated[float, _number(0, 100)]
    rationale: Text


def _bands_high_first(bands: tuple[Band, ...]) -> tuple[Band, ...]:
    if min(b.min for b in bands) != 0:
        raise PydanticCustomError("lowest_band", "the lowest band must start at 0")
    return tuple(sorted(bands, key=lambda b: -b.min))


if TYPE_CHECKING:
    Bands = tuple[Band, ...]
else:
    Bands = Annotated[tuple[Band, ...], _at_least(2), AfterValidator(_bands_high_first)]


@with_config(FORBID)
@dataclass(frozen=True)
class ChanceModel:
    """How the chance each pathway comes first is worked out (see engine/chance.py): rank
    acceptability, as in stochastic multicriteria acceptability analysis, and the one rule
    that turns it into the label."""

    samples: Annotated[int, _int(100, 100_000)]
    seed: Annotated[int, _int(0, 4_294_967_295)]
    # Each weight is drawn as a whole number, evenly, from the weight minus this share of it
    # to the weight plus this share (rounded half up), so a weight never changes sign.
    weight_spread: Annotated[float, _number(0, 1)]
    unknown_answers: Text
    # A clear lead when the top pathway's chance of coming first, in whole percent as
    # shown, is at least this share; otherwise a close call.
    clear_lead: Annotated[float, _number(0.5, 1)]
    rationale: Text

    @property
    def clear_lead_percent(self) -> int:
        """The clear-lead threshold in whole percent (the unit the chance is shown in)."""
        return int(self.clear_lead * 100 + 0.5)


@with_config(FORBID)
@dataclass(frozen=True)
class ScoringModel:
    bands: Bands  # highest first
    # Points; no single question, answered from blank, may move one pathway against another
    # by this much, so a lead this wide rests on more than one answer.
    close_call_margin: Annotated[float, _number(0, 50)]
    tie_break: Text
    chance: ChanceModel
    build_on: BuildOn
    rationale: Text
    sources: Sources
    as_of: AsOf

    @property
    def build_on_points(self) -> float:
        return self.build_on.points_per_shared_element

    @property
    def build_on_max(self) -> float:
        return self.build_on.max_points

    @property
    def build_on_rationale(self) -> str:
        return self.build_on.rationale

    def band_for(self, score: float) -> Band:
        return next((b for b in self.bands if score >= b.min), self.bands[-1])


@with_config(FORBID)
@dataclass(frozen=True)
class Criterion:
    weight: Annotated[float, _number(0, 100)]
    rationale: Text


@with_config(FORBID)
@dataclass(frozen=True)
class Criteria:
    """The weighed criteria of one kind of match; read as a mapping by criterion name."""

    pathway: Criterion
    lead_agency: Criterion
    population: Criterion
    rurality: Criterion
    region: Criterion
    current: Criterion | None = None
    shared_resources: Criterion | None = None


def _criteria(block: Criteria) -> Mapping[str, Criterion]:
    return MappingProxyType({k: v for k, v in vars(block).items() if v is not None})


def _buckets(buckets: tuple[PopulationBucket, ...]) -> tuple[PopulationBucket, ...]:
    maxima = [b.max for b in buckets]
    if any(m is None for m in maxima[:-1]) or maxima[-1] is not None:
        raise PydanticCustomError("buckets", "only the last bucket may be open-ended")
    numbers = [m for m in maxima if m is not None]
    if numbers != sorted(set(numbers)):
        raise PydanticCustomError("buckets", "bucket limits must rise")
    return buckets


@with_config(FORBID)
@dataclass(frozen=True)
class PopulationBucket:
    id: Id
    label: Text
    max: Annotated[int, _int(1)] | None  # None: open-ended (the last bucket only)


if TYPE_CHECKING:
    CriteriaMap = Mapping[str, Criterion]
    Buckets = tuple[PopulationBucket, ...]
else:
    CriteriaMap = Annotated[Criteria, AfterValidator(_criteria)]
    Buckets = Annotated[tuple[PopulationBucket, ...], _at_least(2),
                        AfterValidator(_buckets)]


@with_config(FORBID)
@dataclass(frozen=True)
class LeadFamily:
    """Kinds of lead agency near each other (police and sheriff: law enforcement): a program
    led by another member earns `share` of the lead-agency weight."""

    id: Id
    label: Text
    members: Annotated[Ids, _at_least(2)]
    share: Annotated[float, _number(0, 1)]
    rationale: Text


@with_config(FORBID)
@dataclass(frozen=True)
class Matching:
    population_buckets: Buckets
    mentor_criteria: CriteriaMap
    program_criteria: CriteriaMap
    rationale: Text
    lead_families: tuple[LeadFamily, ...] = ()

    def lead_family(self, first: str, second: str) -> LeadFamily | None:
        """The family two different kinds of lead agency share, if any (the first listed)."""
        return next((f for f in self.lead_families
                     if first != second and first in f.members and second in f.members), None)

    def bucket_for(self, population: int | None) -> str | None:
        if population is None:
            return None
        for bucket in self.population_buckets:
            if bucket.max is None or population <= bucket.max:
                return bucket.id
        return self.population_buckets[-1].id


# ------------------------------------------------------------------ costs


def _low_high(record: Any, where: str = "low", what: str = "low is above high") -> \
        list[tuple[str, str]]:
    return [(where, what)] if record.low > record.high else []


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class _Costed:
    """Fields every cost record shares."""

    sources: Sources
    as_of: AsOf
    verified_on: Date | None = None
    checked_on: Date | None = None
    flags: Flags = ()
    notes: Flags = ()  # for maintainers only, as on Record

    @model_validator(mode="after")
    def _dated_honestly(self) -> Any:
        _problems(_honest_dates(self))
        return self


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class CostRole(_Costed):
    """A staff role with the national median wage of its matching occupation."""

    id: Id
    label: Text
    occupation: Text
    annual_wage: Money
    year: Annotated[int, _int(2000, 2100)]
    statistic: Text


@with_config(FORBID)
@dataclass(frozen=True)
class FteRange:
    role: Id
    low: Fte
    high: Fte


@with_config(FORBID)
@dataclass(frozen=True)
class StaffBand:
    band: Id
    roles: Annotated[tuple[FteRange, ...], _at_least(1)]


def _staff_bands(bands: tuple[StaffBand, ...]) -> Mapping[str, tuple[FteRange, ...]]:
    return MappingProxyType({b.band: b.roles for b in bands})


if TYPE_CHECKING:
    StaffBands = Mapping[str, tuple[FteRange, ...]]
else:
    StaffBands = Annotated[tuple[StaffBand, ...], _at_least(1)]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Staffing(_Costed):
    """The staffing model of one pathway, by population band."""

    id: Id
    pathway: Id
    # program (FTE numbers follow a real program's published staffing) or estimate.
    basis: Literal["program", "estimate"]
    programs: Ids
    note: Text
    bands: StaffBands

    @model_validator(mode="after")
    def _check(self) -> Staffing:
        raw: tuple[StaffBand, ...] = self.bands  # type: ignore[assignment]
        found = []
        if self.basis == "program" and not self.programs:
            found.append(("programs", "a staffing model based on programs must name them"))
        for band, n in sorted(Counter(b.band for b in raw).items()):
            if n > 1:
                found.append(("bands", f"band '{band}' is given {n} times"))
        for i, b in enumerate(raw):
            found += [(f"bands[{i}].roles[{j}]", "low FTE is above high FTE")
                      for j, fte in enumerate(b.roles) if fte.low > fte.high]
        _problems(found)
        _set(self, "bands", _staff_bands(raw))
        return self


@with_config(FORBID)
@dataclass(frozen=True)
class BandAmount:
    band: Id
    low: Money
    high: Money


if TYPE_CHECKING:
    BandAmounts = Mapping[str, tuple[int, int]]
else:
    BandAmounts = tuple[BandAmount, ...]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class NonStaffCost(_Costed):
    """A yearly cost that is not a wage (vehicle, naloxone, data system, training)."""

    id: Id
    label: Text
    pathways: Ids
    low: Money
    high: Money
    by_band: BandAmounts = field(default_factory=lambda: MappingProxyType({}))
    explanation: Text
    unit_price: Money | None = None  # read and checked, not used by the planner

    @model_validator(mode="after")
    def _check(self) -> NonStaffCost:
        raw: tuple[BandAmount, ...] = tuple(self.by_band)  # type: ignore[arg-type]
        found = _low_high(self)
        found += [(f"by_band[{i}]", "low is above high")
                  for i, b in enumerate(raw) if b.low > b.high]
        _problems(found)
        _set(self, "by_band", MappingProxyType({b.band: (b.low, b.high) for b in raw}))
        return self

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways

    def amounts(self, band: str) -> tuple[int, int]:
        return self.by_band.get(band, (self.low, self.high))


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Benefits(_Costed):
    id: Id
    label: Text
    low: Annotated[float, _number(0, 2)]
    high: Annotated[float, _number(0, 2)]
    explanation: Text

    @model_validator(mode="after")
    def _check(self) -> Benefits:
        _problems(_low_high(self))
        return self


@with_config(FORBID)
@dataclass(frozen=True)
class LocalQuestions:
    """Wizard questions whose number answers replace national figures."""

    wage: Id | None = None
    wage_roles: Ids = ()
    budget: Id | None = None
    # The typical one-way miles to the nearest treatment (the transport line, `mileage`).
    treatment_miles: Id | None = None


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class Mileage(_Costed):
    """The mileage rate of the transport line, added when trips to treatment are long."""

    id: Literal["transport"]  # the line's id (planner.engine.costs.TRANSPORT)
    label: Text
    rate: Annotated[float, _number(0, 10)]  # dollars a mile
    year: Annotated[int, _int(2000, 2100)]
    statistic: Text
    long_trip_miles: Annotated[int, _int(1, 1000)]  # one way, at or above: a long trip
    threshold: Text  # why that many miles
    explanation: Text  # how the trips are counted
    # Round trips a year by population band, for a pathway with no sizing model (the
    # planner's stated assumption, `trips_assumption`, in words).
    trips_by_band: BandAmounts = field(default_factory=lambda: MappingProxyType({}))
    trips_assumption: Text

    @model_validator(mode="after")
    def _check(self) -> Mileage:
        raw: tuple[BandAmount, ...] = tuple(self.trips_by_band)  # type: ignore[arg-type]
        _problems([(f"trips_by_band[{i}]", "low is above high")
                   for i, b in enumerate(raw) if b.low > b.high])
        _set(self, "trips_by_band", MappingProxyType({b.band: (b.low, b.high) for b in raw}))
        return self


def _by_pathway(items: tuple[Staffing, ...]) -> Mapping[str, Staffing]:
    return MappingProxyType({s.pathway: s for s in items})


if TYPE_CHECKING:
    StaffingMap = Mapping[str, Staffing]
else:
    StaffingMap = Annotated[tuple[Staffing, ...], _at_least(1)]


@with_config(FORBID)
@dataclass(frozen=True)
class CostModel:
    """Staffing models and unit costs (knowledge/costs.yaml): national figures.

    The file's lists are read by id (roles) and by pathway (staffing)."""

    notice: Text
    roles: ById[CostRole]
    benefits: Benefits
    staffing: StaffingMap  # by pathway id
    non_staff: tuple[NonStaffCost, ...]
    local_questions: LocalQuestions = LocalQuestions()
    mileage: Mileage | None = None

    @model_validator(mode="after")
    def _by_pathway(self) -> CostModel:
        _set(self, "staffing", _by_pathway(self.staffing))  # type: ignore[arg-type]
        return self

    @property
    def wage_question(self) -> str | None:
        return self.local_questions.wage

    @property
    def wage_roles(self) -> tuple[str, ...]:
        return self.local_questions.wage_roles

    @property
    def budget_question(self) -> str | None:
        return self.local_questions.budget


# ------------------------------------------------------------------ starter documents


@with_config(FORBID)
@dataclass(frozen=True)
class StarterSection:
    heading: Text
    items: Annotated[tuple[Text, ...], _at_least(1)]


@with_config(FORBID)
@dataclass(frozen=True)
class SampleLink:
    label: Text
    link: Link
    publisher: Text


PLACEHOLDERS = frozenset({"community", "pathway", "lead", "partners", "missing"})


def _placeholder_problem(text: str) -> str | None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        return f"bad placeholder: {exc}"
    unknown = sorted(names - PLACEHOLDERS)
    return f"unknown placeholder {{{unknown[0]}}}" if unknown else None


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class StarterDocument(_Costed):
    """A starter document outline (knowledge/starter_documents.yaml), in our own words."""

    id: Id
    label: Text
    kind: Literal["mou", "data-sharing", "procedure", "form"]
    pathways: Ids
    purpose: Text
    sections: Annotated[tuple[StarterSection, ...], _at_least(1)]
    samples: tuple[SampleLink, ...]  # official or field samples to compare against
    caution: Text

    @model_validator(mode="after")
    def _check(self) -> StarterDocument:
        texts = [("purpose", self.purpose)] + [
            (f"sections[{i}].items[{j}]", item)
            for i, section in enumerate(self.sections) for j, item in enumerate(section.items)
        ]
        found = [(where, problem) for where, text in texts
                 if (problem := _placeholder_problem(text))]
        _problems(found)
        return self

    def applies_to(self, pathway_id: str) -> bool:
        return not self.pathways or pathway_id in self.pathways


# ------------------------------------------------------------------ whole files


@with_config(FORBID)
@dataclass(frozen=True)
class PathwaysFile:
    pathways: NonEmpty[Pathway]


@with_config(FORBID)
@dataclass(frozen=True)
class PartnersFile:
    partners: NonEmpty[Partner]


@with_config(FORBID)
@dataclass(frozen=True)
class ResourcesFile:
    resources: NonEmpty[Resource]


@with_config(FORBID)
@dataclass(frozen=True)
class ProblemsFile:
    problems: NonEmpty[Problem]


@with_config(FORBID)
@dataclass(frozen=True)
class GoalsFile:
    goals: NonEmpty[Goal]


@with_config(FORBID)
@dataclass(frozen=True)
class QuestionsFile:
    version: Annotated[int, _int(1)]  # raised when a question or option id changes meaning
    sections: NonEmpty[Section]
    questions: NonEmpty[Question]
    changes: tuple[QuestionChange, ...] = ()


@with_config(FORBID)
@dataclass(frozen=True)
class ScoringFile:
    model: ScoringModel
    rules: NonEmpty[Rule]


@with_config(FORBID)
@dataclass(frozen=True)
class ProgramsFile:
    programs: NonEmpty[Program]


@with_config(FORBID)
@dataclass(frozen=True)
class MentorSitesFile:
    initiatives: NonEmpty[Initiative]
    mentor_sites: NonEmpty[MentorSite]


@with_config(FORBID)
@dataclass(frozen=True)
class TTAFile:
    tta_resources: NonEmpty[TTAResource]


@with_config(FORBID)
@dataclass(frozen=True)
class FundingFile:
    funding: NonEmpty[Funding]


@with_config(FORBID)
@dataclass(frozen=True)
class TasksFile:
    tasks: NonEmpty[Task]


@with_config(FORBID)
@dataclass(frozen=True)
class MeasuresFile:
    measures: NonEmpty[Measure]


Host = Annotated[str, StringConstraints(strict=True, pattern=HOST_PATTERN)]
Suffix = Annotated[str, StringConstraints(strict=True, pattern=SUFFIX_PATTERN)]


@with_config(FORBID)
@dataclass(frozen=True)
class LinksFile:
    """Hosts that hold third-party copies (mirrors) or list others' offers (aggregators)."""

    mirror_hosts: Annotated[tuple[Host, ...], AfterValidator(_unique)]
    aggregator_hosts: Annotated[tuple[Host, ...], AfterValidator(_unique)]
    mirror_host_suffixes: Annotated[tuple[Suffix, ...], AfterValidator(_unique)]


@with_config(FORBID)
@dataclass(frozen=True)
class StatesFile:
    """Each state's deflection-relevant law and state money; a community sees its own."""

    states: NonEmpty[StateContext]


@with_config(FORBID)
@dataclass(frozen=True)
class StarterDocumentsFile:
    documents: NonEmpty[StarterDocument]


# File stem -> the declaration its content must match. Every file is required.
FILE_MODELS: Mapping[str, type] = MappingProxyType({
    "pathways": PathwaysFile,
    "partners": PartnersFile,
    "resources": ResourcesFile,
    "problems": ProblemsFile,
    "goals": GoalsFile,
    "questions": QuestionsFile,
    "scoring": ScoringFile,
    "matching": Matching,
    "programs": ProgramsFile,
    "mentor_sites": MentorSitesFile,
    "tta_resources": TTAFile,
    "funding": FundingFile,
    "tasks": TasksFile,
    "measures": MeasuresFile,
    "links": LinksFile,
    "states": StatesFile,
    "costs": CostModel,
    "starter_documents": StarterDocumentsFile,
})


# ------------------------------------------------------------------ the knowledge base


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
    sizing: SizingModel | None = None  # knowledge/sizing.yaml (issue 30)

    @property
    def pathways_in_order(self) -> tuple[Pathway, ...]:
        return tuple(sorted(self.pathways.values(), key=lambda p: (p.order, p.id)))

    def facts_of_kind(self, kind: str) -> tuple[Fact, ...]:
        return tuple(f for f in self.facts.values() if f.kind == kind)

    def profile_question(self, key: str) -> Question | None:
        return next((q for q in self.questions.values() if q.profile == key), None)


def build_knowledge(files: Mapping[str, Any], root: str = "") -> Knowledge:
    """Assemble the knowledge base from validated files (FILE_MODELS instances) by stem."""
    facts: list[Fact] = [*files["partners"].partners, *files["resources"].resources,
                         *files["problems"].problems, *files["goals"].goals]
    questions: QuestionsFile = files["questions"]
    mentor: MentorSitesFile = files["mentor_sites"]
    return Knowledge(
        pathways=_index(files["pathways"].pathways),
        facts=_index(facts),
        sections=questions.sections,
        questions=_index(questions.questions),
        questions_version=questions.version,
        question_changes=tuple(sorted(questions.changes, key=lambda c: c.version)),
        rules=files["scoring"].rules,
        model=files["scoring"].model,
        matching=files["matching"],
        programs=_index(files["programs"].programs),
        initiatives=_index(mentor.initiatives),
        mentor_sites=_index(mentor.mentor_sites),
        tta=_index(files["tta_resources"].tta_resources),
        funding=_index(files["funding"].funding),
        tasks=_index(files["tasks"].tasks),
        measures=_index(files["measures"].measures),
        root=root,
        states=_index(files["states"].states if "states" in files else ()),
        costs=files.get("costs"),
        starter_documents=(files["starter_documents"].documents
                           if "starter_documents" in files else ()),
        sizing=files.get("sizing"),
    )


# ------------------------------------------------------------------ sizing (issue 30)
# knowledge/sizing.yaml: the rates, measured funnels and caseloads a pathway's size is
# estimated from (planner.engine.sizing). Declared here, after the knowledge base, so the
# file joins FILE_MODELS below and the Knowledge record carries it as `sizing`.

SizingUnit = Literal["per-100k", "people", "share", "months", "people-a-year",
                     "people-at-a-time", "fte"]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class SizingAssumption(_Costed):
    """One sourced figure, a low-high range in its unit."""

    id: Id
    label: Text
    unit: SizingUnit
    low: Annotated[float, _number(0, 100_000_000)]
    high: Annotated[float, _number(0, 100_000_000)]
    explanation: Text

    @model_validator(mode="after")
    def _check(self) -> SizingAssumption:
        found = _low_high(self)
        if self.unit == "share" and self.high > 1:
            found.append(("high", "a share is at most 1"))
        if self.unit in {"people-a-year", "people-at-a-time", "months", "fte"} and self.low <= 0:
            found.append(("low", "must be above 0"))
        _problems(found)
        return self


@with_config(FORBID)
@dataclass(frozen=True)
class BandPopulation:
    band: Id
    low: Annotated[int, _int(1)]
    high: Annotated[int, _int(1)]


@with_config(FORBID)
@dataclass(frozen=True, kw_only=True)
class PopulationBands(_Costed):
    """The population range assumed for each population band when no count is given."""

    id: Id
    label: Text
    unit: Literal["people"]
    bands: Annotated[tuple[BandPopulation, ...], _at_least(1)]
    explanation: Text

    @model_validator(mode="after")
    def _check(self) -> PopulationBands:
        _problems([(f"bands[{i}]", "low is above high")
                   for i, b in enumerate(self.bands) if b.low > b.high])
        return self

    def of(self, band: str) -> BandPopulation | None:
        return next((b for b in self.bands if b.band == band), None)


@with_config(FORBID)
@dataclass(frozen=True)
class SizingContacts:
    label: Text
    rate: Id  # an assumption in per-100k
    # the community's own yearly count (an optional number question); None where the
    # wizard asks for no such count (the community can still give its own figure by id)
    count_question: Id | None = None


@with_config(FORBID)
@dataclass(frozen=True)
class SizingFunnel:
    referred: Id  # share of contacts
    engaged: Id  # share of referred
    treatment: Id  # share of engaged


@with_config(FORBID)
@dataclass(frozen=True)
class SizingStaff:
    """Direct staff: people a year per full-time post (`reach`), or an active caseload and
    the months each person stays (`caseload` and `months`), applied to one funnel step.
    `roles` (costs.yaml role ids) share the direct FTE in the proportions of the cost
    model's staffing for the band. `minimum` (an assumption in fte) is the smallest direct
    team the pathway can run with: the direct FTE never falls below it."""

    per: Literal["contacts", "referred", "engaged"]
    roles: Annotated[tuple[Id, ...], _at_least(1), AfterValidator(_unique)]
    reach: Id | None = None
    caseload: Id | None = None
    months: Id | None = None
    minimum: Id | None = None

    @model_validator(mode="after")
    def _check(self) -> SizingStaff:
        if (self.reach is None) == (self.caseload is None):
            _problems([("", "give either reach, or caseload and months")])
        if (self.caseload is None) != (self.months is None):
            _problems([("months", "caseload and months go together")])
        return self


@with_config(FORBID)
@dataclass(frozen=True)
class SizingPathway:
    pathway: Id
    contacts: SizingContacts
    funnel: SizingFunnel
    staff: SizingStaff


@with_config(FORBID)
@dataclass(frozen=True)
class SizingQuestions:
    population: Id | None = None


@with_config(FORBID)
@dataclass(frozen=True)
class SizingModel:
    """knowledge/sizing.yaml: assumptions by id, the pathways that can be sized."""

    notice: Text
    population_bands: PopulationBands
    assumptions: ById[SizingAssumption]
    pathways: Annotated[tuple[SizingPathway, ...], _at_least(1)]
    questions: SizingQuestions = SizingQuestions()

    @model_validator(mode="after")
    def _check(self) -> SizingModel:
        known = set(self.assumptions)
        found = []
        for i, p in enumerate(self.pathways):
            named = [("contacts.rate", p.contacts.rate),
                     ("funnel.referred", p.funnel.referred),
                     ("funnel.engaged", p.funnel.engaged),
                     ("funnel.treatment", p.funnel.treatment),
                     ("staff.reach", p.staff.reach), ("staff.caseload", p.staff.caseload),
                     ("staff.months", p.staff.months), ("staff.minimum", p.staff.minimum)]
            found += [(f"pathways[{i}].{where}", f"no assumption '{aid}'")
                      for where, aid in named if aid is not None and aid not in known]
            floor = p.staff.minimum
            if floor is not None and floor in known and self.assumptions[floor].unit != "fte":
                found.append((f"pathways[{i}].staff.minimum",
                              f"assumption '{floor}' must be in fte"))
        _problems(found)
        return self

    def for_pathway(self, pathway_id: str) -> SizingPathway | None:
        return next((p for p in self.pathways if p.pathway == pathway_id), None)


FILE_MODELS = MappingProxyType({**FILE_MODELS, "sizing": SizingModel})
