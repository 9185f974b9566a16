"""`planner check --sample N --seed S` draws the verification sample (issue 28): a seeded
random choice among the records that carry an id and sources, the same for the same seed."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from planner.cli import main
from planner.knowledge import loader
from planner.knowledge.validation import sample_records, sourced_records


def test_the_sample_is_seeded_and_drawn_from_sourced_records(broken_kb: Any) -> None:
    raw = loader.read_raw(broken_kb())
    population = sourced_records(raw)
    assert ("states.yaml", "oh-test-grant") in population
    assert not any(file == "questions.yaml" for file, _ in population)  # no sources there
    first = sample_records(raw, 5, seed=7)
    assert first == sample_records(raw, 5, seed=7) == sorted(first)
    assert len(first) == 5 and set(first) <= set(population)
    assert sample_records(raw, len(population) + 10, seed=1) == population


def test_check_prints_the_sample_with_its_seed(broken_kb: Any) -> None:
    root = broken_kb()
    result = CliRunner().invoke(main, ["check", str(root), "--sample", "3", "--seed", "28",
                                       "--today", "2026-12-04"])
    assert result.exit_code == 0, result.output
    total = len(sourced_records(loader.read_raw(root)))
    assert f"Sample of 3 of {total} sourced records (seed 28):" in result.output
    drawn = sample_records(loader.read_raw(root), 3, seed=28)
    assert all(f"  {file}: {record}" in result.output for file, record in drawn)
