"""Render a community's starter plan as one standalone HTML document.

The same HTML is the browser preview and the input WeasyPrint turns into the
PDF: templates under templates/plan/, autoescaped, with the print CSS inlined
so the document needs no other file. Everything here is plain data work; the
wording a template would find awkward to compute (stability in words, evidence
labels, the latest funding amounts) is prepared by the small helpers below.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from planner.documents import charts, progress_doc
from planner.documents.brief import build_brief
from planner.engine import actions, costs, scoring, staffing
from planner.engine.answers import month_words
from planner.engine.funding import state_money
from planner.engine.plan import Plan, named_partners
from planner.engine.profile import CommunityProfile
from planner.engine.scoring import Stability
from planner.engine.sensitivity import WeightSensitivity, weight_sensitivity
from planner.engine.words import behind, n_points, shown_gap
from planner.knowledge import states
from planner.knowledge.model import (
    Initiative,
    Knowledge,
    MentorSite,
    Outcome,
    Source,
)

AUTHOR = "Deflection Pathway Planner"

EVIDENCE = {
    "self_reported": "self-reported by the program",
    "press": "reported in the press (self-reported)",
    "program_evaluation": "program evaluation",
    "peer_reviewed": "peer-reviewed study",
    "quasi_experimental": "quasi-experimental evaluation",
    "descriptive": "descriptive study",
}


@dataclass(frozen=True)
class ConsultantNote:
    """A note a TTA consultant recorded for the community (shown as plain text)."""

    text: str
    author: str = ""
    date: str = ""


@dataclass(frozen=True)
class ProfileRow:
    question: str
    answer: str
    state: str  # "answered", "dont-know" or "unanswered"


def default_templates_dir() -> Path:
    """The templates/ folder of a checkout (the package's parent directory)."""
    return Path(__file__).resolve().parents[2] / "templates"


def safe_url(url: object) -> str | None:
    """Return url if it is an absolute http(s) link, else None (rendered as plain text)."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in {"http", "https"} and parts.netloc:
        return url.strip()
    return None


@cache
def environment(templates_dir: str) -> jinja2.Environment:
    """The Jinja environment over one templates folder (built once per folder)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["fact_label"] = _fact_label
    env.filters["host"] = lambda url: urlsplit(url).netloc.removeprefix("www.")
    env.filters["points"] = lambda v: f"{v:+.0f}"
    env.filters["whole"] = lambda v: f"{v:.0f}"
    env.filters["fte_range"] = lambda line: costs.fte_range(line.fte_low, line.fte_high)
    env.filters["budget_words"] = costs.budget_words
    env.filters["wage_basis"] = costs.wage_basis
    env.filters["transport_words"] = costs.transport_words
    env.filters["n_points"] = n_points
    env.filters["behind"] = behind
    env.filters["first_sentences"] = first_sentences
    env.filters["longdate"] = lambda d: f"{d.strftime('%B')} {d.day}, {d.year}"
    env.filters["shortdate"] = lambda d: f"{d.strftime('%b')} {d.day}, {d.year}"
    env.globals["evidence_label"] = evidence_label
    env.globals["in_100"] = in_100
    return env


@jinja2.pass_context
def _fact_label(context: jinja2.runtime.Context, fact_id: str) -> str:
    kb: Knowledge = context["kb"]
    return kb.facts[fact_id].label if fact_id in kb.facts else fact_id


def first_sentences(text: str, count: int) -> str:
    """The first `count` sentences of a text (a sentence ends with ., ? or ! and a space)."""
    import re

    parts = re.split(r"(?<=[.?!])\s+(?=[A-Z])", text.strip())
    return " ".join(parts[:count])


def evidence_label(outcome: Outcome) -> str:
    """Say how a figure is known (self-reported or evaluated)."""
    kind = EVIDENCE.get(outcome.evidence_type, outcome.evidence_type.replace("_", " "))
    if outcome.self_reported or outcome.evidence_type.startswith("self"):
        return kind
    return f"{kind} (not self-reported)"


def answer_text(kb: Knowledge, profile: CommunityProfile, question_id: str) -> ProfileRow:
    """One asked question with the community's answer, "don't know" kept visible."""
    qa = profile.answer(question_id)
    question, value = qa.question, qa.value
    if qa.status == "unanswered":
        return ProfileRow(question.label, "Not answered", "unanswered")
    if question.has_options:
        chosen = [o for o in question.options if o.id in qa.chosen]
        return ProfileRow(question.label, ", ".join(o.label for o in chosen), qa.status)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if question.type == "month" and isinstance(value, str):
        return ProfileRow(question.label, month_words(value), "answered")
    return ProfileRow(question.label, str(value), "answered")


def community_profile(kb: Knowledge,
                      profile: CommunityProfile) -> list[tuple[str, list[ProfileRow]]]:
    """The asked questions grouped by section, each with its answer. An optional question
    without choices (a note, a local figure) that was left blank is left out: it bears on
    nothing."""
    asked = [q for q in profile.asked
             if q.has_options or q.required or profile.status(q.id) == "answered"]
    groups = []
    for section in kb.sections:
        rows = [answer_text(kb, profile, q.id) for q in asked if q.section == section.id]
        if rows:
            groups.append((section.label, rows))
    return groups


def stability_rule(kb: Knowledge) -> str:
    """The one rule behind "clear lead" and "close call", in the words every page, the plan,
    the command line and the README use (the label itself: scoring.label_for)."""
    chance = kb.model.chance
    return (
        f"How sure, by one rule: we score your answers {chance.samples:,} more times, filling "
        "in each \u201cdon\u2019t know\u201d or blank answer at random and letting the "
        "points of each answer vary by up to a quarter. The lead is clear when the top "
        f"pathway comes first in at least {chance.clear_lead_percent} of every 100 tries; "
        "otherwise it is a close call. The challenger is the pathway that comes first most "
        "often after it. These odds come from the planner\u2019s own scoring, not from how "
        "programs turned out.")


def in_100(stab: Stability, pathway_id: str) -> str:
    """A pathway's chance of coming first as "N of every 100" words ("fewer than 1")."""
    chance = stab.chance
    if chance is None:
        return "0"
    percent = chance.percent.get(pathway_id, 0)
    if percent == 0 and chance.counts.get(pathway_id, 0) > 0:
        return "fewer than 1"
    return str(percent)


def lead_words(kb: Knowledge, plan: Plan) -> str:
    """How far the top pathway leads the second, or that they are tied and how ties go."""
    candidates = plan.ranking.candidates
    top, second = candidates[0], candidates[1]
    if plan.stability.tied:
        return (f"{top.pathway.label} and {second.pathway.label} are tied at "
                f"{round(top.score)} out of 100, and {top.pathway.label} is listed first: "
                f"{kb.model.tie_break}")
    margin = shown_gap(top.score, second.score)
    gap = "less than 1 point" if abs(margin) < 1 else n_points(margin)
    return f"On points, {top.pathway.label} leads {second.pathway.label} by {gap}."


def stability_words(kb: Knowledge, plan: Plan) -> str:
    """Say how sure the ranking is (by stability_rule), name the one challenger (the
    runner-up by chance of coming first), and what would put it first."""
    stab: Stability = plan.stability
    candidates = plan.ranking.candidates
    if stab.status == "none" or len(candidates) < 2:
        return "Only one pathway could be ranked, so there is no close contender."
    top = candidates[0]
    rival = kb.pathways[stab.challenger].label if stab.challenger else ""
    chance_top = in_100(stab, top.pathway.id)
    if stab.status == "stable":
        text = (f"Clear lead: {top.pathway.label} came first in {chance_top} of every 100 "
                "tries with the unknown answers filled in at random.")
    else:
        text = (f"Close call: {top.pathway.label} came first in only {chance_top} of every "
                "100 tries with the unknown answers filled in at random.")
    if stab.challenger:
        text += (f" The challenger is {rival}, first in {in_100(stab, stab.challenger)} of "
                 "every 100.")
    text += " " + lead_words(kb, plan)
    if stab.flip and stab.challenger:
        changes = "; ".join(
            f"\u201c{c.question}\u201d answered \u201c{c.to_answer}\u201d instead of "
            f"\u201c{c.from_answer}\u201d" for c in stab.flip
        )
        count = len(stab.flip)
        text += (f" The smallest change that would put {rival} first takes {count} "
                 f"answer{'s' if count != 1 else ''}: {changes}.")
    elif stab.challenger:
        text += f" No change of your answers that we could find would put {rival} first."
    text += blank_words(kb, plan)
    return text


def blank_words(kb: Knowledge, plan: Plan) -> str:
    """Whether the blank questions could change the top, naming those that could."""
    blank = len(plan.ranking.unanswered_questions)
    if not blank:
        return ""
    names = blank_changer_labels(kb, plan)
    text = (f" {blank} question{'s' if blank != 1 else ''} that "
            f"bear{'' if blank != 1 else 's'} on the ranking "
            f"{'were' if blank != 1 else 'was'} left blank; ")
    if not names:
        return text + "answered against the leader, they could not put another pathway first."
    listed = "; ".join(f"\u201c{n}\u201d" for n in names)
    return (text + "answered against the leader, "
            + ("this one" if len(names) == 1 else f"these {len(names)}")
            + f" could put another pathway first: {listed}.")


def blank_changer_labels(kb: Knowledge, plan: Plan) -> tuple[str, ...]:
    """The blank questions that could change the top pathway, by label."""
    return tuple(kb.questions[q].label for q in plan.stability.blank_changers)


def worst_case_words(kb: Knowledge, plan: Plan) -> str:
    """The older worst-case reading of the lead, for consultants."""
    stab = plan.stability
    if stab.status == "none" or not stab.unknown_rival:
        return ""
    top = plan.ranking.candidates[0].pathway.label
    rival = kb.pathways[stab.unknown_rival].label
    lead = stab.worst_lead
    where = (f"{top} would still lead {rival} by {n_points(lead)}" if lead > 0.5 else
             f"{rival} could {'overtake' if lead < -0.5 else 'draw level with'} {top}")
    verdict = ("steady" if stab.worst_case_status == "stable" else "not steady")
    return (f"Worst case: if every \u201cdon\u2019t know\u201d answer went against it, "
            f"{where}. By the worst-case reading (no other pathway could overtake, and no "
            f"single changed answer would put another first) the lead is {verdict}.")


def unanswered_labels(kb: Knowledge, plan: Plan) -> tuple[str, ...]:
    """The questions that bear on the ranking but were left blank, by label."""
    return tuple(kb.questions[q].label for q in plan.ranking.unanswered_questions)


def unanswered_words(count: int) -> str:
    """Say that blank questions were scored as unknown (web, CLI and plan use this)."""
    if not count:
        return ""
    return (f"{count} question{'s' if count != 1 else ''} that bear{'s' if count == 1 else ''} "
            "on the ranking {} not answered. The ranking treats {} as unknown, so it may "
            "change once {} answered.").format(*(("was", "it", "it is") if count == 1 else
                                                ("were", "them", "they are")))


def check_first_words(kb: Knowledge, plan: Plan) -> str:
    """One sentence before the list of facts worth checking: whether any could change the top."""
    items = plan.check_first
    if not items:
        return "Every answer that bears on the ranking is known."
    decisive = [c for c in items if c.could_change_top]
    if not decisive:
        return ("None of the unknown answers could change the top pathway, whichever way they "
                "turn out; settling them would still sharpen the scores.")
    if any(c.alone for c in decisive):
        return ("Some of these answers could, on their own, put another pathway first: settle "
                "them before you commit.")
    return (f"Together, the first {len(decisive)} of these could put another pathway first: "
            "settle them before you commit.")


def weights_words(kb: Knowledge, sens: WeightSensitivity) -> str:
    """Say how far a single weight would have to move to change the top pathway."""
    low, high = scoring.WEIGHT_LIMITS
    if sens.checked == 0:
        return ""
    if sens.robust:
        return (f"No single weight, moved anywhere within its published limits "
                f"({_signed(low)} to {high}), would change the top pathway; "
                f"{sens.checked} weights bear on these answers.")
    nearest = sens.margins[0]
    return (f"The nearest single weight that would change the top pathway is the one for "
            f"\u201c{nearest.subject}: {nearest.answer}\u201d in "
            f"{kb.pathways[nearest.pathway].label}: from {_signed(nearest.rule.weight)} to "
            f"{_signed(nearest.flips_at)}, {kb.pathways[nearest.new_top].label} would lead.")


def _signed(number: int) -> str:
    """A whole number with a true minus sign (read as "minus" by screen readers)."""
    return str(number).replace("-", "\u2212")


def mentor_requests(kb: Knowledge, site: MentorSite) -> tuple[Initiative, ...]:
    """The mentoring initiatives through which a visit to a site can be requested."""
    seen: dict[str, Initiative] = {}
    for membership in sorted(site.memberships, key=lambda m: m.initiative):
        initiative = kb.initiatives.get(membership.initiative)
        if initiative is not None and initiative.open and membership.status == "current":
            seen.setdefault(initiative.id, initiative)
    return tuple(seen.values())


def mentor_initiatives(kb: Knowledge, mentors: Iterable[Any]) -> tuple[Initiative, ...]:
    """Each initiative the matched mentor sites belong to, once (current ones first)."""
    seen: dict[str, Initiative] = {}
    for match in mentors:
        for initiative in mentor_requests(kb, kb.mentor_sites[match.id]):
            seen.setdefault(initiative.id, initiative)
    return tuple(sorted(seen.values(), key=lambda i: i.status != "current"))


def flagged_records(kb: Knowledge, plan: Plan) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each record the plan cites that carries unconfirmed points, with those points, once,
    in the order the plan shows them (data-quality flags live in the Sources appendix)."""
    seen: dict[str, tuple[str, tuple[str, ...]]] = {}
    for d in plan.recommended:
        records: list[Any] = [d.score.pathway]
        records += [kb.programs[m.id] for m in d.programs]
        records += [kb.mentor_sites[m.id] for m in d.mentors]
        records += [kb.tta[m.id] for m in d.tta]
        records += [kb.tta[m.id] for g in d.gaps for m in g.tta]
        records += [kb.funding[m.id] for m in d.funding]
        for record in records:
            if record.flags and record.id not in seen:
                seen[record.id] = (record.label, record.flags)
    return tuple(seen.values())


def citations(plan: Plan) -> Callable[[Source], int | None]:
    """A source's number in the plan's Sources list (None for one not listed there)."""
    numbers = {src.url: n for n, src in enumerate(plan.sources, start=1)}
    return lambda src: numbers.get(src.url)


def _notes(notes: Iterable[str | ConsultantNote]) -> tuple[ConsultantNote, ...]:
    return tuple(
        n if isinstance(n, ConsultantNote) else ConsultantNote(str(n))
        for n in notes if (n.text if isinstance(n, ConsultantNote) else str(n)).strip()
    )


def chart_img(svg: str, alt: str) -> Markup:
    """The SVG as an `<img>` with a `data:` URI and alt text.

    As a separate image document the chart keeps its own styles under a strict
    content security policy, and WeasyPrint tags it as one Figure with that alt
    text instead of styling and tagging hundreds of SVG elements in the page: it
    renders the same vector drawing about 0.1 s faster per plan.
    """
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup('<img src="data:image/svg+xml;base64,{}" alt="{}">').format(
        Markup(data), alt)  # noqa: S704 - base64 text only


def _charts(plan: Plan) -> dict[str, Any]:
    # The chart module builds its SVG from knowledge labels and escapes them itself.
    # Each image's alt text is the chart's full text alternative (the PDF's Figure tag
    # carries it); the table next to each chart gives the same figures to every reader.
    out: dict[str, Any] = {
        "ranking_img": chart_img(charts.ranking_chart(plan.ranking),
                                 charts.ranking_alt(plan.ranking)),
        "stakeholder_imgs": [],
    }
    for detail in plan.recommended:
        label = detail.score.pathway.label
        out["stakeholder_imgs"].append(chart_img(
            charts.stakeholder_chart(detail.stakeholders, label),
            charts.stakeholder_alt(detail.stakeholders, label)))
    return out


def _progress_charts(shown: dict[str, Any] | None) -> list[Markup]:
    """Each measure's chart (the progress page's), with its text alternative as alt text,
    in the order of the tables beside them ("Progress so far")."""
    if not shown:
        return []
    from planner.documents import progress_chart

    return [chart_img(progress_chart.measure_chart(t.measure),
                      progress_chart.measure_alt(t.measure)) for t in shown["measures"]]


def render_plan_html(
    kb: Knowledge,
    plan: Plan,
    profile: CommunityProfile,
    *,
    for_pdf: bool = False,
    notes: Sequence[str | ConsultantNote] = (),
    base_url: str = "",
    templates_dir: Path | str | None = None,
    generated: dt.date | None = None,
    author: str = AUTHOR,
    start: dt.date | None = None,
    preview_links: dict[str, Any] | None = None,
    progress: Any = None,
) -> str:
    """Render the starter plan as a complete, standalone HTML document.

    `profile` is the community profile the plan was built from (the plan shows its
    answers). `base_url` is the prefix for static asset URLs (the web
    preview passes its static URL; the PDF resolves relative URLs inside the
    static folder); the plan inlines its CSS and charts, so it needs none today.
    """
    env = environment(str(templates_dir or default_templates_dir()))
    template = env.get_template("plan/plan.html")
    shown_progress = progress_doc.for_template(progress)
    progress_imgs = _progress_charts(shown_progress)
    day = generated or dt.date.today()
    begin = start or (plan.dates.start if plan.dates else actions.default_start(day))
    rows = actions.action_plan(kb, plan.timeline, profile, named_partners(kb, profile), begin)
    state_context = states.context_for(kb, profile.state)
    return template.render(
        generated_date=day,
        preview_links=preview_links,
        progress=shown_progress,
        progress_imgs=progress_imgs,
        # The progress charts come first in the plan: the other figures number after them.
        figure_offset=len(progress_imgs),
        start=begin,
        actions=rows,
        brief=build_brief(kb, plan, profile, rows, begin),
        cost=(staffing.estimate(kb, profile, plan.top.score.pathway.id)
              if plan.top else None),
        flagged=flagged_records(kb, plan) + tuple(
            (s.label, s.flags) for s in state_context if s.flags),
        state_context=state_context,
        kb=kb,
        plan=plan,
        for_pdf=for_pdf,
        base_url=base_url,
        author=author,
        generated=(generated or dt.date.today()).isoformat(),
        profile=community_profile(kb, profile),
        stability=stability_words(kb, plan),
        stability_rule=stability_rule(kb),
        check_first_words=check_first_words(kb, plan),
        unanswered=unanswered_labels(kb, plan),
        unanswered_words=unanswered_words(len(plan.ranking.unanswered_questions)),
        weights=weights_words(kb, weight_sensitivity(kb, profile, plan.ranking)),
        notes=_notes(notes),
        state_money=lambda record: state_money(record, day),
        mentor_requests=lambda site: mentor_requests(kb, site),
        mentor_initiatives=lambda mentors: mentor_initiatives(kb, mentors),
        cite=citations(plan),
        increment_words=lambda estimate: costs.increment_words(kb, estimate),
        **_charts(plan),
    )
