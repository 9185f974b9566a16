"""Shared fixtures.

Knowledge-base fixtures come first: `fixture_kb_path`, `fixture_kb`, `shipped_kb` and
`broken_kb` (a copy of the fixture knowledge base with one or more files edited).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
import yaml
from scenarioplans import ScenarioPlan, ScenarioPlans

from planner.documents import pdf, report
from planner.engine import answers, plan
from planner.engine.profile import read_profile
from planner.knowledge import loader
from planner.knowledge.model import Knowledge

FIXTURE_KB = Path(__file__).parent / "fixtures" / "knowledge"

# leakcheck: every test fails on a file, socket or process it left unclosed (tests/leakcheck.py).
# pytester: runs a pytest of its own inside a test (tests/test_leakcheck.py).
pytest_plugins = ("leakcheck", "pytester")


# --------------------------------------------------------------- test processes


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under pytest-xdist's --dist loadgroup, a test marked xdist_group must carry its group
    in its id (`...@group`): that suffix is all the scheduler groups by. pytest 9.2 made
    xdist 3.8's suffix silently ineffective, so every group was split over both processes
    (the two-host module's second copy emptied the database under the first's servers).
    A pytest or xdist that stops grouping fails each grouped test here instead."""
    if os.environ.get("PYTEST_XDIST_WORKER") and getattr(item.config.option, "loadgroup", False) \
            and item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
        pytest.fail(f"pytest-xdist --dist loadgroup did not group this test (pytest "
                    f"{pytest.__version__}): see the pin in setup.cfg", pytrace=False)


# --------------------------------------------------------------- knowledge bases


class BreakKnowledge(Protocol):
    """Edit one file of a private copy of the fixture knowledge base; return the copy's folder.

    The first call copies the fixture folder; later calls in the same test edit that same copy,
    so several files can be broken at once. `edit` receives the parsed YAML (yaml.safe_load)
    and may mutate it in place or return a replacement; `text` receives and returns the raw
    text. With neither, the call only returns the folder (for example to delete a file).
    """

    def __call__(
        self,
        file: str | None = None,
        edit: Callable[[Any], Any] | None = None,
        *,
        text: Callable[[str], str] | None = None,
    ) -> Path: ...


@pytest.fixture(scope="session")
def fixture_kb_path() -> Path:
    """The small, valid knowledge base in tests/fixtures/knowledge/ (do not edit it in tests)."""
    return FIXTURE_KB


@pytest.fixture(scope="session")
def fixture_kb(fixture_kb_path: Path) -> Knowledge:
    """The fixture knowledge base, loaded and validated once per session."""
    return loader.load(fixture_kb_path)


@pytest.fixture(scope="session")
def shipped_kb() -> Knowledge:
    """The shipped knowledge/ folder, loaded and validated."""
    return loader.load_default()


@pytest.fixture(scope="session")
def scenario_plan(shipped_kb: Knowledge) -> ScenarioPlans:
    """A function giving a scenario file's answers, plan, print HTML and PDF, built once per
    session (three test modules check the same rendered plans)."""
    made: dict[Path, ScenarioPlan] = {}

    def get(path: Path) -> ScenarioPlan:
        if path not in made:
            scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
            given = answers.validate(shipped_kb, scenario["answers"], complete=False)
            profile = read_profile(shipped_kb, given)
            built = plan.build(shipped_kb, profile)
            html = report.render_plan_html(shipped_kb, built, profile, for_pdf=True,
                                           generated=dt.date(2026, 11, 25))
            made[path] = ScenarioPlan(given, built, html, pdf.render_pdf(html))
        return made[path]

    return get


@pytest.fixture
def broken_kb(tmp_path: Path) -> BreakKnowledge:
    """A function that edits a copy of the fixture knowledge base (see BreakKnowledge)."""
    root = tmp_path / "knowledge"

    def break_(
        file: str | None = None,
        edit: Callable[[Any], Any] | None = None,
        *,
        text: Callable[[str], str] | None = None,
    ) -> Path:
        if not root.exists():
            shutil.copytree(FIXTURE_KB, root)
        if file is None:
            return root
        path = root / (file if file.endswith(".yaml") else f"{file}.yaml")
        if text is not None:
            before = path.read_text(encoding="utf-8")
            after = text(before)
            assert after != before, f"the text edit changed nothing in {path.name}"
            path.write_text(after, encoding="utf-8")
        if edit is not None:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            result = edit(data)
            data = data if result is None else result
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                            encoding="utf-8")
        return root

    return break_
