"""The council brief: two pages in plain words, built from the plan and the answers.

Nothing here uses the model's vocabulary (weights, slack, critical path): it says what the
community told us, what we recommend and why, what running it looks like, what to decide,
the first 90 days, and the risks. `tests/test_brief.py` measures its reading grade.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.engine.actions import ActionRow
from planner.engine.plan import Plan, reason_words, top_reasons
from planner.engine.profile import CommunityProfile
from planner.engine.words import mid_sentence
from planner.knowledge.model import Knowledge


@dataclass(frozen=True)
class Brief:
    place: str
    problems: tuple[str, ...]
    pathway: str
    how_sure: str
    reasons: tuple[str, ...]
    looks_like: tuple[str, ...]
    decision: tuple[str, ...]
    first_90: tuple[ActionRow, ...]
    risks: tuple[str, ...]
    check_first: tuple[str, ...]
    # What settling the check-first answers could do, in words that agree with how_sure.
    check_first_note: str = ""
    # The lead agency (id and label): the first 90 days name a step's lead only when it is
    # another partner.
    lead_id: str | None = None
    lead: str = ""  # as it reads mid-sentence: "the police department leads"
    # "Start with" for a new program, "Add" for one adding a pathway to what it runs.
    verb: str = "Start with"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _label(kb: Knowledge, profile: CommunityProfile, qid: str) -> str:
    question = kb.questions.get(qid)
    chosen = profile.chosen(qid)
    option = question.option(chosen[0]) if question and chosen else None
    return option.label if option is not None and not option.dont_know else ""


def _place(kb: Knowledge, profile: CommunityProfile) -> str:
    """Where and what size the community is, from its answers."""
    size = _label(kb, profile, "population")
    if (size and size[0].isdigit()) or size.lower().startswith(("under", "over", "fewer",
                                                                 "more")):
        size += " people"
    parts = [p for p in (_label(kb, profile, "state"), size,
                         mid_sentence(_label(kb, profile, "rurality"))) if p]
    return "; ".join(parts) + "." if parts else ""


def place_words(kb: Knowledge, profile: CommunityProfile) -> str:
    """Where and what size the community is, in the brief's words (the application's too)."""
    return _place(kb, profile)


def _problems(kb: Knowledge, profile: CommunityProfile, plan: Plan) -> tuple[str, ...]:
    """The problems the community reported, in its own answers' words."""
    out = []
    for question in kb.questions.values():
        if question.section != "problems":
            continue
        chosen = profile.chosen(question.id)
        options = [o for o in question.options if o.id in chosen and not o.dont_know]
        if options and any(o.indicates for o in options):
            out.append(_sentence(f"{question.label} {', '.join(o.label for o in options)}"))
    return tuple(out[:6])


def build_brief(kb: Knowledge, plan: Plan, profile: CommunityProfile,
                actions: tuple[ActionRow, ...], start: dt.date) -> Brief | None:
    top = plan.top
    if top is None:
        return None
    s = top.score
    pathway = s.pathway
    stab = plan.stability
    odds = stab.chance.percent.get(pathway.id, 0) if stab.chance is not None else 0
    # The runner-up a close call names: the challenger (first most often after the top),
    # else the next pathway on points.
    others = [c.pathway.id for c in plan.ranking.candidates if c.pathway.id != pathway.id]
    runner_up = stab.challenger or (others[0] if others else None)
    rival = kb.pathways[runner_up].label if runner_up else ""
    if stab.status == "stable":
        how_sure = f"a clear lead: it came first in {odds} of every 100 tries"
    elif stab.status == "close-call":
        how_sure = (f"a close call: it came first in only {odds} of every 100 tries"
                    + (f", so talk over {rival} too" if rival else ""))
    else:
        how_sure = "the only pathway left to rank"
    # The reasons every page gives (plan.top_reasons), in the community's own words.
    reasons = tuple(reason_words(c) for c in top_reasons(kb, s))
    looks_like = (
        _sentence(pathway.summary),
        _sentence(f"Who starts the contact: {pathway.initiator}"),
    )
    lead_id = (profile.lead_agency if profile.lead_agency in kb.facts
               else next((a.lead_id for a in actions if a.lead_id), None))
    lead = kb.facts[lead_id].label if lead_id else None
    missing = [st.label for st in top.stakeholders if st.essential and not st.present]
    # The lead agency signs with its partners, never with itself.
    partners = [st.label for st in top.stakeholders if st.status == "named" and st.essential
                and st.partner_id != profile.lead_agency]
    decision = [
        f"Approve a planning phase to {'add' if top.delta else 'start'} {pathway.label}, "
        "beginning "
        f"{start.strftime('%B')} {start.day}, {start.year}.",
        (f"Name the lead agency ({lead}) and assign a program manager."
         if lead else "Choose a lead agency and assign a program manager."),
    ]
    if partners:
        decision.append("Let the lead agency sign working agreements with these partners: "
                        + "; ".join(partners) + ".")
    if missing:
        decision.append("Ask these partners to join: " + "; ".join(missing) + ".")
    # Only money the community can apply for, open or expected on the plan's dates and
    # lasting past its launch (planner.engine.funding decides, once).
    application = next((f.application for f in top.funding if f.to_apply), "")
    if application:
        decision.append(application)
    first_90 = tuple(a for a in actions if (a.start - start).days < 90)[:6]
    risks = [f"Missing: {g.gap.label.lower()}. {g.gap.why}" for g in top.gaps[:2]]
    risks += [_sentence(c) for c in pathway.challenges[:2]]
    check = tuple(c.question for c in plan.check_first if c.could_change_top)[:4]
    # A clear lead and "could change the advice" must not read as a contradiction: the
    # lead is clear because such answers rarely changed it in the tries.
    note = ("" if not check else
            "These answers could change the advice." if stab.status != "stable" else
            "These answers could still change the advice. In our tries they seldom did.")
    return Brief(
        place=_place(kb, profile), problems=_problems(kb, profile, plan),
        pathway=pathway.label, how_sure=how_sure, reasons=reasons, looks_like=looks_like,
        decision=tuple(decision), first_90=first_90, risks=tuple(risks[:4]), check_first=check,
        check_first_note=note,
        lead_id=lead_id,
        lead=mid_sentence(lead or ""),
        verb="Add" if top.delta else "Start with",
    )
