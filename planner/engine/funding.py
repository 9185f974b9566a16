"""Money that can be had: each funding program's standing on the plan's dates, worked out once.

A funding record goes to the council as an application to make (`FundingFit.to_apply`) only
when all of these hold:
- a round is open, or expected to open, between the day the plan is made and its launch;
- the community's kind of applicant can apply to that round: its city or county government
  (and, by the lead agency, a first responder agency, a health department or a nonprofit), or
  the money passes through the state, whose named body the community asks;
- the money outlasts the launch (a program whose money ends before the launch is not counted).
Anything else is shown as "not open now", with the last round and when it may reopen, or left
out (money that has ended). A foundation's grant to one program is an example, never an offer.
Every page and export shows these values; none works them out again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.engine.matching import Match
from planner.engine.profile import CommunityProfile
from planner.knowledge.model import (
    Cycle,
    Funding,
    Knowledge,
    StateContext,
    federal_fiscal_year,
)

# The lead agency types that are themselves first responder agencies, health departments or
# nonprofits (partners.yaml ids); a community's city or county government can always apply.
FIRST_RESPONDERS = frozenset({"police", "sheriff", "fire-ems"})
HEALTH_DEPARTMENTS = frozenset({"public-health"})
NONPROFITS = frozenset({"community-organization", "treatment-provider"})


@dataclass(frozen=True)
class PlanDates:
    """The days a plan's money is judged on: the day it is made, its start and its launch."""

    today: dt.date
    start: dt.date
    launch: dt.date


@dataclass(frozen=True)
class FundingFit(Match):
    """A matched funding program with its standing on the plan's dates.

    `route`: "direct" (the community applies), "through-state" (it asks the named state body),
    "health-department" (only a health department applies), "others" (only states or tribes
    apply) or "example" (no rounds: foundations, shown only through labeled examples).
    """

    status: str = ""  # on the day the plan is made: open, expected, closed, ended or varies
    route: str = ""
    to_apply: bool = False
    how: str = ""  # who applies, in words
    when: str = ""  # the status in words, with its dates
    amount: str = ""  # the newest round's money, with its fiscal year
    examples: tuple[str, ...] = ()  # labeled examples of grants to other programs
    application: str = ""  # the decision asked of the council ("" unless to_apply)


def applicant_kinds(who: CommunityProfile) -> frozenset[str]:
    """The kinds of applicant a community can put forward (model.ApplicantKind values)."""
    kinds = {"local-government"}
    lead = who.lead_agency
    if lead in FIRST_RESPONDERS:
        kinds.add("first-responder-agency")
    if lead in HEALTH_DEPARTMENTS:
        kinds.add("health-department")
    if lead in NONPROFITS:
        kinds.add("nonprofit")
    return frozenset(kinds)


