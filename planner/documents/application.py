"""An application starter (issue 30): a Word draft shaped like a federal deflection
application, filled only from what the planner knows about this community.

The sections follow the proposal narrative of BJA's COSSUP site-based solicitation, the
federal program the knowledge base cites first for deflection (funding.yaml:
fund-cossup-site-based, the FY2023 solicitation): the description of the issue (statement
of the problem), project design and implementation, capabilities and competencies, the plan
for collecting the performance-measure data, the budget and budget narrative, and a timeline.
Each is filled from the answers (the community's own words and counts), the state's context,
the pathway's design and the action plan, the partners, the measures and the sizing's budget.
Anything the planner does not know is a gap, written "[to fill in: ...]", never invented.
The document ends with a checklist of attachments.

This module builds plain data (`Application`); planner.documents.docx_export renders it
(python-docx lives there only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from planner.documents.brief import place_words
from planner.engine import costs, sizing, staffing
from planner.engine.actions import ActionRow
from planner.engine.plan import PathwayDetail, Plan
from planner.engine.profile import CommunityProfile
from planner.engine.words import mid_sentence
from planner.knowledge import states
from planner.knowledge.model import Knowledge

GAP = "[to fill in: {}]"
SOLICITATION_FUNDING_ID = "fund-cossup-site-based"


def gap(what: str) -> str:
    return GAP.format(what)


@dataclass(frozen=True)
class Block:
    """A paragraph (text, with an optional bold lead), a bulleted list or a table."""

    kind: str  # "para", "bullets", "table", "heading"
    text: str = ""
    lead: str = ""
    items: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Application:
    community: str
    title: str
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    generated: dt.date
    pathway_id: str = ""
    gaps: tuple[str, ...] = field(default=())

    def text(self) -> str:
        """Every word of the document, one block a paragraph (for readability checks)."""
        parts = [self.title, *self.intro]
        for section in self.sections:
            parts.append(section.title)
            for b in section.blocks:
                if b.kind in {"para", "heading"}:
                    parts.append(f"{b.lead}{b.text}".strip())
                elif b.kind == "bullets":
                    parts.extend(b.items)
                else:
                    parts.extend(" ".join(r) for r in b.rows)
        return "\n\n".join(p for p in parts if p)


def _para(text: str, lead: str = "") -> Block:
    return Block("para", text=text, lead=lead)


def _bullets(items: list[str] | tuple[str, ...]) -> Block:
    return Block("bullets", items=tuple(items))


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "?", "!", "]")) else text + "."


def other_names(kb: Knowledge, profile: CommunityProfile) -> tuple[str, ...]:
    """Names of real programs and places elsewhere (programs.yaml, mentor sites), longest
    first: a community's application carries none of them. Its own state's programs and
    any name inside its own community name are not "elsewhere"."""
    own = (profile.name or "").lower()
    names: set[str] = set()
    for program in kb.programs.values():
        if program.location.state == profile.state:
            continue
        for name in (program.label.split(" (")[0], *program.aliases,
                     *program.location.place.replace(" and ", ", ").split(", ")):
            name = name.strip()
            if len(name) > 3 and name.lower() not in own:
                names.add(name)
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


def own_words(text: str, names: tuple[str, ...]) -> str:
    """The text without another community's name: a bracketed aside naming one is dropped,
    and so is any sentence that still names one."""
    out = text
    for start in range(len(out) - 1, -1, -1):
        # An aside dropped at the end takes the space before it too: past the new end.
        if start >= len(out) or out[start] != "(":
            continue
        end = out.find(")", start)
        if end > 0 and any(n in out[start:end] for n in names):
            out = (out[:start].rstrip() + out[end + 1:])
    sentences = [s for s in out.replace(". ", ".\n").split("\n")
                 if not any(n in s for n in names)]
    return " ".join(s.strip() for s in sentences if s.strip())


def _option_words(kb: Knowledge, profile: CommunityProfile, qid: str) -> str:
    question = kb.questions.get(qid)
    if question is None:
        return ""
    chosen = profile.chosen(qid)
    return ", ".join(o.label for o in question.options if o.id in chosen and not o.dont_know)


def _problems(kb: Knowledge, profile: CommunityProfile) -> list[str]:
    """Each problem question the community answered, with its answer, in its own words."""
    out = []
    for question in kb.questions.values():
        if question.section != "problems" or not question.has_options:
            continue
        chosen = profile.chosen(question.id)
        options = [o for o in question.options if o.id in chosen and not o.dont_know]
        if options and any(o.indicates for o in options):  # a problem reported, not a "no"
            out.append(f"{question.label} {_sentence(', '.join(o.label for o in options))}")
    return out


COUNTS = (
    ("count-population", "People in the area served",
     "the number of people in the area served (Census Bureau county figures)"),
    ("count-overdose-runs", "Non-fatal overdose calls a year",
     "the number of non-fatal overdose calls a year, from your EMS agency or health "
     "department"),
    ("count-possession-arrests", "Arrests for drug possession a year",
     "the number of drug possession arrests a year, from your police records unit"),
    ("count-behavioral-health-calls", "Crisis calls a team without police could take a year",
     "the number of calls a year about someone in a mental health or substance use crisis, "
     "with no crime or danger, from your 911 or dispatch center"),
)


def _counts(kb: Knowledge, profile: CommunityProfile, pathway_id: str) -> list[str]:
    """The community's counts that bear on the pathway (all of them when it has no sizing
    model), each a gap until given."""
    spec = kb.sizing.for_pathway(pathway_id) if kb.sizing else None
    wanted = ({kb.sizing.questions.population, spec.contacts.count_question}
              if kb.sizing and spec else {qid for qid, _, _ in COUNTS})
    out = []
    for qid, label, missing in COUNTS:
        if qid not in kb.questions or qid not in wanted:
            continue
        value = profile.number(qid)
        out.append(f"{label}: {int(value):,} (our count)." if value is not None
                   else gap(missing))
    return out


def _problem_section(kb: Knowledge, plan: Plan, profile: CommunityProfile,
                     top: PathwayDetail) -> Section:
    name = profile.name or plan.community
    place = place_words(kb, profile)  # the brief's words for the place
    blocks = [_para(_sentence(
        f"{name} asks for support to start a first responder deflection program on the "
        f"{top.score.pathway.label} pathway")
        + (f" Our area: {_sentence(place)}" if place else ""))]
    problems = _problems(kb, profile)
    blocks.append(_para("What our responders see, from our planning answers:"))
    blocks.append(_bullets(problems or [gap("the problems your responders see")]))
    blocks.append(_para("Our own figures:"))
    blocks.append(_bullets([*_counts(kb, profile, top.score.pathway.id), gap(
        "overdose deaths, treatment waits and jail use for the last three years, each with "
        "its year and source")]))
    notes = profile.answers.get("notes")
    if isinstance(notes, str) and notes.strip():
        blocks.append(_para(" ".join(notes.split()), lead="In our own words: "))
    context = states.context_for(kb, profile.state)
    if context:
        blocks.append(_para("State context:"))
        blocks.append(_bullets([f"{s.label}: {_sentence(s.summary)}" for s in context[:4]]))
    else:
        blocks.append(_para(gap("state laws and state money that bear on the program")))
    return Section("Description of the Issue (Statement of the Problem)", tuple(blocks))


def _design_section(kb: Knowledge, profile: CommunityProfile, top: PathwayDetail,
                    size: sizing.Sizing | None, actions: tuple[ActionRow, ...]) -> Section:
    pathway = top.score.pathway
    names = other_names(kb, profile)

    def mine(text: str, missing: str) -> str:
        kept = own_words(text, names)
        return _sentence(kept) if kept else gap(missing)

    blocks = [
        _para(mine(pathway.summary, "what the program does"), lead=f"{pathway.label}. "),
        _para(mine(pathway.initiator, "who starts the contact"), lead="Who starts the contact: "),
        _para(mine(pathway.trigger, "when the program acts"), lead="When: "),
        _para(mine(pathway.charges, "what happens to charges"), lead="Charges: "),
    ]
    if pathway.target_population:
        blocks.append(_para("Who the program serves:"))
        blocks.append(_bullets([_sentence(own_words(t, names)) for t in pathway.target_population
                                if own_words(t, names)]))
    met = set(top.score.met)
    have = [e for e in pathway.critical_elements if e.resource in met]
    elements = {e.resource: kb.facts[e.resource].label for e in pathway.critical_elements
                if e.resource in kb.facts}
    blocks.append(_para("What the program needs, and what we have:"))
    items = [f"In place: {elements.get(e.resource, e.resource)}." for e in have]
    items += [f"To build: {g.gap.label}. {gap('how and when we will put this in place')}"
              for g in top.gaps]
    blocks.append(_bullets(items or [gap("the program's key parts")]))
    if size is not None:
        own = any(a.origin == sizing.YOURS and a.id in (sizing.CONTACTS, sizing.POPULATION)
                  for a in size.assumptions)
        blocks.append(_para(
            "How many people the program would see in a year. Each figure is a range. "
            + ("It uses our own counts where we gave them and published rates where we did "
               "not:" if own else
               "It uses published rates for a place our size, until we add our own "
               "counts:")))
        blocks.append(Block("table", headers=("Figure", "Range", "Based on"),
                            rows=tuple((r.label, r.value, r.rests_on)
                                       for r in sizing.rows(size, new_only=True)
                                       if r.label.split()[0] != "First-year"),
                            widths=(2.2, 1.8, 4.0)))
    else:
        blocks.append(_para(gap("how many people the program would see in a year")))
    first = [a for a in actions][:5]
    if first:
        # The lead agency leads most steps: name a step's lead only when it is another.
        lead_id = profile.lead_agency
        lead = mid_sentence(kb.facts[lead_id].label) if lead_id and lead_id in kb.facts else ""
        blocks.append(_para("First steps (the full list is in the timeline)"
                            + (f". The {lead} leads each step unless another lead is named:"
                               if lead else ":")))
        blocks.append(_bullets([f"{a.step}" + ("" if lead and a.lead_id == lead_id else
                                               f" (lead: {a.lead})") + "."
                                for a in first]))
    return Section("Project Design and Implementation", tuple(blocks))


def _capabilities_section(kb: Knowledge, profile: CommunityProfile,
                          top: PathwayDetail) -> Section:
    names = other_names(kb, profile)

    def role(text: str) -> str:
        kept = role_words(own_words(text, names))
        return _sentence(kept) if kept else gap("this partner's role in the program")

    lead = _option_words(kb, profile, "lead-agency")
    # The lead agency is the applicant: its role is said once, beside its name.
    lead_role = next((role(s.role) for s in top.stakeholders
                      if s.partner_id == profile.lead_agency and s.essential is not None), "")
    blocks = [_para((f"{lead}. " if lead else "") + (f"{lead_role} " if lead_role else "")
                    + gap("the lead agency's experience running grants and programs like "
                          "this one"), lead="Lead agency: ")]
    named = [s for s in top.stakeholders if s.status == "named"
             and s.partner_id != profile.lead_agency]
    missing = [s for s in top.stakeholders if s.essential and s.status == "missing"]
    if named:
        blocks.append(_para("Partners already committed to planning with us, and their role:"))
        blocks.append(_bullets([
            f"{s.label}: " + (role(s.role) if s.essential is not None else
                              gap("this partner's role in the program"))
            for s in named]))
    else:
        blocks.append(_para(gap("the partners committed to the program and their roles")))
    if missing:
        blocks.append(_para("Partners the program needs who have not joined yet:"))
        blocks.append(_bullets([f"{s.label}: {role(s.role)} "
                                + gap(f"whether {s.label.lower()} will join, and a letter "
                                      "of support") for s in missing]))
    blocks.append(_para(gap("the staff who will run the program, with their training and "
                            "experience")))
    return Section("Capabilities and Competencies", tuple(blocks))


def role_words(text: str) -> str:
    """A partner's role without the planner's own reasoning about which partner is
    essential (sentences that say so are for the plan, not for a funder)."""
    sentences = [x.strip() for x in text.replace(". ", ".\n").split("\n")]
    return " ".join(x for x in sentences
                    if x and "essential" not in x.lower() and "CHJ" not in x)


DATA_QUESTIONS = ("overdose-data", "data-sharing", "case-tracking", "research-partner")


def _data_section(kb: Knowledge, profile: CommunityProfile, top: PathwayDetail) -> Section:
    blocks = [_para("What we will count, and where the data comes from:")]
    # Our own partners only (those at the table, those the program still needs, and the
    # lead agency): a sheriff-led county is not told its data comes from a police department.
    ours = {s.partner_id for s in top.stakeholders
            if s.status == "named" or (s.essential and s.status == "missing")}
    if profile.lead_agency:
        ours.add(profile.lead_agency)
    rows = []
    for m in top.measures:
        sources = ", ".join(kb.facts[f].label if f in kb.facts else f for f in m.data_from
                            if f in ours)
        rows.append((m.label, "Outcome" if m.kind == "outcome" else "Process",
                     sources or gap("which partner will supply this")))
    if rows:
        blocks.append(Block("table", headers=("Measure", "Kind", "Data from"),
                            rows=tuple(rows), widths=(4.0, 1.2, 2.8)))
    else:
        blocks.append(_para(gap("the measures the program will report")))
    said = []
    for qid in DATA_QUESTIONS:
        question = kb.questions.get(qid)
        words = _option_words(kb, profile, qid)
        if question is not None and words:
            said.append(f"{question.label} {_sentence(words)}")
    if said:
        blocks.append(_para("What we said about our data today:"))
        blocks.append(_bullets(said))
    blocks.append(_para(gap("who collects each figure, how often, and who reports it to "
                            "the funder, as the solicitation requires")))
    return Section("Plan for Collecting the Data Required for Performance Measures",
                   tuple(blocks))


def _budget_section(kb: Knowledge, profile: CommunityProfile, top: PathwayDetail,
                    size: sizing.Sizing | None) -> Section:
    """The plan's one first-year estimate (planner.engine.staffing), line by line: the same
    figures as the brief, the plan and the Word copy."""
    blocks: list[Block] = []
    found = staffing.first_year(kb, profile, top.score.pathway.id)
    if found is not None:
        estimate = found.estimate
        if found.sizing is not None:
            wide = "" if sizing.CONTACTS in found.sizing.contacts.assumptions else (
                " The range is wide because it uses national rates: our own yearly count "
                "will narrow it.")
            seen, load = found.sizing.contacts, found.sizing.caseload
            lead = (f"Our first-year estimate is {costs.dollars(estimate.low)} to "
                    f"{costs.dollars(estimate.high)}. It follows from the "
                    f"{sizing.range_words(seen.low, seen.high, 'people')} the program would "
                    "see in a year and the caseload each staff member can carry ("
                    f"{sizing.range_words(load.low, load.high, load.unit)})." + wide)
        else:
            lead = (f"The plan's estimate for a place our size is "
                    f"{costs.dollars(estimate.low)} to {costs.dollars(estimate.high)} in the "
                    "first year. " + gap("the number of people the program would see, to "
                                         "size the staff"))
        blocks.append(_para(lead))
        rows = [(line.label, costs.fte_range(line.fte_low, line.fte_high),
                 costs.dollars(line.unit_cost) if line.unit_cost is not None else "",
                 sizing.range_words(line.low, line.high, "dollars"))
                for line in estimate.lines]
        fte_low = sum(line.fte_low or 0 for line in estimate.staff_lines)
        fte_high = sum(line.fte_high or 0 for line in estimate.staff_lines)
        rows.append(("First-year total", costs.fte_range(round(fte_low, 2), round(fte_high, 2)),
                     "", sizing.range_words(estimate.low, estimate.high, "dollars")))
        blocks.append(Block("table", headers=("Line", "Staff (full-time)", "Yearly pay",
                                              "First year"),
                            rows=tuple(rows), widths=(3.0, 1.6, 1.6, 2.0)))
        blocks.append(_para(" ".join(w for w in (costs.wage_basis(estimate),
                                                 costs.budget_words(estimate),
                                                 estimate.notice) if w)))
    else:
        blocks.append(_para(gap("the first-year budget")))
    blocks.append(_para(gap("the amount requested from this grant, any match, and the "
                            "budget worksheet the solicitation asks for")))
    open_now = [m.label for m in top.funding if m.to_apply][:4]
    not_now = [m.label for m in top.funding if not m.to_apply][:4]
    if open_now:
        blocks.append(_para("Other money we can apply for now: " + "; ".join(open_now) + "."))
    if not_now:
        blocks.append(_para("Other funders to watch (not open now): " + "; ".join(not_now)
                            + "."))
    return Section("Budget and Budget Narrative", tuple(blocks))


def _timeline_section(actions: tuple[ActionRow, ...]) -> Section:
    if not actions:
        return Section("Timeline", (_para(gap("the project timeline")),))
    rows = tuple((a.phase or "", a.step, a.lead, a.start.isoformat(), a.end.isoformat())
                 for a in actions)
    return Section("Timeline", (
        _para("The action plan, with dates from the planning start. Move the dates to the "
              "award's start once it is known."),
        Block("table", headers=("Phase", "Step", "Lead", "Start", "End"), rows=rows,
              widths=(1.3, 3.0, 1.6, 1.3, 1.3)),
    ))


def _checklist(kb: Knowledge, plan: Plan, profile: CommunityProfile,
               top: PathwayDetail) -> Section:
    from planner.documents import starter

    # The lead agency applies: it writes no letter of support to itself.
    named = [s.label for s in top.stakeholders if s.status == "named"
             and s.partner_id != profile.lead_agency]
    missing = [s.label for s in top.stakeholders if s.essential and s.status == "missing"]
    items = []
    docs = starter.for_pathway(kb, profile, top)
    for doc in docs:
        if doc.kind in {"mou", "data-sharing"}:
            items.append(f"\u2610 {doc.label}, signed (the planner's starter outline is in "
                         "the starter documents).")
    if not any(d.kind == "mou" for d in docs):
        items.append("\u2610 A memorandum of understanding with each partner, signed.")
    if not any(d.kind == "data-sharing" for d in docs):
        items.append("\u2610 A data-sharing agreement, signed.")
    for label in named:
        items.append(f"\u2610 Letter of support: {label}.")
    for label in missing:
        items.append(f"\u2610 Letter of support: {label} "
                     + gap("this partner has not joined yet") + ".")
    items += [
        "\u2610 Budget worksheet and budget narrative, in the funder's form.",
        "\u2610 Timeline, with the award's start date.",
        "\u2610 " + gap("any other attachment the current solicitation lists"),
    ]
    # One box a line, with no bullet beside the box.
    return Section("Checklist of Attachments", tuple(_para(item) for item in items))


def build(kb: Knowledge, plan: Plan, profile: CommunityProfile, actions: tuple[ActionRow, ...],
          *, generated: dt.date, size: sizing.Sizing | None = None) -> Application | None:
    """The application starter for the plan's top pathway (None when nothing ranks)."""
    top = plan.top
    if top is None:
        return None
    name = profile.name or plan.community or "Our community"
    funding = kb.funding.get(SOLICITATION_FUNDING_ID)
    source = (f"{funding.sources[0].label}" if funding and funding.sources else
              "funder's current solicitation")
    intro = (
        "This is a starting draft, not a finished application. It uses only your answers "
        "and the planner's sources. Every gap is marked \u201c[to fill in: \u2026]\u201d.",
        "The sections are the parts a BJA site-based application asks for: the proposal "
        "narrative (the problem, the project's design, our capabilities and the plan for "
        f"the performance data), the budget and a timeline, as in the {source}. "
        "Solicitations change every year: check the current one for its section names, "
        "page limits and scoring before you write.",
    )
    sections = (
        _problem_section(kb, plan, profile, top),
        _design_section(kb, profile, top, size, actions),
        _capabilities_section(kb, profile, top),
        _data_section(kb, profile, top),
        _budget_section(kb, profile, top, size),
        _timeline_section(actions),
        _checklist(kb, plan, profile, top),
    )
    app = Application(community=name, title=f"Application starter: {name}", intro=intro,
                      sections=sections, generated=generated,
                      pathway_id=top.score.pathway.id)
    text = app.text()
    gaps = tuple(dict.fromkeys(part.split("]")[0] for part in text.split("[to fill in: ")[1:]))
    return Application(community=app.community, title=app.title, intro=app.intro,
                       sections=app.sections, generated=generated, pathway_id=app.pathway_id,
                       gaps=gaps)


def sizing_for(kb: Knowledge, plan: Plan, profile: CommunityProfile) -> sizing.Sizing | None:
    """The sizing of the plan's top pathway, or None when it cannot be sized."""
    top = plan.top
    return staffing.size(kb, profile, top.score.pathway.id) if top is not None else None
