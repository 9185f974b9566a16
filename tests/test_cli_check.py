"""`planner check`: exit 0 and a summary when valid, 1 with every finding, 2 for no folder."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from planner.cli import main

if TYPE_CHECKING:
    from conftest import BreakKnowledge


def _check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def test_check_on_shipped_knowledge_exits_0_and_prints_ok_with_counts() -> None:
    result = _check()
    assert result.exit_code == 0, result.output
    assert re.search(
        r"knowledge: OK \(6 pathways, \d+ questions, \d+ scoring rules, \d+ programs, "
        r"\d+ mentor sites, \d+ TTA resources, \d+ funding programs, \d+ tasks, \d+ measures, "
        r"\d+ state records\)",
        result.stdout,
    ), result.output


def test_check_on_fixture_knowledge_prints_its_exact_counts(fixture_kb_path: Path) -> None:
    result = _check(str(fixture_kb_path), "--today", "2026-11-26")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"{fixture_kb_path}: OK (3 pathways, 14 questions, 13 scoring rules, 2 programs, "
        "2 mentor sites, 2 TTA resources, 2 funding programs, 6 tasks, 4 measures, "
        "2 state records)\n"
        "1 record(s) not verified within 24 months (list them with --stale 24)"
    )


def _break_link(data: Any) -> None:
    program = next(p for p in data["programs"] if p["id"] == "county-outreach")
    program["link"] = "https://mirror.example.org/county-outreach"


def test_check_on_broken_copy_exits_1_and_prints_file_record_and_field(
    broken_kb: BreakKnowledge,
) -> None:
    root = broken_kb("programs", _break_link)
    result = _check(str(root))
    assert result.exit_code == 1, result.output
    assert "programs.yaml: county-outreach: link: " in result.stdout
    assert "mirror.example.org" in result.stdout
    assert "OK" not in result.stdout
    assert f"1 problem(s) in {root}" in result.stderr


def test_check_prints_every_finding_when_several_files_are_broken(
    broken_kb: BreakKnowledge,
) -> None:
    broken_kb("programs", _break_link)
    root = broken_kb("tasks", text=lambda s: s.replace("duration_days: 21", "duration_days: x"))
    result = _check(str(root))
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith("programs.yaml: county-outreach: link: ") for line in lines)
    assert any(line.startswith("tasks.yaml: task-convene: duration_days: ") for line in lines)
    assert f"{len(lines)} problem(s) in {root}" in result.stderr


def test_check_on_missing_folder_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = _check(str(missing))
    assert result.exit_code == 2, result.output
    assert f"{missing}: not a folder" in result.stderr
    assert result.stdout == ""


def test_serve_refuses_an_invalid_knowledge_base_and_says_why(
    broken_kb: BreakKnowledge, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = broken_kb("pathways.yaml", lambda data: data["pathways"][1].update(order=1))
    monkeypatch.setenv("PLANNER_KNOWLEDGE", str(root))
    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["serve", "--port", "0"])
    assert result.exit_code == 1
    assert "cannot start" in result.output and "pathways.yaml" in result.output
    assert "Traceback" not in result.output


def test_check_prints_the_stale_count_and_stale_lists_old_records_oldest_first(
    fixture_kb_path: Path,
) -> None:
    plain = _check(str(fixture_kb_path), "--today", "2026-11-26")
    assert plain.exit_code == 0, plain.output
    assert "1 record(s) not verified within 24 months" in plain.stdout
    listed = _check(str(fixture_kb_path), "--stale", "24", "--today", "2026-11-26")
    assert listed.exit_code == 0, listed.output
    assert "stale: states.yaml: or-test-law: last verified 2019-06-30" in listed.stdout
    # A threshold short enough catches the other records too, the oldest still first.
    wide = _check(str(fixture_kb_path), "--stale", "0", "--today", "2026-11-26")
    lines = [line for line in wide.stdout.splitlines() if line.startswith("stale: ")]
    assert len(lines) > 1
    assert lines[0].endswith("last verified 2019-06-30")
    assert lines == sorted(lines, key=lambda line: line.rsplit(" ", 1)[1])


def test_check_rejects_a_malformed_today(fixture_kb_path: Path) -> None:
    result = _check(str(fixture_kb_path), "--today", "26/11/2026")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output
