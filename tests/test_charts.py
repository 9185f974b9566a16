"""The charts: vector SVG with a title and a text alternative, drawn once per set of values."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from planner.documents import charts
from planner.engine import answers, plan
from planner.engine.profile import read_profile
from planner.knowledge.model import Knowledge

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def built(shipped_kb: Knowledge) -> plan.Plan:
    data = json.loads((ROOT / "fixtures" / "answers" / "huntington.json").read_text())
    given = answers.read_file(shipped_kb, data).answers
    return plan.build(shipped_kb, read_profile(shipped_kb, given))


def test_each_chart_is_titled_vector_svg_with_its_labels(built: plan.Plan) -> None:
    detail = built.recommended[0]
    drawn = {
        "ranking": (charts.ranking_chart(built.ranking),
                    [s.pathway.label for s in built.ranking.scores]),
        "timeline": (charts.timeline_chart(built.timeline),
                     [charts._short(t.task.label, 50) for t in built.timeline]),
        "stakeholders": (charts.stakeholder_chart(detail.stakeholders, "Naloxone Plus"),
                         [s.label for s in detail.stakeholders]),
    }
    for name, (svg, labels) in drawn.items():
        assert svg.startswith("<svg ") and 'role="img"' in svg, name
        assert re.search(r"<title>[^<]+</title>", svg), name
        assert "<image" not in svg, f"{name}: vector only"
        texts = " ".join(re.findall(r"<text[^>]*>([^<]*)<", svg))
        for label in labels:
            assert label.replace("&", "&amp;") in texts or label in texts, (name, label)


def test_the_critical_path_is_drawn_in_its_own_colour(built: plan.Plan) -> None:
    svg = charts.timeline_chart(built.timeline)
    assert any(t.critical for t in built.timeline)
    assert charts.CRITICAL in svg and charts.NORMAL in svg


def test_the_alternatives_say_it_in_words(built: plan.Plan) -> None:
    alt = charts.ranking_alt(built.ranking)
    for s in built.ranking.scores:
        assert f"{s.pathway.label}: {round(s.score)}" in alt
    critical = [t.task.label for t in built.timeline if t.critical]
    assert "; ".join(critical) in charts.timeline_alt(built.timeline)
    detail = built.recommended[0]
    words = charts.stakeholder_alt(detail.stakeholders, "Naloxone Plus")
    assert all(s.label in words for s in detail.stakeholders)


def test_a_chart_is_drawn_once_per_set_of_values(built: plan.Plan) -> None:
    charts.clear_cache()
    first = charts.ranking_chart(built.ranking)
    assert charts._ranking_svg.cache_info().misses == 1
    assert charts.ranking_chart(built.ranking) == first
    assert charts._ranking_svg.cache_info().hits == 1
    charts.clear_cache()
    assert charts._ranking_svg.cache_info().currsize == 0
    assert charts.ranking_chart(built.ranking) == first  # the SVG is deterministic


def test_changed_values_draw_a_new_chart(built: plan.Plan) -> None:
    before = charts.ranking_chart(built.ranking)
    top = built.ranking.scores[0]
    moved = dataclasses.replace(top, score=top.score - 20)
    ranking = dataclasses.replace(built.ranking, scores=(moved, *built.ranking.scores[1:]))
    after = charts.ranking_chart(ranking)
    assert after != before
    assert f">{round(top.score - 20)}<" in after
