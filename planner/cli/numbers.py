"""Answers files with a number out of range: one line and exit code 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from planner.engine.answers import AnswersError, out_of_range


class BadNumber(click.ClickException):
    """A number in the answers file is out of range (exit code 2, like bad input)."""

    exit_code = 2


def load_json(path: Path) -> Any:
    """The file's JSON. An integer too long to read (Python stops at 4,300 digits) is a
    BadNumber; other errors are raised as json raises them."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string ..."
        raise BadNumber(f"{path}: a number in the file is too long to read "
                        "(more than 4,300 digits)") from exc


def check(path: Path, exc: AnswersError) -> None:
    """Raise BadNumber, on one line, if the answers' problems are numbers out of range."""
    numbers = [p for p in exc.problems if out_of_range(p)]
    if numbers:
        raise BadNumber(f"{path}: " + "; ".join(numbers)) from exc
