"""Reading an answers file for a command: the community's profile, or one clear message.
A number out of range is one line and exit code 2, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from planner.engine.answers import AnswersError, out_of_range, read_file
from planner.engine.profile import CommunityProfile, read_profile
from planner.knowledge.model import Knowledge


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


def read_profile_file(kb: Knowledge, path: Path) -> CommunityProfile:
    """The community's profile from an answers file (every command reads them this way), or
    a ClickException that says what is wrong with the file."""
    try:
        data = load_json(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path}: cannot read the file ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"{path}: not valid JSON ({exc})") from exc
    try:
        answers = read_file(kb, data).answers
    except AnswersError as exc:
        check(path, exc)
        raise click.ClickException(
            f"{path}: the answers do not fit the questions:\n  " + "\n  ".join(exc.problems)
        ) from exc
    return read_profile(kb, answers)
