"""The application starter (issue 30): sections named as in the solicitation, filled only
from the answers and the planner's sources, every gap marked, no other community's text,
reading grade 12 or below, the sizing's budget, and the same bytes every time."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from readability import grade

from planner.cli import main
from planner.documents import action_table, application, docx_export
from planner.engine import costs, plan, sizing
from planner.engine.answers import read_file
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge import loader

KB = loader.load_default()
FIXTURES = Path(__file__).parent / "fixtures" / "answers"
START = dt.date(2027, 1, 4)
TODAY = dt.date(2026, 12, 4)
SECTIONS = (
    "Description of the Issue (Statement of the Problem)",
    "Project Design and Implementation",
    "Capabilities and Competencies",
    "Plan for Collecting the Data Required for Performance Measures",
    "Budget and Budget Narrative",
    "Timeline",
    "Checklist of Attachments",
)
# Places of programs elsewhere that the knowledge base's pathway texts mention.
ELSEWHERE = ("Huntington", "Colerain", "Plymouth", "Columbus", "Lucas County", "Gloucester",
             "Seattle", "Hamilton County")


def _profile(name: str) -> CommunityProfile:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return read_profile(KB, read_file(KB, data).answers)


def _app(profile: CommunityProfile) -> application.Application:
    built = plan.build(KB, profile)
    rows = action_table.rows(KB, built, profile, START)
    app = application.build(KB, built, profile, rows, generated=TODAY,
                            size=application.sizing_for(KB, built, profile))
    assert app is not None
    return app


CASES = {"kentucky": _profile("kentucky-rural-sheriff.json"),
         "huntington": _profile("huntington.json")}


@pytest.mark.parametrize("who", sorted(CASES))
def test_sections_gaps_grade_and_no_other_community(who: str) -> None:
    profile = CASES[who]
    app = _app(profile)
    assert tuple(s.title for s in app.sections) == SECTIONS
    text = app.text()
    assert app.gaps and "[to fill in:" in text
    assert grade(text) <= 12, grade(text)
    own = profile.name.lower()
    for place in ELSEWHERE:
        if place.lower() not in own:
            assert place not in text, place
    assert profile.name in text
    checklist = [b.text for b in app.sections[-1].blocks]  # one box a line, no bullets
    assert all(i.startswith("\u2610 ") for i in checklist)
    assert any("Letter of support" in i for i in checklist)
    # The lead agency applies: no letter of support from itself, its role said once, and
    # none of the planner's own reasoning about which partner is essential.
    lead = KB.facts[profile.lead_agency].label if profile.lead_agency else ""
    assert lead and f"Letter of support: {lead}." not in checklist
    capabilities = next(s for s in app.sections if s.title == "Capabilities and Competencies")
    listed = [i.split(":")[0] for b in capabilities.blocks for i in b.items]
    assert lead not in listed
    assert "essential" not in text.lower() and "CHJ" not in text
    # Data comes from the community's own partners: a sheriff-led county has no police here.
    data = next(s for s in app.sections if s.title.startswith("Plan for Collecting"))
    if profile.lead_agency == "sheriff":
        assert "Police department" not in " ".join(" ".join(r) for b in data.blocks
                                                   for r in b.rows)
    assert any("data-sharing" in i.lower() for i in checklist)
    assert any("memorandum of understanding" in i.lower() or "mou" in i.lower()
               for i in checklist)


def test_counts_are_gaps_until_given_and_then_the_communitys_own() -> None:
    ky = CASES["kentucky"]
    text = _app(ky).text()
    assert "[to fill in: the number of drug possession arrests a year" in text
    given = _app(ky.with_answer("count-possession-arrests", 85)).text()
    assert "Arrests for drug possession a year: 85 (our count)." in given
    assert "[to fill in: the number of drug possession arrests a year" not in given
    assert "85 people" in given  # the sizing uses the count


@pytest.mark.parametrize("who", sorted(CASES))
def test_the_budget_is_the_sizings(who: str) -> None:
    profile = CASES[who]
    app = _app(profile)
    built = plan.build(KB, profile)
    size = application.sizing_for(KB, built, profile)
    assert size is not None and size.first_year_cost is not None
    cost = size.first_year_cost
    budget = next(s for s in app.sections if s.title == "Budget and Budget Narrative")
    words = " ".join(b.text for b in budget.blocks)
    assert (f"{costs.dollars(int(cost.low))} to {costs.dollars(int(cost.high))}") in words
    table = next(b for b in budget.blocks if b.kind == "table")
    assert table.rows[-1][-1] == sizing.range_words(cost.low, cost.high, "dollars")


@pytest.mark.parametrize("who", sorted(CASES))
def test_the_word_file_is_the_same_every_time_and_marks_gaps(who: str) -> None:
    app = _app(CASES[who])
    first, second = docx_export.render_application(app), docx_export.render_application(
        _app(CASES[who]))
    assert first == second
    document = docx.Document(io.BytesIO(first))
    headings = [p.text for p in document.paragraphs
                if p.style is not None and p.style.name == "Heading 1"]
    assert tuple(headings) == SECTIONS
    marked = [r for p in document.paragraphs for r in p.runs
              if r.text.startswith("[to fill in:")]
    assert marked and all(r.font.highlight_color is not None for r in marked)


def test_cli_writes_the_application(tmp_path: Path) -> None:
    out = tmp_path / "application.docx"
    runner = CliRunner()
    result = runner.invoke(main, ["plan", str(FIXTURES / "kentucky-rural-sheriff.json"),
                                  "--application", "-o", str(out), "--start", "2027-01-04"])
    assert result.exit_code == 0, result.output
    assert docx.Document(str(out)).paragraphs[0].text.startswith("Application starter")
    wrong = runner.invoke(main, ["plan", str(FIXTURES / "huntington.json"), "--application",
                                 "-o", str(tmp_path / "application.pdf")])
    assert wrong.exit_code != 0 and "--application writes a Word document" in wrong.output


def test_an_aside_naming_another_community_is_dropped_wherever_it_stands() -> None:
    """At the end of the text too, with the space before it (it once raised IndexError, a
    500 for any community whose pathway's text ended so)."""
    names = ("Tucson",)
    assert application.own_words("Adults not ruled out (Tucson excluded warrants)", names) == \
        "Adults not ruled out"
    assert application.own_words("Adults (as in Tucson) who ask.", names) == "Adults who ask."
    assert application.own_words("Tucson ran it. Others may.", names) == "Others may."
    assert application.own_words("Adults (any age) who ask.", names) == "Adults (any age) who ask."
