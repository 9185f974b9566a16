"""The plan as HTML: complete, standalone, escaped, and the same for every scenario."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from markupsafe import escape

from planner.documents import report
from planner.engine import answers, plan
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.yaml"))

HUNTINGTON_FILE = Path(__file__).parent / "fixtures" / "answers" / "huntington.json"

SECTIONS = ("Council brief", "Action plan", "Who must be at the table", " in practice",
            "Appendix A. How each pathway ranked", "Appendix B. Your answers",
            "Appendix C. Measures to collect", "Appendix D. Consultant notes",
            "Appendix E. Sources")


class _Links(HTMLParser):
    """Collect hrefs, srcs, ids and every tag name of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.tags: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        for key in ("src", "data", "xlink:href"):
            if values.get(key):
                self.srcs.append(values[key] or "")
        if tag == "link" and values.get("href"):
            self.srcs.append(values["href"] or "")


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def kb(shipped_kb: Knowledge) -> Knowledge:
    return shipped_kb


@pytest.fixture(scope="module")
def huntington(kb: Knowledge) -> dict[str, Any]:
    data = json.loads(HUNTINGTON_FILE.read_text(encoding="utf-8"))
    return dict(answers.read_file(kb, data).answers)


@pytest.fixture(scope="module")
def built(kb: Knowledge, huntington: dict[str, Any]) -> plan.Plan:
    # Made on the day the plan below is prepared: its steps are dated from the plan's start.
    return plan.build(kb, read_profile(kb, huntington), today=dt.date(2026, 11, 1))


@pytest.fixture(scope="module")
def html(kb: Knowledge, built: plan.Plan, huntington: dict[str, Any]) -> str:
    return report.render_plan_html(kb, built, read_profile(kb, huntington), for_pdf=True,
                                   notes=["Met the chief on 3 May."],
                                   generated=dt.date(2026, 11, 1))


def test_the_plan_is_one_complete_html_document_with_title_and_language(html: str) -> None:
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in html
    assert "<title>Deflection starter plan: Huntington / Cabell County</title>" in html
    assert '<meta name="author"' in html
    assert "<style>" in html and "@page" in html
    assert '"DejaVu Sans"' in html


def test_the_plan_loads_nothing_from_outside_itself(html: str) -> None:
    doc = parse(html)
    outside = [s for s in doc.srcs if not s.startswith("data:image/svg+xml;base64,")]
    assert outside == [], "the plan inlines its CSS and charts"
    assert len(doc.srcs) == 2, "the two charts, as data: URIs"
    assert "<link" not in html and "@import" not in html
    assert "url(" not in html
    for src in doc.srcs:
        chart = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        assert set(re.findall(r"url\(([^)]*)\)", chart)) <= {u for u in re.findall(
            r"url\((#[^)]*)\)", chart)}, "only SVG-internal url(#...) references"
        assert not re.search(r'\b(href|src)="(?!#)', chart), "no link out of the chart"


def test_every_section_has_its_heading(html: str) -> None:
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)
    for title in SECTIONS:
        assert any(title in h for h in headings), title


def test_the_title_block_shows_community_dates_and_knowledge_date(kb: Knowledge,
                                                                  html: str) -> None:
    title = html.split("</header>", 1)[0]
    assert "Huntington / Cabell County" in title
    assert "November 1, 2026" in title  # prepared
    assert "Steps dated from December 7, 2026" in title  # first Monday of next month
    assert kb.model.as_of in title


def test_every_link_is_http_or_an_internal_anchor(html: str) -> None:
    doc = parse(html)
    for href in doc.hrefs:
        assert href.startswith(("https://", "http://")) or href[1:] in doc.ids, href


def test_every_recommended_record_is_linked(kb: Knowledge, built: plan.Plan, html: str) -> None:
    hrefs = set(parse(html).hrefs)
    detail = built.recommended[0]
    expected = {kb.tta[m.id].link for m in detail.tta}
    expected |= {kb.tta[t.id].link for g in detail.gaps for t in g.tta}
    expected |= {kb.mentor_sites[m.id].link for m in detail.mentors}
    expected |= {kb.funding[m.id].link for m in detail.funding}
    expected |= {s.url for s in built.sources}
    missing = {url for url in expected if url not in hrefs}
    assert not missing


def test_funding_lines_carry_their_fiscal_year_and_their_standing_on_the_plans_dates(
    kb: Knowledge, built: plan.Plan, html: str
) -> None:
    import html as markup

    text = markup.unescape(html)
    assert built.recommended[0].funding
    for match in built.recommended[0].funding:
        assert match.when and match.when in text, match.id
        if match.amount:
            assert match.amount.startswith("FY") or not kb.funding[match.id].cycles[0].fiscal_year
            assert match.amount in text


def test_program_figures_say_when_and_whether_self_reported(
    kb: Knowledge, built: plan.Plan, html: str
) -> None:
    outcomes = [o for m in built.recommended[0].programs[:3]
                for o in kb.programs[m.id].outcomes[:2]]
    assert outcomes
    for outcome in outcomes:
        assert f"As of {outcome.as_of}; {report.evidence_label(outcome)}" in html