def day_words(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def dollars(amount: int) -> str:
    """$550,000; $15.95M; $1.48B."""
    if amount >= 1_000_000_000:
        return f"${amount / 1_000_000_000:.2f}".rstrip("0").rstrip(".") + "B"
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    return f"${amount:,}"


def cycle_amount(cycle: Cycle) -> str:
    """A round's money in words, led by its fiscal year."""
    parts = []
    if cycle.ceiling is not None:
        parts.append(f"up to {dollars(cycle.ceiling)} per award")
    if cycle.total is not None:
        parts.append(f"{dollars(cycle.total)} in all")
    if cycle.amount:
        parts.append(cycle.amount)
    if not parts:
        return ""
    year = f"FY{cycle.fiscal_year}: " if cycle.fiscal_year else ""
    return year + "; ".join(parts)


def _route(fund: Funding, cycles: list[Cycle], kinds: frozenset[str]) -> str:
    applicants = {a for c in cycles for a in c.applicants}
    if not fund.cycles:
        return "example"
    if applicants & kinds:
        return "direct"
    if "state-pass-through" in applicants:
        return "through-state"
    if "health-department" in applicants:
        return "health-department"
    return "others"


def _how(fund: Funding, route: str, kinds: frozenset[str], status: str) -> str:
    if status == "ended":
        return ""  # the status says whom to ask about what remains
    if route == "direct" and fund.kind == "settlement":
        return ("Your city or county government receives its share directly or asks its "
                "state's opioid abatement council for an allocation.")
    if route == "direct":
        if "first-responder-agency" in kinds and "local-government" in kinds:
            return ("Your city or county government applies (a police, sheriff's or fire "
                    "department applies through it).")
        return "Your city or county government applies."
    if route == "through-state":
        return f"Apply through {fund.apply_through}, not to the federal agency."
    if route == "health-department":
        return ("Your health department applies; other partners receive sub-awards or "
                "contracts from it.")
    if route == "others":
        return "Only states or tribes apply."
    return "No set rounds: each funder sets its own."


def _years(cycles: tuple[Cycle, ...]) -> str:
    years = sorted({c.fiscal_year for c in cycles if c.fiscal_year})
    if not years:
        return ""
    return f"FY{years[0]}" if len(years) == 1 else f"FY{years[0]}\u2013FY{years[-1]}"


def _when(fund: Funding, status: str, dates: PlanDates, money_ends_first: bool) -> str:
    today = dates.today
    if fund.ends_on and status == "ended":
        return f"Ended: its money ran out on {day_words(dt.date.fromisoformat(fund.ends_on))}."
    if status == "ended" and fund.last_fiscal_year:
        words = (f"Ended: the law funded it for {_years(fund.cycles)} only; no new money after "
                 f"FY{fund.last_fiscal_year}.")
        if fund.apply_through:
            words += f" Ask {fund.apply_through} whether any earlier money remains."
        return words
    if status == "varies":
        return "No set rounds: each funder sets its own."
    if status == "open":
        live = [c for c in fund.cycles if c.open_on(today)]
        ends = [c.end for c in live if c.end is not None]
        words = ("Money is available now" if all(c.kind == "payments" for c in live)
                 else "Open now")
        if money_ends_first and fund.ends_on:
            return (f"{words}, but only until {day_words(dt.date.fromisoformat(fund.ends_on))}, "
                    f"before your launch ({day_words(dates.launch)}): do not count on it.")
        words += f", until {day_words(max(ends))}" if ends and len(ends) == len(live) else ""
        return words + "."
    if status == "expected":
        nxt = fund.next_cycle(today)
        if nxt is not None and nxt.start is not None:
            return f"Expected to open on {day_words(nxt.start)} (not yet announced)." if (
                nxt.expected) else f"Opens on {day_words(nxt.start)}."
        return "Expected to open."
    last = fund.last_cycle(today)
    words = "Not open now"
    if last is not None:
        label = f"FY{last.fiscal_year}" if last.fiscal_year else "round"
        words += (f": the last round on record ({label}) closed on "
                  f"{day_words(dt.date.fromisoformat(last.closes))}" if last.closes
                  else f": the last round on record is {label}")
    if fund.last_fiscal_year and federal_fiscal_year(dates.launch) > fund.last_fiscal_year:
        return words + f"; no new money after FY{fund.last_fiscal_year}."
    return words + "; it may reopen: watch for the next round."


def examples(kb: Knowledge, fund: Funding) -> tuple[str, ...]:
    """A foundation's grants to other programs, each labeled as an example, never an offer."""
    out = []
    for e in fund.examples:
        where = ""
        if e.state:
            question = kb.profile_question("state")
            option = question.option(e.state.lower()) if question else None
            where = f", {option.label if option else e.state}"
        out.append(f"Example only, not an offer: {e.funder} gave {dollars(e.amount)} to "
                   f"{e.recipient} ({e.year}{where}).")
    return tuple(out)


def fit(kb: Knowledge, fund: Funding, match: Match, who: CommunityProfile,
        dates: PlanDates) -> FundingFit | None:
    """The funding program's standing on the plan's dates (None when its money ran out on a
    set day before the plan is made: it is left out). A program whose law funded set years
    only is still shown, ended, so that a community can ask the state body what remains."""
    kinds = applicant_kinds(who)
    status = fund.status_on(dates.today)
    in_window = [c for c in fund.cycles if c.open_between(dates.today, dates.launch)]
    last = fund.last_cycle(dates.today)
    route = _route(fund, in_window or ([last] if last else []), kinds)
    money_ends_first = bool(fund.ends_on and dt.date.fromisoformat(fund.ends_on) < dates.launch)
    if status == "ended" and not fund.last_fiscal_year:
        return None
    usable = [c for c in in_window
              if set(c.applicants) & kinds or "state-pass-through" in c.applicants]
    to_apply = (route in ("direct", "through-state") and bool(usable)
                and not money_ends_first and status in ("open", "expected"))
    when = _when(fund, status, dates, money_ends_first)
    application = ""
    if to_apply:
        said = when.rstrip(".")
        said = said[:1].lower() + said[1:]
        if route == "through-state":
            application = (f"Allow an application for {fund.label}, made through "
                           f"{fund.apply_through} ({said}).")
        elif fund.kind == "settlement":
            application = f"Allow a request for {fund.label.lower()} ({said})."
        else:
            application = f"Allow an application to {fund.label} ({said})."
    newest = max(fund.cycles, key=lambda c: (c.fiscal_year or 0, c.start or dt.date.min),
                 default=None)
    return FundingFit(
        id=match.id, label=match.label, points=match.points, reasons=match.reasons,
        status=status, route=route, to_apply=to_apply, how=_how(fund, route, kinds, status),
        when=when, application=application,
        amount=cycle_amount(newest) if newest else "",
        examples=examples(kb, fund),
    )


def fits(kb: Knowledge, matches: list[Match], who: CommunityProfile,
         dates: PlanDates) -> tuple[FundingFit, ...]:
    """The matched programs with their standing: applications to make first, then the rest,
    then ended money (each group in the matches' order: points, then label, then id)."""
    out = [f for m in matches if (f := fit(kb, kb.funding[m.id], m, who, dates)) is not None]
    return tuple(sorted(out, key=lambda f: (not f.to_apply, f.status == "ended")))


def state_money(record: StateContext, today: dt.date) -> str:
    """The year of a state record's money and whether it is current, for the line that shows
    it, read from the record's `money_year` (never from its text): money a source confirmed
    is still offered, within two years of today; money no source showed to be still offered;
    or money more than two years old, a past example rather than an offer. Empty when the
    record describes no money."""
    money = record.money_year
    if money is None:
        return ""
    if money.years_before(today) > 2:
        return (f"Money from {money.label}: a past example, not an open offer; ask the agency "
                "whether any remains.")
    if money.current:
        return (f"Money for {money.label}, still offered when last confirmed: confirm with the "
                "agency before planning on it.")
    return (f"Money reported for {money.label}; no source showed it is still offered: ask the "
            "agency.")
