"""Answers: the versioned file, conditions, and messages that name what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.engine import answers
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

FIXTURES = Path(__file__).parent / "fixtures" / "answers"

MINIMAL = {"community-name": "Testville", "state": "oh", "population": "under-50k",
           "rurality": "rural", "lead-agency": "fire-ems", "existing-program": "no"}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return loader.load_default()


def _problems(kb: Knowledge, raw: dict[str, object], complete: bool = True) -> tuple[str, ...]:
    with pytest.raises(answers.AnswersError) as info:
        answers.validate(kb, raw, complete=complete)
    return info.value.problems


def test_valid_answers_come_back_normalised(kb: Knowledge) -> None:
    clean = answers.validate(kb, {**MINIMAL, "partners": ["police", "fire-ems"],
                                  "community-name": "  Testville "})
    assert clean["partners"] == ("police", "fire-ems")
    assert clean["community-name"] == "Testville"


@pytest.mark.parametrize(("raw", "phrase"), [
    ({**MINIMAL, "no-such-question": "x"}, "unknown question 'no-such-question'"),
    ({**MINIMAL, "overdoses": "lots"}, "'overdoses' has no option 'lots'"),
    ({**MINIMAL, "overdoses": 3}, "'overdoses' takes one option id as a string"),
    ({**MINIMAL, "partners": "police,fire"}, "'partners' has no option 'police,fire'"),
    ({**MINIMAL, "partners": ["police", "dont-know"]}, "cannot be combined"),
    ({**MINIMAL, "partners": ["police", "police"]}, "lists an option twice"),
    ({**MINIMAL, "goals": ["fewer-overdoses", "fewer-arrests", "easy-entry", "reach-unseen"]},
     "'goals' takes at most 3 options"),
    ({**MINIMAL, "community-name": "x" * 121}, "longer than 120 characters"),
    ({**MINIMAL, "community-name": 12}, "'community-name' takes text"),
    ({**MINIMAL, "running-pathways": ["self-referral"]}, "answered but not asked"),
    ({k: v for k, v in MINIMAL.items() if k != "state"}, "required question 'state'"),
])
def test_bad_answers_are_rejected_with_a_message_naming_them(
    kb: Knowledge, raw: dict[str, object], phrase: str
) -> None:
    assert any(phrase in p for p in _problems(kb, raw))


def test_a_draft_may_leave_required_questions_unanswered(kb: Knowledge) -> None:
    assert answers.validate(kb, {"overdoses": "many"}, complete=False) == {"overdoses": "many"}


def test_every_problem_is_reported_at_once(kb: Knowledge) -> None:
    problems = _problems(kb, {"overdoses": "lots", "nope": 1})
    assert len(problems) >= 3  # two bad answers and the missing required ones


def test_the_file_format_round_trips(kb: Knowledge) -> None:
    clean = answers.validate(kb, {**MINIMAL, "goals": ["fewer-overdoses"]})
    data = json.loads(json.dumps(answers.to_file(kb, clean)))
    assert answers.read_file(kb, data).answers == clean


@pytest.mark.parametrize(("mutate", "phrase"), [
    (lambda d: d.pop("format"), "'format' is a required property"),
    (lambda d: d.update(version=3), "version"),
    (lambda d: d.update(questions_version=99), "questions version 99"),
    (lambda d: d.update(answers=[]), "answers"),
    (lambda d: d.update(extra=1), "Additional properties"),
])
def test_bad_files_are_rejected_with_a_message(kb: Knowledge, mutate: object,
                                               phrase: str) -> None:
    data = answers.to_file(kb, answers.validate(kb, MINIMAL))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(answers.AnswersError) as info:
        answers.read_file(kb, data)
    assert phrase in str(info.value)


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_cli_score_prints_a_ranking_with_reasons(kb: Knowledge, tmp_path: Path) -> None:
    path = _write(tmp_path, answers.to_file(kb, {**MINIMAL, "overdoses": "many",
                                                 "overdose-data": "yes"}))
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 0, result.output
    assert "#1  Naloxone Plus" in result.output
    assert ("Clear lead:" in result.output or "Close call:" in result.output)
    assert "Why not" in result.output and "The lead is clear when" in result.output


def test_cli_score_json_contributions_sum_to_each_score(kb: Knowledge, tmp_path: Path) -> None:
    path = _write(tmp_path, answers.to_file(kb, {**MINIMAL, "overdoses": "many"}))
    result = CliRunner().invoke(main, ["score", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    for row in data["ranking"]:
        total = row["start"] + row["build_on"] + sum(c["points"] for c in row["contributions"])
        assert abs(total - row["score"]) < 0.01 * (len(row["contributions"]) + 2)


def test_cli_score_rejects_an_unknown_option_naming_it(kb: Knowledge, tmp_path: Path) -> None:
    data = answers.to_file(kb, MINIMAL)
    data["answers"]["overdoses"] = "lots"
    result = CliRunner().invoke(main, ["score", str(_write(tmp_path, data))])
    assert result.exit_code == 1
    assert "'overdoses' has no option 'lots'" in result.output


def test_cli_score_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["score", str(path)])
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_cli_questions_lists_ids_options_and_conditions() -> None:
    result = CliRunner().invoke(main, ["questions"])
    assert result.exit_code == 0
    assert "running-pathways (multi)" in result.output
    assert "asked when existing-program is yes" in result.output
    as_json = json.loads(CliRunner().invoke(main, ["questions", "--json"]).output)
    assert as_json["questions_version"] >= 1
    assert any(q["id"] == "overdoses" and any(o["dont_know"] for o in q["options"])
               for q in as_json["questions"])


def test_cli_answers_schema_is_the_versioned_json_schema() -> None:
    result = CliRunner().invoke(main, ["answers-schema"])
    schema = json.loads(result.output)
    assert schema["properties"]["version"] == {"enum": [1, 2]}
    assert answers.FORMAT_VERSION == 2


def test_an_old_file_is_read_and_carried_over_to_the_current_questions(kb: Knowledge) -> None:
    """A format-1 file written for questions version 1: every answer is kept, and the old
    naloxone question (carry and leave kits) fills the new "carry" question."""
    data = json.loads((FIXTURES / "huntington.json").read_text())
    assert data["version"] == 1 and data["questions_version"] == 1
    assert kb.questions_version == 2
    read = answers.read_file(kb, data, complete=False)
    assert read.questions_version == 1
    def same(value: object) -> object:
        return tuple(sorted(value)) if isinstance(value, list | tuple) else value

    old = {k: same(v) for k, v in data["answers"].items()}
    assert {k: same(read.answers[k]) for k in old} == old
    assert data["answers"]["naloxone"] == "yes" and read.answers["naloxone-carry"] == "yes"
    # Saved again, it is a current file, and reads back the same.
    again = answers.to_file(kb, read.answers)
    assert again["version"] == 2 and again["questions_version"] == 2
    assert answers.read_file(kb, again, complete=False).answers == read.answers


def test_upgrade_fills_only_what_was_said_and_never_overwrites(kb: Knowledge) -> None:
    assert "naloxone-carry" not in answers.upgrade(kb, {"naloxone": "no"}, 1)
    kept = answers.upgrade(kb, {"naloxone": "yes", "naloxone-carry": "some"}, 1)
    assert kept["naloxone-carry"] == "some"
    assert "naloxone-carry" not in answers.upgrade(kb, {"naloxone": "yes"}, 2)


def test_a_file_for_newer_questions_is_refused_with_a_reason(kb: Knowledge) -> None:
    data = answers.to_file(kb, answers.validate(kb, MINIMAL))
    data["questions_version"] = kb.questions_version + 1
    with pytest.raises(answers.AnswersError, match="newer version of the planner"):
        answers.read_file(kb, data)


def test_profile_answers_come_from_the_questions_not_from_fixed_ids(kb: Knowledge) -> None:
    name_question = kb.profile_question("community_name")
    assert name_question is not None
    assert answers.name_answer(kb, "Testville") == {name_question.id: "Testville"}
    assert answers.name_answer(kb, "") == {}
    opened = answers.existing_program_answers(kb)
    running = kb.profile_question("running_pathways")
    assert running is not None and answers.is_asked(running, opened)


# ------------------------------------------------------------- numbers out of range


def _huge_budget(kb: Knowledge, tmp_path: Path, digits: int) -> Path:
    data = answers.to_file(kb, MINIMAL)
    text = json.dumps(data)[:-2] + f', "local-budget": {"9" * digits}}}}}'
    path = tmp_path / f"huge-{digits}.json"
    path.write_text(text, encoding="utf-8")
    assert json.loads(text) if digits < 4000 else True  # the file is JSON
    return path


def test_a_number_of_400_digits_is_out_of_range_not_a_crash(kb: Knowledge) -> None:
    problems = _problems(kb, {**MINIMAL, "local-budget": int("9" * 400)}, complete=False)
    assert problems == ("'local-budget' must be at most 100,000,000",)
    assert _problems(kb, {**MINIMAL, "local-budget": -int("9" * 400)}, complete=False) == (
        "'local-budget' must be at least 0",)
    assert _problems(kb, {**MINIMAL, "local-budget": float("inf")}, complete=False) == (
        "'local-budget' takes a number",)


@pytest.mark.parametrize("command", ["score", "plan"])
@pytest.mark.parametrize("digits", [400, 5000])
def test_cli_refuses_a_huge_number_in_one_line_with_exit_code_2(
        kb: Knowledge, tmp_path: Path, command: str, digits: int) -> None:
    path = _huge_budget(kb, tmp_path, digits)
    args = [command, str(path)] + (["-o", str(tmp_path / "plan.html"), "--html"]
                                   if command == "plan" else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "local-budget" in lines[0] or "digits" in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "plan.html").exists()
