"""State context: each community sees its own state's law and money, and nobody else's."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest

from planner.knowledge.model import Knowledge, federal_fiscal_year
from planner.knowledge.states import context_for, states_covered


@pytest.mark.parametrize("state", ["OH", "OR", "IL"])
def test_a_community_gets_its_own_states_records_and_no_other(
    shipped_kb: Knowledge, state: str
) -> None:
    records = context_for(shipped_kb, state)
    assert records, f"no state context for {state}"
    assert {r.state for r in records} == {state}
    others = [r.id for r in shipped_kb.states.values() if r.state != state]
    assert others and not {r.id for r in records} & set(others)


def test_state_codes_are_matched_case_insensitively_and_unknown_states_get_nothing(
    fixture_kb: Knowledge,
) -> None:
    assert [r.id for r in context_for(fixture_kb, "oh")] == ["oh-test-grant"]
    assert context_for(fixture_kb, "TX") == ()
    assert context_for(fixture_kb, None) == ()
    assert context_for(fixture_kb, "") == ()


def test_shipped_states_cover_at_least_twelve_states(shipped_kb: Knowledge) -> None:
    assert len(states_covered(shipped_kb)) >= 12


def test_every_state_record_links_only_to_official_government_pages(
    shipped_kb: Knowledge,
) -> None:
    for record in shipped_kb.states.values():
        assert record.links, record.id
        for link in record.links:
            parts = urlsplit(link.url)
            assert parts.scheme == "https", (record.id, link.url)
            assert (parts.hostname or "").endswith((".gov", ".us")), (record.id, link.url)


def test_a_state_record_linking_a_non_government_site_is_reported(broken_kb) -> None:  # type: ignore[no-untyped-def]
    from planner.knowledge import loader

    root = broken_kb("states.yaml", text=lambda text: text.replace(
        "https://agency.ohio.gov/grant\n    sources", "https://example.org/grant\n    sources"))
    findings = [str(f) for f in loader.check(root)]
    assert any(
        "oh-test-grant" in f and "official government pages" in f for f in findings
    ), findings


def test_federal_fiscal_year_starts_in_october() -> None:
    assert federal_fiscal_year(date(2026, 9, 30)) == 2026
    assert federal_fiscal_year(date(2026, 10, 1)) == 2027


def test_the_state_partial_shows_the_communitys_state_only(shipped_kb: Knowledge) -> None:
    from planner.documents import report

    env = report.environment(str(report.default_templates_dir()))
    html = env.get_template("plan/_state.html").render(
        state_context=context_for(shipped_kb, "OH"), state_money=lambda s: "")
    assert "Ohio Attorney General" in html
    assert "Oregon" not in html and "Illinois" not in html
    assert 'href="https://www.ohioattorneygeneral.gov/' in html
    assert env.get_template("plan/_state.html").render(state_context=()).strip() == ""