def test_unverified_points_are_listed_with_the_sources_not_in_the_body(
        kb: Knowledge, built: plan.Plan, html: str) -> None:
    flagged = [f for m in built.recommended[0].funding for f in kb.funding[m.id].flags]
    assert flagged
    body, sources = html.split('id="sources"', 1)
    for flag in flagged:
        shown = str(escape(flag))  # as the template writes it
        assert shown in sources
        assert shown not in body


def test_dont_know_answers_stay_visible_in_the_profile(html: str) -> None:
    profile = html.split('id="profile"', 1)[1].split("</section>", 1)[0]
    assert "don’t know" in profile
    assert "Do you know particular places" in profile


def test_each_chart_has_a_text_alternative(built: plan.Plan, html: str) -> None:
    figures = re.findall(r'<figure class="chart" id="([^"]+)">(.*?)</figure>', html, flags=re.S)
    top = built.recommended[0].score.pathway.id
    assert [f[0] for f in figures] == [f"stakeholder-chart-{top}", "ranking-chart"]
    for _, body in figures:
        alt = re.search(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)">', body)
        assert alt and len(alt.group(1)) > 60, "the full text alternative, not a label"
        assert re.search(r"<figcaption><strong>Figure \d\.", body)
        assert "The table below" in body
    ranking = re.search(r'id="ranking-chart">.*?alt="([^"]+)"', html, flags=re.S)
    assert ranking and all(s.pathway.label in ranking.group(1) for s in built.ranking.scores)


def test_the_action_plan_lists_every_step_once_with_dates(built: plan.Plan, html: str) -> None:
    table = html.split('id="actions"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr[^>]*><td class=\"task\">(.*?)</td>", table, flags=re.S)
    assert len(rows) == len(built.timeline)
    for task in built.timeline:
        assert sum(task.task.label in row for row in rows) == 1, task.task.label
    assert re.search(r"<td>[A-Z][a-z]{2} \d{1,2}, 20\d\d</td>", table)  # dated


def test_consultant_notes_appear_only_when_given(kb: Knowledge, built: plan.Plan,
                                                 huntington: dict[str, Any]) -> None:
    without = report.render_plan_html(kb, built, read_profile(kb, huntington))
    assert "class=\"consultant-note\"" not in without
    assert "What the visit found" in without  # space to write in, always
    with_note = report.render_plan_html(
        kb, built, read_profile(kb, huntington),
        notes=[report.ConsultantNote("Call back", "Ana", "2026-05-03")])
    assert "Call back" in with_note and "Ana, 2026-05-03" in with_note


def test_free_text_is_escaped_everywhere(kb: Knowledge, huntington: dict[str, Any]) -> None:
    evil = '<img src="file:///etc/passwd"><script>alert(1)</script>'
    given = answers.validate(kb, {**huntington, "community-name": evil[:120], "notes": evil})
    profile = read_profile(kb, given)
    html = report.render_plan_html(kb, plan.build(kb, profile), profile, notes=[evil])
    assert "<script" not in html and "file:///etc/passwd\"" not in html
    assert re.findall(r"<img\b[^>]*>", html) == re.findall(
        r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="[^"<>]*">', html)
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html


def test_a_templates_folder_can_be_configured(tmp_path: Path, kb: Knowledge, built: plan.Plan,
                                              huntington: dict[str, Any]) -> None:
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "plan.html").write_text("<p>{{ plan.community }}</p>", encoding="utf-8")
    out = report.render_plan_html(kb, built, read_profile(kb, huntington), templates_dir=tmp_path)
    assert out == "<p>Huntington / Cabell County</p>"


def test_stability_is_said_in_words(kb: Knowledge, built: plan.Plan) -> None:
    words = report.stability_words(kb, built)
    assert words.startswith(("Clear lead:", "Close call:"))
    assert built.ranking.candidates[0].pathway.label in words


def test_only_web_links_become_links() -> None:
    assert report.safe_url("https://example.org/x") == "https://example.org/x"
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "//example.org", "data:,x", None):
        assert report.safe_url(bad) is None


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_renders_a_complete_plan(kb: Knowledge, path: Path) -> None:
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    given = answers.validate(kb, scenario["answers"])
    profile = read_profile(kb, given)
    html = report.render_plan_html(kb, plan.build(kb, profile), profile, for_pdf=True)
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", html, flags=re.S)
    for title in SECTIONS:
        assert any(title in h for h in headings), (path.stem, title)
    assert "{{" not in html and "{%" not in html


def test_a_number_of_points_agrees_with_its_noun() -> None:
    from planner.engine.words import n_points

    assert [n_points(v) for v in (0, 0.6, 1.4, 2, 12.5, -1)] == [
        "0 points", "1 point", "1 point", "2 points", "12 points", "-1 point"]


def test_stability_words_agree_in_number(kb: Knowledge) -> None:
    """One answer, one question; several answers, several questions."""
    said = {}
    for path in SCENARIOS:
        scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
        profile = read_profile(kb, answers.validate(kb, scenario["answers"]))
        said[path.stem] = report.stability_words(kb, plan.build(kb, profile))
    assert any("takes 1 answer:" in words for words in said.values())
    for stem, words in said.items():
        plural_after_one = r"\b1 (\u201cdon\u2019t know\u201d )?(answer|question)s\b"
        assert not re.search(plural_after_one, words), stem
        assert not re.search(r"\b1 \u201cdon\u2019t know\u201d answer turn\b", words), stem
        assert not re.search(r"\b1 question that bear\b", words), stem
