"""Each kind of knowledge-base error is reported with its file, record id and field.

Every test breaks one thing in a copy of tests/fixtures/knowledge (see `broken_kb`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from planner.knowledge import loader
from planner.knowledge.loader import Finding, KnowledgeError
from planner.knowledge.model import Knowledge

if TYPE_CHECKING:
    from conftest import BreakKnowledge

Edit = Callable[[Any], Any]


# ------------------------------------------------------------------ helpers


def _item(data: Any, key: str, rid: str) -> dict[str, Any]:
    """The record with id `rid` in the list `data[key]`."""
    return next(r for r in data[key] if r["id"] == rid)


def _set(key: str, rid: str, *path: str | int, value: Any) -> Edit:
    """An edit that sets data[key][<record rid>][path...] to value."""

    def edit(data: Any) -> None:
        node: Any = _item(data, key, rid)
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _drop(key: str, rid: str, field: str) -> Edit:
    """An edit that removes one field from one record."""

    def edit(data: Any) -> None:
        del _item(data, key, rid)[field]

    return edit


def _show(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings) or "(no findings)"


def _one(findings: list[Finding], file: str, record: str, field: str, phrase: str) -> Finding:
    """The single finding at file/record/field whose message contains phrase."""
    hits = [
        f for f in findings
        if (f.file, f.record, f.field) == (file, record, field) and phrase in f.message
    ]
    assert len(hits) == 1, f"no single {file}: {record}: {field}: ...{phrase}... in:\n" + _show(
        findings
    )
    return hits[0]


def _only(findings: list[Finding], file: str, record: str, field: str, phrase: str) -> Finding:
    """Like _one, and that finding is the only one: the edit broke nothing else."""
    finding = _one(findings, file, record, field, phrase)
    assert findings == [finding], _show(findings)
    return finding


# ------------------------------------------------------------------ the fixture itself


def test_fixture_knowledge_base_has_no_findings(fixture_kb_path: Path) -> None:
    assert [str(f) for f in loader.check(fixture_kb_path)] == []


def test_fixture_knowledge_base_loads_with_its_three_pathways_in_order(
    fixture_kb: Knowledge,
) -> None:
    assert [p.id for p in fixture_kb.pathways_in_order] == ["walk-in", "outreach", "intervention"]


def test_broken_kb_copy_is_valid_until_edited(broken_kb: BreakKnowledge,
                                              fixture_kb_path: Path) -> None:
    """The YAML round trip used by broken_kb does not itself introduce findings."""
    root = broken_kb("questions", lambda data: None)
    assert root != fixture_kb_path
    assert loader.check(root) == []


def test_mirror_host_source_marked_mirror_is_accepted(fixture_kb: Knowledge) -> None:
    sources = fixture_kb.programs["walk-in-city-program"].sources
    assert any(s.kind == "mirror" and "mirror.example.org" in s.url for s in sources)


# ------------------------------------------------------------------ YAML


def test_yaml_syntax_error_names_the_file_and_line(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", text=lambda s: s + "  - id: [unclosed\n")
    finding = _only(loader.check(root), "tasks.yaml", "", "", "not valid YAML")
    assert "line" in finding.message


def test_duplicate_key_is_rejected_not_silently_kept(broken_kb: BreakKnowledge) -> None:
    duplicate = "    duration_days: 30\n    duration_days: 99\n"
    root = broken_kb("tasks", text=lambda s: s.replace("    duration_days: 30\n", duplicate, 1))
    text = (root / "tasks.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(text)["tasks"][1]["duration_days"] == 99  # plain PyYAML keeps the last
    finding = _only(loader.check(root), "tasks.yaml", "", "", "not valid YAML")
    assert "duplicate key 'duration_days'" in finding.message
    assert "line" in finding.message


def test_load_yaml_rejects_a_duplicate_nested_key() -> None:
    with pytest.raises(yaml.YAMLError, match="duplicate key 'b'"):
        loader.load_yaml("a:\n  b: 1\n  b: 2\n")


def test_load_yaml_keeps_dates_as_written() -> None:
    assert loader.load_yaml("as_of: 2024-03-01\n") == {"as_of": "2024-03-01"}


# ------------------------------------------------------------------ schema


def test_unknown_key_names_file_record_and_key(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("measures", _set("measures", "measure-walk-ins", "colour", value="red"))
    finding = _only(loader.check(root), "measures.yaml", "measure-walk-ins", "", "unknown key")
    assert "'colour'" in finding.message


def test_missing_required_field_names_file_record_and_field(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _drop("tasks", "task-launch", "label"))
    _only(loader.check(root), "tasks.yaml", "task-launch", "label", "is required")


def test_missing_required_nested_field_names_the_nested_path(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        del _item(data, "mentor_sites", "mentor-walk-in-city")["memberships"][1]["cohort"]

    root = broken_kb("mentor_sites", edit)
    _only(loader.check(root), "mentor_sites.yaml", "mentor-walk-in-city",
          "memberships[1].cohort", "is required")


def test_schema_error_in_pathways_causes_no_findings_in_other_files(
    broken_kb: BreakKnowledge,
) -> None:
    root = broken_kb("pathways", _set("pathways", "walk-in", "colour", value="red"))
    findings = loader.check(root)
    _one(findings, "pathways.yaml", "walk-in", "", "unknown key")
    assert {f.file for f in findings} == {"pathways.yaml"}, _show(findings)


def test_wrong_type_names_file_record_and_field(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _set("tasks", "task-launch", "duration_days", value="ten"))
    _only(loader.check(root), "tasks.yaml", "task-launch", "duration_days",
          "must be a whole number, not 'ten'")


def test_bad_id_pattern_names_file_record_and_field(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("measures", _set("measures", "measure-contacts", "id",
                                      value="Measure_Contacts"))
    _only(loader.check(root), "measures.yaml", "Measure_Contacts", "id",
          "'Measure_Contacts' is not an id")


def test_bad_as_of_format_names_file_record_and_field(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("funding", _set("funding", "fund-state", "as_of", value="March 2024"))
    _only(loader.check(root), "funding.yaml", "fund-state", "as_of",
          "'March 2024' is not a date written YYYY, YYYY-MM or YYYY-MM-DD")


def test_http_link_is_rejected_and_names_the_link_field(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("programs", _set("programs", "county-outreach", "link",
                                      value="http://www.example.gov/county-outreach"))
    _only(loader.check(root), "programs.yaml", "county-outreach", "link",
          "'http://www.example.gov/county-outreach' is not an https link")


# ------------------------------------------------------------------ links policy


@pytest.mark.parametrize("url, host", [
    ("https://mirror.example.org/county-outreach.pdf", "mirror.example.org"),
    ("https://grants.example.com/county-outreach", "grants.example.com"),
    ("https://files.mirror-cdn.example.net/county-outreach", "files.mirror-cdn.example.net"),
], ids=["mirror-host", "aggregator-host", "mirror-suffix"])
def test_link_on_mirror_or_aggregator_host_names_file_record_and_link(
    broken_kb: BreakKnowledge, url: str, host: str,
) -> None:
    root = broken_kb("programs", _set("programs", "county-outreach", "link", value=url))
    _only(loader.check(root), "programs.yaml", "county-outreach", "link",
          f"must be official pages, not a copy on {host}")


def test_link_on_mirror_host_in_a_nested_record_is_reported(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("mentor_sites", _set("initiatives", "mentoring-past", "link",
                                          value="https://mirror.example.org/mentoring"))
    _only(loader.check(root), "mentor_sites.yaml", "mentoring-past", "link",
          "not a copy on mirror.example.org")


def test_mirror_host_source_not_marked_mirror_names_the_source(
    broken_kb: BreakKnowledge,
) -> None:
    root = broken_kb("programs", _set("programs", "walk-in-city-program", "sources", 1, "kind",
                                      value="press"))
    _only(loader.check(root), "programs.yaml", "walk-in-city-program", "sources[1]",
          "mirror.example.org holds third-party copies: mark the source kind 'mirror'")


def test_mirror_host_outcome_source_not_marked_mirror_names_the_nested_source(
    broken_kb: BreakKnowledge,
) -> None:
    root = broken_kb("programs", _set("programs", "walk-in-city-program", "outcomes", 0,
                                      "sources", 0, "url",
                                      value="https://mirror.example.org/report.pdf"))
    _only(loader.check(root), "programs.yaml", "walk-in-city-program",
          "outcomes[0].sources[0]", "mark the source kind 'mirror'")


# ------------------------------------------------------------------ identity


def test_duplicate_id_across_files_names_both_files(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _set("tasks", "task-launch", "id", value="open-door"))
    _only(loader.check(root), "tasks.yaml", "open-door", "id",
          "id is already used in resources.yaml")


def test_two_pathways_with_the_same_order_are_both_reported(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("pathways", _set("pathways", "outreach", "order", value=1))
    findings = loader.check(root)
    _one(findings, "pathways.yaml", "walk-in", "order", "order 1 is shared by another pathway")
    _one(findings, "pathways.yaml", "outreach", "order", "order 1 is shared by another pathway")
    assert len(findings) == 2, _show(findings)


# ------------------------------------------------------------------ references

UNKNOWN_REFERENCES: list[tuple[str, str, Edit, str, str, str]] = [
    ("critical-element-resource", "pathways",
     _set("pathways", "walk-in", "critical_elements", 0, "resource", value="night-shelter"),
     "walk-in", "critical_elements[0]", "unknown resource 'night-shelter'"),
    ("example-program", "pathways",
     _set("pathways", "outreach", "example_programs", 0, value="nowhere-program"),
     "outreach", "example_programs[0]", "unknown program 'nowhere-program'"),
    ("task-depends-on", "tasks",
     _set("tasks", "task-open-door", "depends_on", 0, value="task-missing"),
     "task-open-door", "depends_on[0]", "unknown task 'task-missing'"),
    ("rule-pathway", "scoring",
     _set("rules", "or-peers", "pathway", value="co-response"),
     "or-peers", "pathway", "unknown pathway 'co-response'"),
    ("rule-fact", "scoring",
     _set("rules", "wi-open-door", "fact", value="night-shelter"),
     "wi-open-door", "fact", "unknown fact 'night-shelter'"),
    ("rule-question", "scoring",
     _set("rules", "iv-prosecutor-opposed", "question", value="judge"),
     "iv-prosecutor-opposed", "question", "unknown question 'judge'"),
    ("rule-option", "scoring",
     _set("rules", "iv-prosecutor-opposed", "option", value="undecided"),
     "iv-prosecutor-opposed", "option", "question 'prosecutor' has no option 'undecided'"),
    ("ask-when-question", "questions",
     _set("questions", "running-pathways", "ask_when", 0, "question", value="judge"),
     "running-pathways", "ask_when[0]", "unknown question 'judge'"),
    ("ask-when-option", "questions",
     _set("questions", "running-pathways", "ask_when", 0, "any_of", value=["maybe"]),
     "running-pathways", "ask_when[0]", "'existing-program' has no option 'maybe'"),
    ("option-indicates", "questions",
     _set("questions", "open-door", "options", 0, "indicates", value=["night-shelter"]),
     "open-door", "options[0].indicates", "unknown fact 'night-shelter'"),
    ("mentor-site-program", "mentor_sites",
     _set("mentor_sites", "mentor-walk-in-city", "program", value="nowhere-program"),
     "mentor-walk-in-city", "program", "unknown program 'nowhere-program'"),
    ("mentor-site-initiative", "mentor_sites",
     _set("mentor_sites", "mentor-walk-in-city", "memberships", 0, "initiative",
          value="nowhere-initiative"),
     "mentor-walk-in-city", "memberships[0]", "unknown initiative 'nowhere-initiative'"),
    ("tta-helps-with", "tta_resources",
     _set("tta_resources", "tta-national", "helps_with", 0, value="night-shelter"),
     "tta-national", "helps_with[0]", "unknown resource 'night-shelter'"),
    ("measure-data-from", "measures",
     _set("measures", "measure-charges-held", "data_from", 0, value="coroner"),
     "measure-charges-held", "data_from[0]", "unknown partner 'coroner'"),
]


@pytest.mark.parametrize(
    "file, edit, record, field, phrase",
    [pytest.param(*case[1:], id=case[0]) for case in UNKNOWN_REFERENCES],
)
def test_unknown_reference_names_file_record_and_field(
    broken_kb: BreakKnowledge, file: str, edit: Edit, record: str, field: str, phrase: str,
) -> None:
    root = broken_kb(file, edit)
    _one(loader.check(root), f"{file}.yaml", record, field, phrase)


def test_task_dependency_cycle_is_reported_with_the_cycle(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _set("tasks", "task-convene", "depends_on", value=["task-launch"]))
    findings = loader.check(root)
    cycle_findings = [f for f in findings if "dependency cycle" in f.message]
    assert len(cycle_findings) == 1, _show(findings)
    finding = cycle_findings[0]
    assert (finding.file, finding.field) == ("tasks.yaml", "depends_on")
    steps = finding.message.split("dependency cycle: ", 1)[1].split(" -> ")
    assert steps[0] == steps[-1] == finding.record
    assert set(steps) == {"task-convene", "task-assess", "task-launch"}
    assert findings == [finding], _show(findings)


def test_task_depending_on_itself_is_a_cycle(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _set("tasks", "task-launch", "depends_on",
                                   value=["task-assess", "task-launch"]))
    _only(loader.check(root), "tasks.yaml", "task-launch", "depends_on",
          "dependency cycle: task-launch -> task-launch")


# ------------------------------------------------------------------ scoring rules


def test_pathway_without_positive_rule_is_named(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        data["rules"] = [r for r in data["rules"]
                         if r["pathway"] != "outreach" or r["weight"] < 0]

    root = broken_kb("scoring", edit)
    _only(loader.check(root), "scoring.yaml", "", "rules",
          "pathway 'outreach' has no positive scoring rule")


def test_negative_weight_on_a_critical_element_names_the_rule(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("scoring", _set("rules", "wi-open-door", "weight", value=-5))
    _only(loader.check(root), "scoring.yaml", "wi-open-door", "weight",
          "'open-door' is a critical element of 'walk-in'")


def test_weight_on_a_dont_know_option_names_the_rule(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        data["rules"].append({"id": "wi-door-unknown", "pathway": "walk-in",
                              "question": "open-door", "option": "dont-know", "weight": 3,
                              "rationale": "Not knowing is not evidence. "
                                           "(The planner's own judgement.)"})

    root = broken_kb("scoring", edit)
    _only(loader.check(root), "scoring.yaml", "wi-door-unknown", "option",
          "\"don't know\" answer cannot carry a weight")


def test_two_rules_for_the_same_answer_and_pathway_are_reported(
    broken_kb: BreakKnowledge,
) -> None:
    def edit(data: Any) -> None:
        data["rules"].append({"id": "wi-open-door-again", "pathway": "walk-in",
                              "fact": "open-door", "weight": 4,
                              "rationale": "Counted twice. (The planner's own judgement.)"})

    root = broken_kb("scoring", edit)
    _only(loader.check(root), "scoring.yaml", "", "rules",
          "fact 'open-door' has 2 rules for pathway 'walk-in'")


# ------------------------------------------------------------------ questions and options


def test_option_used_by_nothing_and_not_neutral_is_named(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        _item(data, "questions", "open-door")["options"].append(
            {"id": "sometimes", "label": "Sometimes"}
        )

    root = broken_kb("questions", edit)
    _only(loader.check(root), "questions.yaml", "open-door", "options[3]",
          "option 'sometimes' is not used by any rule, condition, fact or profile")


def test_neutral_option_that_carries_a_rule_is_named(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("questions", _set("questions", "treatment-wait", "options", 1, "neutral",
                                       value=True))
    _only(loader.check(root), "questions.yaml", "treatment-wait", "options[1]",
          "option 'longer' is marked neutral but carries a rule")


def test_neutral_option_that_indicates_a_fact_is_named(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("questions", _set("questions", "open-door", "options", 0, "neutral",
                                       value=True))
    _only(loader.check(root), "questions.yaml", "open-door", "options[0]",
          "marked neutral but carries a rule, condition or fact")


def test_fact_indicated_by_two_questions_names_the_later_question(
    broken_kb: BreakKnowledge,
) -> None:
    root = broken_kb("questions", _set("questions", "treatment-wait", "options", 0, "indicates",
                                       value=["treatment-slots", "open-door"]))
    _only(loader.check(root), "questions.yaml", "treatment-wait", "options[0].indicates",
          "fact 'open-door' is already indicated by question 'open-door'")


def test_ask_when_referring_to_a_later_question_is_named(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        questions = data["questions"]
        existing = _item(data, "questions", "existing-program")
        questions.remove(existing)
        questions.insert(questions.index(_item(data, "questions", "running-pathways")) + 1,
                         existing)

    root = broken_kb("questions", edit)
    _only(loader.check(root), "questions.yaml", "running-pathways", "ask_when[0]",
          "depends on 'existing-program', which is not asked before it")


@pytest.mark.parametrize("question, index, value, profile", [
    ("state", 0, "new-england", "state"),
    ("population", 0, "tiny", "population"),
    ("rurality", 0, "remote", "rurality"),
    ("lead-agency", 0, "peer-recovery", "lead_agency"),
    ("running-pathways", 0, "co-response", "running_pathways"),
])
def test_profile_option_value_outside_its_vocabulary_is_named(
    broken_kb: BreakKnowledge, question: str, index: int, value: str, profile: str,
) -> None:
    root = broken_kb("questions", _set("questions", question, "options", index, "value",
                                       value=value))
    _only(loader.check(root), "questions.yaml", question, f"options[{index}].value",
          f"'{value}' is not a valid {profile} value")


def test_option_value_on_a_question_without_profile_is_named(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("questions", _set("questions", "open-door", "options", 1, "value",
                                       value="walk-in"))
    _only(loader.check(root), "questions.yaml", "open-door", "options[1].value",
          "a value needs a profile question")


# ------------------------------------------------------------------ programs and mentor sites


@pytest.mark.parametrize("file, key, rid", [
    ("programs", "programs", "county-outreach"),
    ("mentor_sites", "mentor_sites", "mentor-county-outreach"),
])
def test_lead_agency_that_is_not_a_lead_type_is_named(
    broken_kb: BreakKnowledge, file: str, key: str, rid: str,
) -> None:
    root = broken_kb(file, _set(key, rid, "lead_agency", value="peer-recovery"))
    _only(loader.check(root), f"{file}.yaml", rid, "lead_agency",
          "'peer-recovery' is not a partner that can lead a program")


def test_mentor_site_with_unconfirmed_pathways_and_no_flag_is_named(
    broken_kb: BreakKnowledge,
) -> None:
    root = broken_kb("mentor_sites", _drop("mentor_sites", "mentor-county-outreach", "flags"))
    _only(loader.check(root), "mentor_sites.yaml", "mentor-county-outreach", "flags",
          "pathways are not confirmed")


def test_program_ending_before_it_starts_is_named(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("programs", _set("programs", "county-outreach", "end_year", value=2010))
    _only(loader.check(root), "programs.yaml", "county-outreach", "end_year",
          "ends before it starts")


# ------------------------------------------------------------------ files


@pytest.mark.parametrize("stem", sorted(set(loader.FILES) - loader.OPTIONAL_FILES))
def test_missing_file_is_named_and_does_not_stop_the_other_checks(
    broken_kb: BreakKnowledge, stem: str,
) -> None:
    if stem == "tasks":
        root = broken_kb("measures", _set("measures", "measure-charges-held", "data_from", 0,
                                          value="coroner"))
        other = ("measures.yaml", "measure-charges-held", "data_from[0]", "unknown partner")
    else:
        root = broken_kb("tasks", _set("tasks", "task-launch", "depends_on", 0,
                                       value="task-missing"))
        other = ("tasks.yaml", "task-launch", "depends_on[0]", "unknown task 'task-missing'")
    (root / f"{stem}.yaml").unlink()
    findings = loader.check(root)
    _one(findings, f"{stem}.yaml", "", "", "file is missing")
    _one(findings, *other)


def test_vocabulary_file_holding_the_wrong_list_is_named(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("goals", lambda data: {"problems": data["goals"]})
    findings = loader.check(root)
    _one(findings, "goals.yaml", "", "goals", "the file must hold a 'goals' list")


# ------------------------------------------------------------------ all at once


def _break_three_files(broken_kb: BreakKnowledge) -> Path:
    broken_kb("tasks", _set("tasks", "task-launch", "duration_days", value="ten"))
    broken_kb("programs", _set("programs", "county-outreach", "link",
                               value="http://www.example.gov/county-outreach"))
    return broken_kb("scoring", _set("rules", "or-peers", "pathway", value="co-response"))


def test_errors_in_several_files_are_all_reported_in_one_run(broken_kb: BreakKnowledge) -> None:
    findings = loader.check(_break_three_files(broken_kb))
    _one(findings, "tasks.yaml", "task-launch", "duration_days", "must be a whole number")
    _one(findings, "programs.yaml", "county-outreach", "link", "is not an https link")
    _one(findings, "scoring.yaml", "or-peers", "pathway", "unknown pathway 'co-response'")
    assert len(findings) >= 3
    assert len({f.file for f in findings}) >= 2


def test_load_raises_knowledge_error_listing_every_finding(broken_kb: BreakKnowledge) -> None:
    root = _break_three_files(broken_kb)
    findings = loader.check(root)
    with pytest.raises(KnowledgeError) as caught:
        loader.load(root)
    assert caught.value.findings == tuple(findings)
    message = str(caught.value)
    assert f"{len(findings)} problem(s)" in message
    for finding in findings:
        assert str(finding) in message


def test_http_sources_and_malformed_hosts_are_reported(broken_kb) -> None:  # type: ignore[no-untyped-def]
    from planner.knowledge import loader

    def edit(text: str) -> str:
        return text.replace(
            "url: https://www.oregon.gov/test\n    sources",
            "url: https://oregon.gov./test\n    sources",
        ).replace(
            "url: https://agency.ohio.gov/grant\n        kind",
            "url: http://agency.ohio.gov/grant\n        kind",
        )

    root = broken_kb("states.yaml", text=edit)
    findings = [str(f) for f in loader.check(root)]
    assert any("or-test-law" in f and "oregon.gov./test" in f for f in findings), findings
    assert any("oh-test-grant" in f and "http://agency.ohio.gov" in f for f in findings), findings


def test_a_record_without_verified_on_is_reported(broken_kb) -> None:  # type: ignore[no-untyped-def]
    from planner.knowledge import loader

    root = broken_kb(
        "states.yaml", text=lambda text: text.replace('    verified_on: "2019-06-30"\n', "")
    )
    findings = [str(f) for f in loader.check(root)]
    assert any("or-test-law" in f and "verified_on" in f for f in findings), findings


def test_a_rule_without_sources_must_say_it_is_the_planners_judgement(broken_kb) -> None:  # type: ignore[no-untyped-def]
    from planner.knowledge import loader

    root = broken_kb("scoring.yaml", text=lambda text: text.replace(
        "Walk-in programs are built for easy entry. (The planner's own judgement.)",
        "Walk-in programs are built for easy entry."))
    findings = [str(f) for f in loader.check(root)]
    assert any("wi-goal-easy-entry" in f and "own judgement" in f for f in findings), findings


def test_an_essential_group_needs_two_essential_alternatives(broken_kb) -> None:  # type: ignore[no-untyped-def]
    from planner.knowledge import loader

    def group_one(data):  # type: ignore[no-untyped-def]
        partner = data["pathways"][0]["partners"][0]
        partner["essential_group"] = "first-responder"
        partner["essential"] = False

    root = broken_kb("pathways.yaml", group_one)
    findings = [str(f) for f in loader.check(root)]
    assert any("at least two alternative partners" in f for f in findings), findings
    assert any("so mark it essential" in f for f in findings), findings


# ------------------------------------------------------------------ who knows the answer


def test_who_knows_in_plain_text_on_a_dont_know_question_is_accepted(
        broken_kb: BreakKnowledge) -> None:
    root = broken_kb("questions", _set("questions", "problems", "who_knows",
                                       value="your county health department"))
    assert loader.check(root) == []
    assert loader.load(root).questions["problems"].who_knows == "your county health department"


@pytest.mark.parametrize(("rid", "text", "phrase"), [
    ("community-name", "your city clerk", "only a question with a \"don't know\" option"),
    ("problems", "see https://example.org", "plain text on one line"),
    ("problems", "your <b>health</b> department", "plain text on one line"),
    ("problems", "your county\nhealth department", "plain text on one line"),
    ("problems", "x" * 121, "longer than 120 characters"),
])
def test_who_knows_that_cannot_be_shown_as_it_is_is_a_finding(
        broken_kb: BreakKnowledge, rid: str, text: str, phrase: str) -> None:
    root = broken_kb("questions", _set("questions", rid, "who_knows", value=text))
    _only(loader.check(root), "questions.yaml", rid, "who_knows", phrase)


# ------------------------------------------------------------------ declarations (model.py)


def test_every_problem_of_one_record_is_reported(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        program = _item(data, "programs", "county-outreach")
        program["end_year"] = 2010
        program["primary_pathways"] = ["walk-in"]
        program["lead_agency_confirmed"] = False
        program.pop("flags", None)

    findings = loader.check(broken_kb("programs", edit))
    _one(findings, "programs.yaml", "county-outreach", "end_year", "ends before it starts")
    _one(findings, "programs.yaml", "county-outreach", "primary_pathways",
         "walk-in not among the program's pathways")
    _one(findings, "programs.yaml", "county-outreach", "flags", "lead agency is a placeholder")
    assert len(findings) == 3, _show(findings)


def test_a_maintainers_note_may_say_how_a_placeholder_lead_agency_was_inferred(
        broken_kb: BreakKnowledge) -> None:
    """The plan never shows a placeholder lead agency, so a note (not a flag shown to users)
    may explain it; with neither, the record is refused."""
    def edit(data: Any) -> None:
        program = _item(data, "programs", "county-outreach")
        program["lead_agency_confirmed"] = False
        program.pop("flags", None)
        program["notes"] = ["The lead agency type is inferred from the county's page."]

    findings = [f for f in loader.check(broken_kb("programs", edit))
                if "county-outreach" in str(f)]
    assert findings == [], _show(findings)


def test_a_key_of_another_vocabulary_kind_is_an_unknown_key(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("problems", _set("problems", "walk-ins-asking", "lead_type", value=True))
    _only(loader.check(root), "problems.yaml", "walk-ins-asking", "", "unknown key 'lead_type'")


def test_a_funding_status_written_by_hand_is_refused(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("funding", _set("funding", "fund-state", "status", value="recurring"))
    _only(loader.check(root), "funding.yaml", "fund-state", "", "unknown key 'status'")


def test_pass_through_money_must_name_the_state_body(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("funding", _drop("funding", "fund-state", "apply_through"))
    _only(loader.check(root), "funding.yaml", "fund-state", "apply_through",
          "pass-through money must name the state body to ask")


def test_a_value_outside_its_list_names_the_allowed_values(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _set("tasks", "task-launch", "phase", value="dream"))
    finding = _only(loader.check(root), "tasks.yaml", "task-launch", "phase", "must be one of")
    assert "'convene'" in finding.message and "not 'dream'" in finding.message


def test_true_is_not_a_number_and_a_count_is_not_text(broken_kb: BreakKnowledge) -> None:
    def edit(data: Any) -> None:
        data["model"]["close_call_margin"] = True
        data["model"]["tie_break"] = 3

    findings = loader.check(broken_kb("scoring", edit))
    _one(findings, "scoring.yaml", "", "model.close_call_margin", "must be a number")
    _one(findings, "scoring.yaml", "", "model.tie_break", "must be text, not 3")
    assert len(findings) == 2, _show(findings)


def test_records_read_from_files_keep_their_shapes(fixture_kb: Knowledge) -> None:
    """Tuples stay tuples, sets frozensets, mappings read-only; whole numbers stay ints."""
    from types import MappingProxyType

    pathway = fixture_kb.pathways["walk-in"]
    assert isinstance(fixture_kb.pathways, MappingProxyType)
    assert isinstance(pathway.partners, tuple) and isinstance(pathway.sources, tuple)
    assert pathway.summary
    assert all(isinstance(f.states, frozenset) for f in fixture_kb.funding.values())
    assert [type(b.min) for b in fixture_kb.model.bands] == [int, int, int]
    assert [b.min for b in fixture_kb.model.bands] == sorted(
        (b.min for b in fixture_kb.model.bands), reverse=True)
    assert {f.kind for f in fixture_kb.facts.values()} == {"partner", "resource", "problem",
                                                           "goal"}
    for question in fixture_kb.questions.values():
        assert all(o.exclusive for o in question.options if o.dont_know)


def test_a_bad_item_is_not_also_reported_as_a_missing_one(broken_kb: BreakKnowledge) -> None:
    root = broken_kb("tasks", _set("tasks", "task-launch", "sources",
                                   value=[{"label": "A guide"}]))
    findings = loader.check(root)
    _one(findings, "tasks.yaml", "task-launch", "sources[0].url", "is required")
    _one(findings, "tasks.yaml", "task-launch", "sources[0].kind", "is required")
    assert len(findings) == 2, _show(findings)


def test_verified_on_is_only_for_a_confirmed_record() -> None:
    """Issue 28: verified_on is the day a source confirmed the record. A record no source
    confirmed leaves it out, and must then say so: checked_on (the attempt) and a flag."""
    from pydantic import TypeAdapter, ValidationError

    from planner.knowledge import model

    raw = yaml.safe_load((loader.default_root() / "costs.yaml").read_text("utf-8"))
    role = dict(next(r for r in raw["roles"] if r["id"] == "paramedic"))
    adapter = TypeAdapter(model.CostRole)
    assert adapter.validate_python(role).verified_on is not None
    unconfirmed = {k: v for k, v in role.items() if k not in ("verified_on", "flags")}
    for given in ({}, {"checked_on": "2026-12-04"}, {"flags": ["The figure is unconfirmed."]}):
        with pytest.raises(ValidationError, match="record_checks"):
            adapter.validate_python({**unconfirmed, **given})
    honest = adapter.validate_python({**unconfirmed, "checked_on": "2026-12-04",
                                      "flags": ["The figure is unconfirmed."]})
    assert honest.verified_on is None and honest.checked_on is not None
    roles = loader.load_default().costs.roles.values()
    never = [r for r in roles if r.verified_on is None]
    assert never and all(r.flags and r.checked_on for r in never), [r.id for r in never]
