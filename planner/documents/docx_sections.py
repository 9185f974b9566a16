"""The sections of the Word plan, described as data: no python-docx here.

SECTIONS lists the plan's sections in reading order; planner.documents.docx_export renders
them with one builder. A section is a Section (its heading, intro and blocks); a block is a
Heading, a Para (bold lead and text), a Line (runs and links), Bullets, a Table (headers,
widths, and one row of cells per item of the plan model), Each (its blocks once per item of
a list, numbered from 1, or ``empty`` for none) or With (its blocks for one value when there
is one, else ``empty``). Any block takes ``when``: it is rendered only if that gives a true
value. Text is a string or a function of the Scope: the context, the current item ``it``, its
number ``n`` and the item around it (``outer``). To add a section, add it to SECTIONS.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from planner.documents import action_table, progress_doc, report, starter
from planner.documents.brief import Brief, build_brief
from planner.documents.report import ConsultantNote
from planner.engine import costs, staffing
from planner.engine.actions import ActionRow, default_start
from planner.engine.costs import CostEstimate
from planner.engine.funding import state_money
from planner.engine.plan import Plan
from planner.engine.profile import CommunityProfile
from planner.engine.sensitivity import weight_sensitivity
from planner.engine.words import behind, n_points
from planner.knowledge import states
from planner.knowledge.model import Knowledge, StateContext

BULLET = "List Bullet"
# Step, lead, start, end, depends on, status, on the longest chain.
ACTION_WIDTHS = (3, 2, 1.3, 1.3, 2.6, 1.2, 1.1)


@dataclass(frozen=True)
class Context:
    """Everything the sections read; what more than one section shows is worked out once."""

    kb: Knowledge
    plan: Plan
    profile: CommunityProfile
    estimate: CostEstimate | None
    documents: tuple[starter.FilledDocument, ...]
    notes: tuple[ConsultantNote, ...]
    start: dt.date
    generated: dt.date
    progress: Any = None  # planner.engine.progress.Summary: the "Progress so far" section

    @cached_property
    def actions(self) -> tuple[ActionRow, ...]:
        return tuple(action_table.rows(self.kb, self.plan, self.profile, self.start))

    @cached_property
    def brief(self) -> Brief | None:
        return build_brief(self.kb, self.plan, self.profile, self.actions, self.start)

    @cached_property
    def weights(self) -> str:
        """How far a weight would have to move to change the top (for consultants)."""
        return report.weights_words(self.kb, weight_sensitivity(self.kb, self.profile,
                                                                 self.plan.ranking))

    @cached_property
    def state_law(self) -> tuple[StateContext, ...]:
        return states.context_for(self.kb, self.profile.state)


def context(kb: Knowledge, plan: Plan, profile: CommunityProfile, *,
            notes: Sequence[str | ConsultantNote] = (), start: dt.date | None = None,
            generated: dt.date | None = None,
            overrides: costs.Overrides | None = None, progress: Any = None) -> Context:
    """Gather the plan, its cost estimate, starter documents and dates for rendering."""
    today = generated or dt.date.today()
    top = plan.top
    estimate = (staffing.estimate(kb, profile, top.score.pathway.id, overrides)
                if top is not None else None)
    return Context(
        kb=kb, plan=plan, profile=profile, estimate=estimate,
        documents=starter.for_plan(kb, plan, profile),
        notes=report._notes(notes),
        start=start or (plan.dates.start if plan.dates else default_start(today)),
        generated=today,
        progress=None if progress is None or progress.empty else progress,
    )


def flag_notes(ctx: Context) -> list[tuple[str, str]]:
    """The unverified points of every record the plan shows, for the data-quality notes
    beside the sources: the body stays clean and nothing is hidden. The PDF's own list
    (report.flagged_records and the state law's records) comes first, so whenever the PDF
    has this section the Word copy has it too; then the cost lines and starter documents,
    whose flags the Word copy points to from their own sections."""
    shown: list[tuple[str, tuple[str, ...]]] = [
        *report.flagged_records(ctx.kb, ctx.plan),
        *((s.label, s.flags) for s in ctx.state_law if s.flags)]
    extra: list[Any] = [*(ctx.estimate.lines if ctx.estimate else ()), *ctx.documents]
    notes: list[tuple[str, str]] = []
    for label, flags in [*shown, *((r.label, r.flags) for r in extra)]:
        for flag in flags:
            if (label, flag) not in notes:
                notes.append((label, flag))
    return notes


# ------------------------------------------------------------------ the shape


@dataclass(frozen=True)
class Scope:
    """Where a block is rendered: the context, the item of the innermost Each or With (and
    its number, from 1) and the scope around that."""

    ctx: Context
    it: Any = None
    n: int = 0
    up: Scope | None = None

    @property
    def kb(self) -> Knowledge:
        return self.ctx.kb

    @property
    def plan(self) -> Plan:
        return self.ctx.plan

    @property
    def outer(self) -> Any:
        """The item of the scope around this one."""
        assert self.up is not None
        return self.up.it


Get = Callable[[Scope], Any]
Text = str | Callable[[Scope], str]


@dataclass(frozen=True)
class Run:
    """Part of a Line: text, bold or highlighted as asked."""

    text: str
    bold: bool = False
    highlight: bool = False


@dataclass(frozen=True)
class Link:
    """Part of a Line: a clickable link."""

    url: str
    label: str


Part = str | Run | Link


@dataclass(frozen=True, kw_only=True)
class Block:
    """What every block has: ``when``, rendered only if it gives a true value."""

    when: Get | None = None


@dataclass(frozen=True)
class Section(Block):
    """A heading (level 1; 0 is the title), an intro paragraph when given, then the blocks."""

    title: Text
    blocks: tuple[Block, ...] = ()
    intro: Text = ""
    level: int = 1


@dataclass(frozen=True)
class Heading(Block):
    text: Text
    level: int


@dataclass(frozen=True)
class Para(Block):
    """A paragraph: an optional bold lead, then the text (either may be empty)."""

    text: Text = ""
    lead: Text = ""
    style: str | None = None


@dataclass(frozen=True)
class Line(Block):
    """A paragraph of runs and links, as ``parts`` gives them."""

    parts: Callable[[Scope], Iterable[Part]]
    style: str | None = None


@dataclass(frozen=True)
class Bullets(Block):
    """A bulleted list; ``empty`` is listed when there are no items."""

    items: Callable[[Scope], Iterable[str]]
    empty: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table(Block):
    """A table: column headers, their relative widths, and one row of cells per item."""

    headers: tuple[str, ...]
    rows: Callable[[Scope], Iterable[Sequence[Any]]]
    widths: tuple[float, ...] | None = None
    caption: Text = ""


@dataclass(frozen=True)
class Each(Block):
    """The blocks once for each item (numbered from ``start``), or ``empty`` for none."""

    items: Get
    blocks: tuple[Block, ...]
    empty: tuple[Block, ...] = ()
    start: int | Get = 1


@dataclass(frozen=True)
class With(Block):
    """The blocks with ``value`` as the item when it is there (true), else ``empty``."""

    value: Get
    blocks: tuple[Block, ...]
    empty: tuple[Block, ...] = ()


# ------------------------------------------------------------------ the sections


def _links(pairs: Iterable[tuple[str, str]], sep: str = "; ") -> Iterator[Part]:
    """Links (url, label) with a separator between them."""
    for i, (url, label) in enumerate(pairs):
        if i:
            yield sep
        yield Link(url, label)


def _longdate(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _contribution(c: Any) -> str:
    return f"{c.points:+.0f} {c.answer} (\u201c{c.question}\u201d): {c.reason}"


def _listed_tta(s: Scope) -> set[str]:
    """The TTA offers the pathway around this scope lists under Training and technical
    assistance (the nearest scope whose item has a `tta` list of matches)."""
    scope: Scope | None = s
    while scope is not None and not isinstance(getattr(scope.it, "tta", None), tuple):
        scope = scope.up
    return {m.id for m in scope.it.tta} if scope is not None else set()


def _labels(s: Scope, ids: Iterable[str]) -> str:
    return ", ".join(s.kb.facts[i].label if i in s.kb.facts else i for i in ids)


def _budget(s: Scope) -> str:
    return costs.budget_words(s.it)


def _cost_rows(s: Scope) -> list[tuple[Any, ...]]:
    estimate = s.it
    return ([(line.label, costs.fte_range(line.fte_low, line.fte_high),
              costs.dollars(line.unit_cost) if line.unit_cost is not None else "",
              costs.dollars(line.low), costs.dollars(line.high),
              "Local" if line.local else "National") for line in estimate.lines]
            + [("Total", "", "", costs.dollars(estimate.low), costs.dollars(estimate.high), "")])


def _funding_fits(s: Scope) -> list[Part]:
    """A funding line, with its standing on the plan's dates (planner.engine.funding)."""
    f, m = s.kb.funding[s.it.id], s.it
    return [Link(f.link, f.label),
            f" ({f.agency})" + (f": {m.amount}" if m.amount else "") + f". {m.when} {m.how}"
            + "".join(f" {e}" for e in m.examples)]


def _more_sources(s: Scope) -> list[Any]:
    """The sources of the costs and starter documents that the plan's list lacks."""
    extra: dict[str, Any] = {}
    for src in (s.ctx.estimate.sources if s.ctx.estimate else ()):
        extra.setdefault(src.url, src)
    for d in s.ctx.documents:
        for src in d.sources:
            extra.setdefault(src.url, src)
    listed = {src.url for src in s.plan.sources}
    return sorted((src for u, src in extra.items() if u not in listed),
                  key=lambda src: src.label.lower())


STARTER_INTRO = ("Outlines to fill in with your partners, written for this plan. Compare each "
                 "with the official samples linked, and have each partner's counsel review the "
                 "final text.")
SOURCE_LINE = Line(lambda s: [f"[{s.n}] ", Link(s.it.url, s.it.label),
                              f" ({s.it.kind}{', ' + s.it.date if s.it.date else ''})"])


def starter_documents(level: int, inline_flags: bool) -> Each:
    """Each filled starter document under a heading of the given level (its unverified
    points inline, or left to the plan's data-quality notes)."""
    sub = min(level + 1, 9)
    return Each(lambda s: s.ctx.documents, (
        Heading(lambda s: s.it.label, level),
        Para(lambda s: s.it.purpose),
        Each(lambda s: s.it.sections, (
            Heading(lambda s: s.it.heading, sub),
            Bullets(lambda s: [f"\u2610 {item}" for item in s.it.items]),
        )),
        With(lambda s: s.it.samples, (
            Heading("Official and field samples to compare", sub),
            Each(lambda s: s.it, (Line(lambda s: [Link(s.it.link, s.it.label),
                                                  f" ({s.it.publisher})"], style=BULLET),)),
        )),
        Para(lambda s: s.it.caution, lead="Note: "),
        Each(lambda s: s.it.flags if inline_flags else (), (
            Line(lambda s: [Run("Unverified: ", bold=True, highlight=True), s.it]),
        )),
    ))


COST = With(lambda s: s.ctx.estimate, (
    Heading("Staffing and first-year cost", 2),
    Para(lambda s: f"For {s.kb.pathways[s.it.pathway_id].label} in a place of "
                   f"{s.it.band_label}, the first year costs about {costs.dollars(s.it.low)} "
                   f"to {costs.dollars(s.it.high)}. "
                   + (costs.increment_words(s.kb, s.it) + " " if s.it.adds_to else "")
                   + s.it.notice),
    Para(_budget, when=lambda s: s.it.budget is not None),
    Para(lambda s: costs.transport_words(s.it), when=lambda s: s.it.transport_line is not None),
    Para(lambda s: s.it.staffing_note, lead="Staffing model. "),
    Para(lambda s: ", ".join(s.kb.programs[p].label for p in s.it.programs
                             if p in s.kb.programs) + ".",
         lead="Based on: ", when=lambda s: s.it.programs),
    Table(("Line", "FTE", "Unit cost", "Low", "High", "Figure"), _cost_rows,
          widths=(3.0, 1.35, 1.2, 1.25, 1.3, 1), caption="First-year cost by line (whole dollars)"),
    Heading("Where the figures come from", 3),
    Each(lambda s: s.it.lines, (Line(lambda s: [
        Run(f"{s.it.label}: ", bold=True),
        s.it.basis.rstrip(".") + (". Source: " if s.it.sources else "."),
        *_links((src.url, src.label) for src in s.it.sources),
        *([" (see Points not yet confirmed)"] if s.it.flags else []),
    ], style=BULLET),)),
))

BRIEF = (
    Heading("The problem here", 2),
    Para(lambda s: f"{s.plan.community}: {s.it.place}", when=lambda s: s.it.place),
    Bullets(lambda s: s.it.problems,
            empty=("The answers did not describe the local problem yet.",)),
    Heading("What we recommend, and why", 2),
    Para(lambda s: f". It is {s.it.how_sure}.", lead=lambda s: f"{s.it.verb} {s.it.pathway}"),
    With(lambda s: s.it.reasons, (Para("Your answers that point to it most:"),
                                  Bullets(lambda s: s.it))),
    Heading("What running it looks like", 2),
    Each(lambda s: s.it.looks_like, (Para(lambda s: s.it),)),
    COST,
    With(lambda s: s.plan.top and s.plan.top.funding[:3], (
        Heading("Funding that fits", 2),
        Each(lambda s: s.it, (Line(_funding_fits, style=BULLET),)),
    )),
    Heading("The decision we ask for", 2),
    Each(lambda s: s.it.decision, (Para(lambda s: f"{s.n}. {s.it}"),)),
    Heading("The first 90 days", 2),
    Para(lambda s: f"The {s.it.lead} leads each step unless another lead is named.",
         when=lambda s: s.it.lead_id),
    Each(lambda s: s.it.first_90, (
        Para(lambda s: f": {_longdate(s.it.start)} to {_longdate(s.it.end)}"
                       + ("" if s.it.lead_id == s.outer.lead_id else f"; lead: {s.it.lead}")
                       + ".",
             lead=lambda s: f"{s.n}. {s.it.step}"),
    )),
    Heading("Risks, and what to check first", 2),
    Bullets(lambda s: list(s.it.risks) + (
        [f"Find out before you commit: {' '.join(s.it.check_first)} "
         + s.it.check_first_note] if s.it.check_first else [])),
)

PATHWAY = (
    Heading(lambda s: f"{s.it.score.pathway.label} in practice", 1),
    Heading("What it is", 2),
    Para(lambda s: report.first_sentences(s.it.score.pathway.definition, 3)),
    Table(("Feature", "How it works"),
          lambda s: [("Who starts the contact", s.it.score.pathway.initiator),
                     ("What triggers it", s.it.score.pathway.trigger),
                     ("Charges", s.it.score.pathway.charges)], widths=(1, 3)),
    With(lambda s: s.it.delta, (
        Heading("What adding it to your program takes", 2),
        Bullets(lambda s: [
            *([f"Builds on what you have: {_labels(s, s.it.builds_on)}."]
              if s.it.builds_on else []),
            f"New partners: {_labels(s, s.it.new_partners) or 'none'}.",
            f"New critical elements: {_labels(s, s.it.new_elements) or 'none'}.",
            "New tasks: " + (", ".join(s.kb.tasks[t].label for t in s.it.new_tasks) or "none")
            + ".",
            "New data and measures: " + (", ".join(s.kb.measures[m].label
                                                   for m in s.it.new_measures) or "none")
            + "."]),
        Para("The timeline, checklist and measures in this plan list only what is new; what "
             "your running pathways already do is left out."),
    )),
    Heading("Critical elements", 2),
    Para(lambda s: ", ".join(s.kb.facts[f].label for f in s.it.score.met) or "None reported yet.",
         lead=lambda s: f"In place ({len(s.it.score.met)} of "
                        f"{len(s.it.score.pathway.critical_elements)}): "),
    Each(lambda s: s.it.gaps, (
        Para(lambda s: f" {s.it.gap.why}", lead=lambda s: s.it.gap.label + "."),
        Line(lambda s: ["Help: ", *_links((s.kb.tta[m.id].link, s.kb.tta[m.id].label)
                                          for m in s.it.tta)], when=lambda s: s.it.tta),
    )),
    Heading("Similar real programs", 2),
    Each(lambda s: s.it.programs, (
        With(lambda s: s.kb.programs[s.it.id], (
            Line(lambda s: [Link(s.it.link, s.it.label) if s.it.link
                            else Run(s.it.label, bold=True)]),
            Para(lambda s: f"{s.it.location.place}, {s.it.location.state}. Matched because it "
                           f"{'; '.join(s.outer.reasons)}. {s.it.summary}"),
            Bullets(lambda s: [f"{o.value} {o.metric} ({o.period}). As of {o.as_of}; "
                               f"{report.evidence_label(o)}." for o in s.it.outcomes]),
        )),
    ), empty=(Para("No similar program is on record for this pathway."),)),
    Heading("Mentor sites", 2),
    Each(lambda s: s.it.mentors, (
        With(lambda s: s.kb.mentor_sites[s.it.id], (
            Line(lambda s: [Link(s.it.link, s.it.label),
                            f" ({s.it.host_agency}). Why it matches: it "
                            f"{'; '.join(s.outer.reasons)}."]),
            Line(lambda s: ["Request a visit through: ",
                            *_links((i.link, i.label)
                                    for i in report.mentor_requests(s.kb, s.it))]),
        )),
    ), empty=(
        Para(lambda s: f"No mentor site on record runs {s.it.score.pathway.label}. "
                       "The nearest help:"),
        Each(lambda s: s.it.peer_help, (With(lambda s: s.kb.tta[s.it.id], (
            Line(lambda s: [Link(s.it.link, s.it.label),
                            f" ({s.it.provider}; cost: {s.it.cost}): "
                            f"{'; '.join(s.outer.reasons)}."], style=BULLET,
                 when=lambda s: s.it.id not in _listed_tta(s)),
            Para(lambda s: f"{s.it.label} (under Training and technical assistance): "
                           f"{'; '.join(s.outer.reasons)}.", style=BULLET,
                 when=lambda s: s.it.id in _listed_tta(s)),
        )),)),
        With(lambda s: next((m for m in s.it.programs if m.standing == "model"), None), (
            Para(lambda s: f"Ask {s.kb.programs[s.it.id].label} for a call or a virtual visit "
                           f"(matched because it {'; '.join(s.it.reasons)}).", style=BULLET),
        )),
    )),
    Heading("Training and technical assistance", 2),
    Each(lambda s: [s.kb.tta[m.id] for m in s.it.tta], (
        Line(lambda s: [Link(s.it.link, s.it.label),
                        f" ({s.it.provider}; cost: {s.it.cost}). {s.it.offers}"], style=BULLET),
    )),
    Heading("Funding", 2),
    Para("Amounts change every year: each figure is tied to its fiscal year. Check the "
         "agency\u2019s current announcement before planning around one."),
    Each(lambda s: s.it.funding, (Line(_funding_fits),)),
)

STATE_RECORD = (
    Heading(lambda s: s.it.label, 2),
    Para(lambda s: f"{s.it.citation} ({s.it.administered_by})" if s.it.citation
         else s.it.administered_by),
    Para(lambda s: s.it.summary),
    Para(lambda s: s.it.requires, lead="What it requires: ", when=lambda s: s.it.requires),
    Para(lambda s: f"{s.it.funds} {state_money(s.it, s.ctx.generated)}", lead="What it funds: ",
         when=lambda s: s.it.funds),
    Each(lambda s: s.it.links, (Line(lambda s: [Link(s.it.url, s.it.label)], style=BULLET),)),
    Para(lambda s: f"As of {s.it.as_of}; " + (
        f"confirmed against its sources on {s.it.verified_on}." if s.it.verified_on
        else f"checked on {s.it.checked_on}, not confirmed.")),
)

RANKING = (
    Table(("Rank", "Pathway", "Score", "Range", "First in 100", "Band"),
          lambda s: [(sc.rank or "running", sc.pathway.label, f"{sc.score:.0f}",
                      f"{sc.low:.0f} to {sc.high:.0f}",
                      report.in_100(s.plan.stability, sc.pathway.id)
                      if sc.rank and s.plan.stability.chance is not None else "",
                      sc.band_label)
                     for sc in s.plan.ranking.scores], caption="Scores, ranges and bands"),
    With(lambda s: s.plan.top, (
        # As in the PDF: the brief gives the answers that point to it (one list of reasons).
        Heading(lambda s: f"Why {s.it.score.pathway.label} ranks first", 2),
        Para("The council brief lists the answers that point to it most."),
        Heading("Answers that held it back", 3),
        Bullets(lambda s: [_contribution(c) for c in s.it.score.hurt[:3]],
                empty=("No answer took points away.",)),
    )),
    Heading("How sure this is", 2),
    Para(lambda s: report.stability_words(s.kb, s.plan)),
    Para(lambda s: report.stability_rule(s.kb)),
    Para(lambda s: report.unanswered_words(len(s.plan.ranking.unanswered_questions)),
         when=lambda s: s.plan.ranking.unanswered_questions),
    Heading("Facts worth checking first", 2),
    Para(lambda s: report.check_first_words(s.kb, s.plan)),
    Bullets(lambda s: [
        f"{c.question} ({'not answered' if c.unanswered else 'answered “don’t know”'})"
        + (" Could by itself change the top pathway." if c.alone else
           " Could change the top pathway together with the others marked so."
           if c.could_change_top else "")
        + f" Could move a score by up to {n_points(c.swing)}." for c in s.plan.check_first]),
    With(lambda s: s.ctx.weights, (
        Heading("How this was scored (for consultants)", 2),
        Para(lambda s: "Each answer adds or takes away points through a rule with a "
                       f"published weight and reason. {s.it}"),
    )),
    With(lambda s: s.plan.why_not, (
        Heading("Why not the others", 2),
        Each(lambda s: s.it, (
            Para(lead=lambda s: f"{s.it.label} ({behind(s.it.behind)})"),
            Bullets(lambda s: s.it.reasons),
        )),
    )),
)

ANSWERS = Each(lambda s: report.community_profile(s.kb, s.ctx.profile), (
    Heading(lambda s: s.it[0], 2),
    With(lambda s: [r for r in s.it[1] if r.state != "unanswered"], (
        Table(("Question", "Answer"),
              lambda s: [(r.question, ("Don\u2019t know: " if r.state == "dont-know" else "")
                          + r.answer) for r in s.it], widths=(3, 2)),
    )),
    With(lambda s: [r for r in s.it[1] if r.state == "unanswered"], (
        Para(lambda s: " \u00b7 ".join(r.question for r in s.it), lead="Not answered: "),
    )),
))

MEASURES = Each(lambda s: s.plan.recommended, (
    # The same columns as the PDF's table: the community fills in the last four.
    Table(("Measure", "Data from", "Baseline", "Target", "How often", "Owner"),
          lambda s: [(m.label,
                      ", ".join(s.kb.facts[f].label for f in m.data_from if f in s.kb.facts),
                      "", "", "", "")
                     for m in s.it.measures], widths=(2.6, 2.2, 1, 1, 1, 1),
          caption=lambda s: f"Measures to collect for {s.it.score.pathway.label}"),
))

SOURCES = (
    Each(lambda s: s.plan.sources, (SOURCE_LINE,)),
    With(_more_sources, (
        Heading("Sources for costs and starter documents", 2),
        Each(lambda s: s.it, (SOURCE_LINE,), start=lambda s: len(s.plan.sources) + 1),
    )),
    With(lambda s: flag_notes(s.ctx), (
        Heading("Points not yet confirmed", 2),
        Para("No source we could reach confirmed these points. They are kept so that you "
             "can check them."),
        Bullets(lambda s: [f"{label}: {flag}" for label, flag in s.it]),
    )),
)

SECTIONS: tuple[tuple[str, Block], ...] = (
    ("cover", Section(lambda s: f"Starter plan: {s.plan.community}", level=0, intro=lambda s: (
        f"First responder deflection. Generated {s.ctx.generated.isoformat()}; knowledge "
        f"base as of {s.kb.model.as_of}. This is an editable copy of the plan: change it to "
        "fit your community before you present it."))),
    ("brief", Section("Council brief", (
        With(lambda s: s.ctx.brief, BRIEF, empty=(
            Para("Every pathway is already running, so there is no new pathway to recommend."),
        )),
    ))),
    ("progress", Section("Progress so far", (
        Para(lambda s: progress_doc.on_target_words(s.ctx.progress)),
        Table(progress_doc.HEADERS, lambda s: progress_doc.rows(s.ctx.progress),
              widths=progress_doc.WIDTHS, caption="Progress on the plan\u2019s measures"),
        # Each measure's values by period: the PDF's charts as tables (the Word copy has
        # no chart images).
        Each(lambda s: progress_doc.measure_tables(s.ctx.progress), (
            Heading(lambda s: s.it.label, 2),
            Table(progress_doc.MEASURE_HEADERS, lambda s: s.it.rows,
                  widths=progress_doc.MEASURE_WIDTHS, caption=lambda s: s.it.caption),
        )),
        With(lambda s: progress_doc.funnel_rows(s.ctx.progress), (
            Para(lambda s: progress_doc.funnel_words(s.ctx.progress)),
            Table(progress_doc.FUNNEL_HEADERS, lambda s: s.it, widths=(3, 1, 2),
                  caption="From contact to treatment"),
        )),
    ), intro=progress_doc.INTRO, when=lambda s: s.ctx.progress)),
    ("actions", Section("Action plan", (
        Para(lambda s: "; ".join(t.label for t in s.plan.done) + ".",
             lead="Already done, from your answers, so not scheduled: ",
             when=lambda s: s.plan.done),
        Table(action_table.HEADERS, lambda s: [action_table.cells(r) for r in s.ctx.actions],
              widths=ACTION_WIDTHS, caption="Action plan"),
    ), intro=lambda s: (
        f"{len(s.ctx.actions)} steps from {_longdate(s.ctx.start)} to "
        f"{_longdate(max((r.end for r in s.ctx.actions), default=s.ctx.start))}. Each step "
        "starts after the steps it depends on. Steps on the longest chain set the launch "
        "date: a delay in any of them delays the launch. Change the start date, leads "
        "and status as the work goes on."))),
    ("stakeholders", Section("Who must be at the table", (
        Each(lambda s: s.plan.recommended, (Table(
            ("Partner", "Role", "Essential", "Status"),
            lambda s: [(st.label, st.role,
                        {True: "Essential", False: "Helpful", None: "Named by you"}[st.essential],
                        st.status_label) for st in s.it.stakeholders],
            widths=(1.6, 4, 1, 1.4), caption=lambda s: f"Partners for {s.it.score.pathway.label}"),
        )),
    ))),
    ("pathways", Each(lambda s: s.plan.recommended, PATHWAY)),
    ("state", Section("Your state's law and money", (
        Each(lambda s: s.ctx.state_law, STATE_RECORD),
    ), intro="What your state requires or funds for deflection, as far as we could confirm. "
             "Check each with the agency before you rely on it.",
        when=lambda s: s.ctx.state_law)),
    ("ranking", Section("Appendix A. How each pathway ranked, and why", RANKING, intro=(
        "Each pathway gets a fit score from 0 to 100: the sum of the points your answers add "
        "or take away. The range shows where the score could land once the \u201cdon\u2019t "
        "know\u201d answers are settled."))),
    ("profile", Section("Appendix B. Your answers", (ANSWERS,), intro=(
        "The answers this plan is built on. \u201cDon\u2019t know\u201d answers are kept: "
        "they widen the score ranges."))),
    ("measures", Section("Appendix C. Measures to collect", (MEASURES,), intro=(
        "Start collecting these from the first contact: they show whether the program works "
        "and they are what funders ask for. Fill in the baseline, the target, how often you "
        "will report, and who owns each one."))),
    ("notes", Section("Appendix D. Consultant notes and what the visit found", (
        Each(lambda s: s.ctx.notes, (
            Para(lambda s: ", ".join(x for x in (s.it.author, s.it.date) if x),
                 when=lambda s: s.it.author or s.it.date),
            Para(lambda s: s.it.text),
        )),
        Heading("What the visit found", 2),
        Para("Space for the planning team or consultant to record findings, decisions and "
             "follow-ups."), Para(), Para(), Para(),
    ))),
    ("sources", Section("Appendix E. Sources", SOURCES, intro=lambda s: (
        "Where the facts in this plan come from. Every record is in the planner\u2019s "
        f"knowledge base (as of {s.kb.model.as_of})."))),
    ("starter-documents", Section("Appendix F. Starter documents", (
        starter_documents(2, inline_flags=False),
    ), intro=STARTER_INTRO, when=lambda s: s.ctx.documents)),
)

# The starter documents alone, as their own .docx.
STARTER_DOCUMENTS = Section(lambda s: f"Starter documents: {s.plan.community}", (
    Para("There is no recommended pathway, so there are no starter documents.",
         when=lambda s: not s.ctx.documents),
    starter_documents(1, inline_flags=True),
), intro=STARTER_INTRO, level=0)
