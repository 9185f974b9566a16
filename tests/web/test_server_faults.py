"""Faults against the real server: kill -9 in the middle of a wizard, then restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from serverhelpers import Browser, Server, health
from webhelpers import HUNTINGTON

pytestmark = pytest.mark.slow


@pytest.fixture
def server_db(database_url: str) -> str:
    return database_url  # PLANNER_TEST_DATABASE_URL's database when set, else a SQLite file


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def test_kill_9_mid_wizard_loses_no_completed_step(tmp_path: Path, server_db: str,
                                                   servers: list[Server]) -> None:
    first = Server(tmp_path, workers=2, database_url=server_db).start()
    servers.append(first)
    person = Browser(first.base)
    token = person.start()
    sections = list(HUNTINGTON)
    completed = sections[:4]
    for section in completed:
        response = person.step(token, section, HUNTINGTON[section])
        assert response.status == 303, (section, response.status, response.text[:300])
    # The next page is open (its form fetched) when the server dies.
    person.get(f"/c/{token}/step/{sections[4]}")
    first.kill9()
    with pytest.raises(OSError):
        person.get("/healthz")

    second = Server(tmp_path, workers=2, database_url=server_db).start()
    servers.append(second)
    assert health(second.base)["database"] == "ok"
    again = Browser(second.base)  # a new browser: only the resume link survives
    resumed = again.get(f"/c/{token}")
    assert resumed.status == 303
    assert resumed.location.split("#")[0].endswith(f"/step/{sections[4]}"), resumed.location
    review = again.get(f"/c/{token}/review")
    assert review.status == 200
    for text in ("Huntington", "West Virginia", "Often, several a week or more"):
        assert text in review.text, text
    for section in completed:
        page = "".join(again.get(path).text for path in again.section_pages(token, section))
        for qid, value in HUNTINGTON[section].items():
            if qid == "existing-program":  # the home page's choice: not asked again
                continue
            for one in (value if isinstance(value, list) else [value]):
                shown = (f'value="{one}" checked', f'value="{one}" selected', f'value="{one}" ',
                         f'value="{one}">',
                         f">{one}</textarea>")
                assert any(s in page for s in shown), (section, one)
    # The wizard goes on where it stopped and finishes.
    for section in sections[4:]:
        assert again.step(token, section, HUNTINGTON[section]).status == 303
    assert again.get(f"/c/{token}/results").status == 200
