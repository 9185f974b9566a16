"""A page that only shows an interview reads its row without an ORM session (db.peek), and
works out its fields once per saved state of the answers (wizard.shown)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.exc import DBAPIError
from webhelpers import Wizard, csrf_of

from planner.web import db, state
from planner.web import wizard as wizard_views

REPO = Path(__file__).resolve().parents[2]


def test_a_peeked_row_holds_what_the_session_reads(wizard: Wizard, app: Flask) -> None:
    wizard.start()
    wizard.complete()
    with app.app_context():
        found = db.find(wizard.token)
        assert found is not None
        columns = [c.key for c in inspect(db.Interview).column_attrs]
        expected = {key: getattr(found, key) for key in columns}
        db.session().close()
        peeked = db.peek(wizard.token)
        assert peeked is not None
        assert {key: getattr(peeked, key) for key in columns} == expected
        assert inspect(peeked).detached
        assert inspect(peeked).identity == (found.id,)
        assert peeked.done == found.done and peeked.raw_answers == found.raw_answers
        assert db.peek("x" * 43) is None


def test_a_peeked_row_cannot_be_changed_and_a_found_row_is_updated(
        wizard: Wizard, app: Flask) -> None:
    """One peeked instance serves every page that shows the row until the row changes, so
    it refuses a change; a page that saves reads its row with find() and updates it."""
    wizard.start()
    with app.app_context():
        peeked = db.peek(wizard.token)
        assert peeked is not None
        with pytest.raises(TypeError, match="cannot be changed"):
            peeked.name = "Renamed"
        assert peeked.name != "Renamed"
        with pytest.raises(TypeError, match="cannot join a session"):
            db.session().add(peeked)
        assert peeked not in db.session()
        statements: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement.split()[0].upper())

        engine = db.engine()
        event.listen(engine, "before_cursor_execute", note)
        try:
            found = db.find(wizard.token)
            assert found is not None
            found.name = "Renamed"
            db.session().commit()
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert "INSERT" not in statements and "UPDATE" in statements
        db.session().close()
        again = db.peek(wizard.token)
        assert again is not None and again.name == "Renamed" and again is not peeked
        assert db.session().scalar(select(func.count()).select_from(db.Interview)) == 1


def test_a_peeked_row_is_reused_only_while_the_database_row_is_the_same(
        wizard: Wizard, app: Flask) -> None:
    wizard.start()
    with app.app_context():
        first = db.peek(wizard.token)
        assert first is not None and db.peek(wizard.token) is first
        # A change by any process (here a bare UPDATE, as another worker's save would be).
        with db.engine().begin() as connection:
            connection.execute(update(db.Interview).values(revision=db.Interview.revision + 1))
        second = db.peek(wizard.token)
        assert second is not None and second is not first
        assert second.revision == first.revision + 1


def test_a_threads_own_sqlite_connection_holds_no_lock_between_pages(
        wizard: Wizard, app: Flask) -> None:
    """peek() keeps one SQLite connection per thread (taking one from the pool cost as much
    as the query): between pages it is outside any transaction, so it never stops a
    writer or a checkpoint."""
    engine = app.extensions["planner.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("a thread keeps its own connection to SQLite only")
    wizard.start()
    wizard.complete()
    assert wizard.client.get(wizard.url("/step/problems")).status_code == 200
    own = db._reader.connection
    assert own is not None and db._reader.engine is engine
    assert not own.in_transaction
    assert wizard.client.get(wizard.url("/review")).status_code == 200
    assert db._reader.connection is own  # kept, not opened again
    with engine.connect() as writer:
        busy = writer.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy[0] == 0  # the checkpoint was not blocked by a reader


def test_a_thread_never_uses_a_connection_opened_in_another_process(
        wizard: Wizard, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server forks its workers: a connection opened before the fork is not used after."""
    engine = app.extensions["planner.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("a thread keeps its own connection to SQLite only")
    wizard.start()
    with app.app_context():
        assert db.peek(wizard.token) is not None
        inherited = db._reader.connection
        monkeypatch.setattr(db._reader, "pid", db._reader.pid + 1)  # as a forked child sees
        assert db.peek(wizard.token) is not None
        assert db._reader.connection is not inherited


def test_showing_a_step_opens_no_orm_session(wizard: Wizard,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The GET reads the row with one Core query: the session's set-up and tear-down cost
    several times the query (bench/bench_web.py)."""
    wizard.start()
    wizard.complete()

    def refuse() -> None:
        raise AssertionError("a page that only shows the interview opened an ORM session")

    monkeypatch.setattr(db, "session", refuse)
    for path in ("/step/problems", "/review", "/saved", ""):
        page = wizard.client.get(wizard.url(path))
        assert page.status_code in (200, 303), (path, page.status_code)
    assert 'value="many" checked' in wizard.client.get(wizard.url("/step/problems")).text


def test_a_page_shows_the_newest_answers_after_every_save(wizard: Wizard) -> None:
    """The fields are kept per saved state of the answers: a save (here, or by someone else
    on another device) shows at once."""
    wizard.start()
    wizard.complete()
    path = wizard.url("/step/problems")
    assert 'value="many" checked' in wizard.client.get(path).text
    other = wizard.app.test_client()  # a second person on the same link
    page = other.get(path)
    form = {"csrf_token": csrf_of(page.text), "overdoses": "some",
            "overdose-deaths": "rising", "revision": _field(page.text, "revision"),
            "base": _field(page.text, "base")}
    assert other.post(path, data=form).status_code == 303
    shown = wizard.client.get(path).text
    assert 'value="some" checked' in shown and 'value="many" checked' not in shown
    assert _field(shown, "base") != form["base"]
    assert int(_field(shown, "revision")) == int(form["revision"]) + 1


def test_the_fields_are_worked_out_once_per_saved_state(wizard: Wizard, app: Flask) -> None:
    wizard.start()
    wizard.complete()
    kb = app.extensions["planner.kb"]
    wizard_views._shown.cache_clear()
    for _ in range(3):
        assert wizard.client.get(wizard.url("/step/problems")).status_code == 200
    info = wizard_views._shown.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    with app.test_request_context():

        interview = state.load(wizard.token, reading=True)
        page = wizard_views.shown(kb, interview, "problems", 1)
        with pytest.raises(TypeError):
            page.current["overdoses"] = "few"  # type: ignore[index]
        assert all(isinstance(v, frozenset | str) for v in page.current.values())


def test_the_first_request_of_a_new_process_can_be_a_step_page(
        wizard: Wizard, app_config: dict[str, Any]) -> None:
    """In a fresh worker the GET may be the first use of the ORM: its mappers must be set
    up before a row is read without a session (this once answered 500 under gunicorn)."""
    wizard.start()
    script = textwrap.dedent(f"""
        from planner import create_app
        app = create_app({app_config!r})
        page = app.test_client().get("/c/{wizard.token}/step/community")
        print(page.status_code)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1:] == ["200"], done.stderr[-2000:]


def _field(html: str, name: str) -> str:


    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, name
    return match.group(1)


def test_a_connection_found_broken_is_a_503_then_dropped_from_the_pool(
        app: Flask, wizard: Wizard, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's errors are wrapped as SQLAlchemy's (the 503 page, never a 500), and a
    connection that broke after it left the pool is dropped, not handed to the next request."""
    wizard.start()
    engine = app.extensions["planner.engine"]
    dropped: list[BaseException | None] = []
    event.listen(engine, "invalidate", lambda _conn, _record, exc: dropped.append(exc))
    checkout = engine.raw_connection

    def broken_after_checkout() -> Any:
        pooled = checkout()
        pooled.dbapi_connection.close()  # the server went away mid-request
        return pooled

    monkeypatch.setattr(db, "_own_connection", lambda _engine: None)  # the pool's path
    monkeypatch.setattr(engine, "raw_connection", broken_after_checkout)
    broken = wizard.client.get(wizard.url("/step/community"))
    assert broken.status_code == 503
    assert "cannot reach its database" in broken.text
    assert len(dropped) == 1  # given back to the pool, its reset failed: it was dropped
    with app.app_context(), pytest.raises(DBAPIError) as raised:
        db.peek(wizard.token)
    assert db.hash_token(wizard.token) not in str(raised.value)  # parameters are hidden
    monkeypatch.undo()
    assert wizard.client.get(wizard.url("/step/community")).status_code == 200


def test_a_threads_own_connection_found_broken_is_a_503_then_replaced(
        app: Flask, wizard: Wizard) -> None:
    engine = app.extensions["planner.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("a thread keeps its own connection to SQLite only")
    wizard.start()
    assert wizard.client.get(wizard.url("/step/community")).status_code == 200
    own = db._reader.connection
    assert own is not None
    own.close()  # broken under the page
    broken = wizard.client.get(wizard.url("/step/community"))
    assert broken.status_code == 503
    assert "cannot reach its database" in broken.text
    assert db._reader.connection is None  # forgotten, not handed to the next page
    assert wizard.client.get(wizard.url("/step/community")).status_code == 200
    assert db._reader.connection is not None and db._reader.connection is not own
