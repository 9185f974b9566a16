"""Plan renders: off the click (a queue), stored in the database by the plan's content, one
render per plan however many ask for it; any change renders it anew."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete
from webhelpers import HUNTINGTON, Wizard, every_pdf_slot_taken

from planner import create_app
from planner.documents import pdf as pdf_module
from planner.web import db, renders


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


@pytest.fixture
def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTML document the PDF renderer is asked to render, in order."""
    seen: list[str] = []
    real: Callable[..., bytes] = pdf_module.render_pdf

    def counting(html: str, **kwargs: object) -> bytes:
        seen.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf_module, "render_pdf", counting)
    return seen


def test_an_unchanged_plan_is_rendered_once(done: Wizard, client: FlaskClient,
                                            rendered: list[str]) -> None:
    first = client.get(done.url("/plan.pdf"))
    second = client.get(done.url("/plan.pdf"))
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.startswith(b"%PDF-")
    assert len(rendered) == 1


def test_a_changed_answer_renders_a_new_plan(done: Wizard, client: FlaskClient,
                                             rendered: list[str]) -> None:
    before = client.get(done.url("/plan.pdf")).data
    changed = dict(HUNTINGTON["community"], **{"community-name": "Cabell County"})
    assert done.post_step("community", changed).status_code == 303
    after = client.get(done.url("/plan.pdf"))
    assert after.status_code == 200 and after.data != before
    assert len(rendered) == 2 and "Cabell County" in rendered[1]


def test_a_cached_plan_is_served_while_every_render_slot_is_busy(
        done: Wizard, app: Flask, client: FlaskClient, rendered: list[str]) -> None:
    assert client.get(done.url("/plan.pdf")).status_code == 200
    with every_pdf_slot_taken(app):
        again = client.get(done.url("/plan.pdf"))
    assert again.status_code == 200 and again.mimetype == "application/pdf"
    assert len(rendered) == 1


def test_another_visitor_gets_no_cached_plan(done: Wizard, app: Flask,
                                             rendered: list[str]) -> None:
    owner = done.client.get(done.url("/plan.pdf"))
    assert owner.status_code == 200
    stranger = app.test_client().get(done.url("/plan.pdf").replace(done.token, "x" * 43))
    assert stranger.status_code == 404 and b"%PDF" not in stranger.data
    assert len(rendered) == 1


def test_simultaneous_downloads_of_one_plan_share_one_render(
        done: Wizard, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []
    gate = threading.Event()

    def slow(html: str, **kwargs: object) -> bytes:
        calls.append(time.monotonic())
        gate.wait(timeout=10)  # hold the render until every download has asked for it
        return b"%PDF-1.7 test body"

    monkeypatch.setattr(pdf_module, "render_pdf", slow)
    url = done.url("/plan.pdf")
    count = 6
    asked = threading.Barrier(count + 1)

    def download(_: int) -> tuple[int, bytes]:
        client = app.test_client()
        asked.wait(timeout=10)
        response = client.get(url)
        return response.status_code, response.data

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(download, i) for i in range(count)]
        asked.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # let the other downloads reach the wait
        gate.set()
        results = [f.result(timeout=20) for f in futures]
    assert [status for status, _ in results] == [200] * count
    assert {body for _, body in results} == {b"%PDF-1.7 test body"}
    assert len(calls) == 1


def test_a_failed_render_lets_the_next_download_try_again(
        done: Wizard, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str, **kwargs: object) -> bytes:
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(pdf_module, "render_pdf", broken)
    with pytest.raises(RuntimeError):
        client.get(done.url("/plan.pdf"))
    monkeypatch.undo()
    again = client.get(done.url("/plan.pdf"))
    assert again.status_code == 200 and again.data.startswith(b"%PDF-")


def _stored(app: Flask) -> list[renders.PlanRender]:
    with app.app_context(), renders._session() as s:
        return list(s.query(renders.PlanRender).order_by(renders.PlanRender.started_at))


@pytest.fixture
def immediate_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    made = create_app({**app_config, "RENDER_QUEUE": "immediate"})
    yield made
    made.extensions["planner.engine"].dispose()


def test_viewing_the_results_renders_the_plan_before_the_download(
        immediate_app: Flask, rendered: list[str]) -> None:
    done = Wizard(immediate_app, immediate_app.test_client())
    done.start()
    done.complete()  # the last step completes the answers: that save queues the render
    assert len(rendered) == 1
    with immediate_app.app_context(), renders._session() as s:  # as if it had never run
        s.query(renders.PlanRender).delete()
        s.commit()
    assert done.client.get(done.url("/results")).status_code == 200
    assert len(rendered) == 2
    assert [r.status for r in _stored(immediate_app)] == ["done"]
    assert done.client.get(done.url("/results")).status_code == 200  # seen again: no render
    pdf = done.client.get(done.url("/plan.pdf"))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert len(rendered) == 2
    assert pdf.data == _stored(immediate_app)[0].body


def test_a_change_to_the_plan_queues_a_new_render(immediate_app: Flask,
                                                  rendered: list[str]) -> None:
    done = Wizard(immediate_app, immediate_app.test_client())
    done.start()
    done.complete()
    assert done.client.get(done.url("/results")).status_code == 200
    assert len(rendered) == 1
    changed = dict(HUNTINGTON["community"], **{"community-name": "Cabell County"})
    assert done.post_step("community", changed).status_code == 303
    assert len(rendered) == 2 and "Cabell County" in rendered[1]
    pdf = done.client.get(done.url("/plan.pdf"))
    assert pdf.status_code == 200 and len(rendered) == 2


def test_a_respondent_copy_or_an_unfinished_interview_queues_nothing(
        immediate_app: Flask, rendered: list[str]) -> None:
    unfinished = Wizard(immediate_app, immediate_app.test_client())
    unfinished.start()
    assert unfinished.post_step("community", HUNTINGTON["community"]).status_code == 303
    assert rendered == [] and _stored(immediate_app) == []


def test_stored_renders_survive_a_restart(app_config: dict[str, Any],
                                          rendered: list[str]) -> None:
    first = create_app(app_config)
    done = Wizard(first, first.test_client())
    done.start()
    done.complete()
    before = done.client.get(done.url("/plan.pdf"))
    first.extensions["planner.engine"].dispose()
    second = create_app(app_config)  # a new process (or another host) on the same database
    after = second.test_client().get(done.url("/plan.pdf"))
    second.extensions["planner.engine"].dispose()
    assert before.status_code == after.status_code == 200
    assert before.data == after.data and len(rendered) == 1


def _claim_as_another_process(app: Flask, done: Wizard, age: float) -> str:
    """Insert the claim another process would hold for this plan, `age` seconds old."""
    with app.test_request_context():
        row = db.session().scalars(db._BY_TOKEN, {"token_hash": db.hash_token(done.token)}).one()
        answers = renders.complete_answers(row)
        assert answers is not None
        key = renders.key_for(renders.plan_html(row, answers, consultant=True)[0])
        when = db._now() - timedelta(seconds=age)
        with renders._session() as s:
            s.add(renders.PlanRender(key=key, interview_id=row.id, status="rendering",
                                     owner="elsewhere:1:1", started_at=when, heartbeat_at=when))
            s.commit()
        db.session().close()
    return key


def test_a_download_waits_for_the_render_under_way_instead_of_starting_one(
        done: Wizard, app: Flask, rendered: list[str]) -> None:
    key = _claim_as_another_process(app, done, age=0)

    def finish() -> None:
        time.sleep(0.5)
        with app.app_context():
            renders.store(key, b"%PDF-1.7 rendered elsewhere")

    helper = threading.Thread(target=finish)
    helper.start()
    response = done.client.get(done.url("/plan.pdf"))
    helper.join()
    assert response.status_code == 200 and response.data == b"%PDF-1.7 rendered elsewhere"
    assert rendered == []


def test_a_claim_whose_process_died_is_taken_over(done: Wizard, app: Flask,
                                                  rendered: list[str]) -> None:
    stale = float(app.config["RENDER_STALE_SECONDS"]) + 1
    _claim_as_another_process(app, done, age=stale)
    response = done.client.get(done.url("/plan.pdf"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert len(rendered) == 1
    assert [r.status for r in _stored(app)] == ["done"]


def test_a_download_past_the_wait_for_a_live_render_gets_a_retry(
        done: Wizard, app_config: dict[str, Any], rendered: list[str]) -> None:
    app = create_app({**app_config, "PDF_WAIT_SECONDS": 0.3})
    try:
        _claim_as_another_process(app, done, age=0)
        response = app.test_client().get(done.url("/plan.pdf"))
    finally:
        app.extensions["planner.engine"].dispose()
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    assert rendered == []


def test_an_unreachable_queue_never_fails_the_results_page(
        app_config: dict[str, Any]) -> None:
    app = create_app({**app_config, "REDIS_URL": "redis://127.0.0.1:9/0"})
    try:
        done = Wizard(app, app.test_client())
        done.start()
        done.complete()
        assert done.client.get(done.url("/results")).status_code == 200
    finally:
        app.extensions["planner.engine"].dispose()


@pytest.mark.slow
def test_the_real_queue_consumer_renders_in_the_background(
        app: Flask, done: Wizard, rendered: list[str]) -> None:
    assert rendered == [] and app.config["RENDER_QUEUE"] == "background"
    queue = renders.queue_of(app)
    # The last step queued the render (a red run once found no render at all after 120 s,
    # on a machine loaded far past its cores: this tells a job never queued from one never
    # taken).
    assert queue.pending_count() >= 1, "completing the wizard queued no render"
    assert renders.start_embedded(app)
    try:
        # The consumer picks it up.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and [r.status for r in _stored(app)] != ["done"]:
            time.sleep(0.1)
        assert [r.status for r in _stored(app)] == ["done"], (
            f"after 120 s: {queue.pending_count()} job(s) still queued")
        assert len(rendered) == 1
        pdf = done.client.get(done.url("/plan.pdf"))
        assert pdf.status_code == 200 and pdf.data == _stored(app)[0].body
        assert len(rendered) == 1
    finally:
        renders.stop_embedded()



@pytest.fixture
def plan_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every plan HTML built for a PDF (renders.plan_html), by community id."""
    seen: list[int] = []
    real = renders.plan_html

    def counting(row: db.Interview, *args: Any, **kwargs: Any) -> tuple[str, str]:
        seen.append(row.id)
        return real(row, *args, **kwargs)

    monkeypatch.setattr(renders, "plan_html", counting)
    return seen


def test_a_download_of_a_stored_render_builds_no_plan(
        immediate_app: Flask, rendered: list[str], plan_builds: list[int]) -> None:
    done = Wizard(immediate_app, immediate_app.test_client())
    done.start()
    done.complete()  # the last step queues the render (done at once here)
    assert done.client.get(done.url("/results")).status_code == 200
    assert len(rendered) == 1 and len(plan_builds) == 1
    pdf = done.client.get(done.url("/plan.pdf"))
    assert pdf.status_code == 200 and pdf.data == _stored(immediate_app)[0].body
    assert "huntington-plan.pdf" in pdf.headers["Content-Disposition"].lower()
    assert len(plan_builds) == 1 and len(rendered) == 1  # found by its source: no plan built


def test_a_download_after_a_change_is_not_served_the_old_render(
        immediate_app: Flask, rendered: list[str], plan_builds: list[int]) -> None:
    done = Wizard(immediate_app, immediate_app.test_client())
    done.start()
    done.complete()
    before = done.client.get(done.url("/plan.pdf")).data
    with immediate_app.app_context(), renders._session() as s:  # as if the queue were down
        s.query(renders.PlanRender).delete()
        s.add(renders.PlanRender(key="0" * 64, interview_id=1, status="done", source="old",
                                 body=before))
        s.commit()
    changed = dict(HUNTINGTON["community"], **{"community-name": "Cabell County"})
    assert done.post_step("community", changed).status_code == 303
    after = done.client.get(done.url("/plan.pdf"))
    assert after.status_code == 200 and after.data != before
    assert "cabell-county-plan.pdf" in after.headers["Content-Disposition"].lower()


def test_a_download_waits_by_source_for_the_render_under_way(
        done: Wizard, app: Flask, rendered: list[str], plan_builds: list[int]) -> None:
    with app.test_request_context():
        row = db.session().scalars(db._BY_TOKEN, {"token_hash": db.hash_token(done.token)}).one()
        source = renders.source_for(row, consultant=True)
        db.session().close()
    with app.app_context(), renders._session() as s:
        s.add(renders.PlanRender(key="1" * 64, interview_id=row.id, status="rendering",
                                 owner="elsewhere:1:1", source=source))
        s.commit()

    def finish() -> None:
        time.sleep(0.5)
        with app.app_context():
            renders.store("1" * 64, b"%PDF-1.7 rendered elsewhere")

    helper = threading.Thread(target=finish)
    helper.start()
    response = done.client.get(done.url("/plan.pdf"))
    helper.join()
    assert response.status_code == 200 and response.data == b"%PDF-1.7 rendered elsewhere"
    assert rendered == [] and plan_builds == []


def test_cleanup_drops_renders_nobody_can_be_served_and_keeps_the_rest(
        app: Flask, done: Wizard) -> None:
    other = Wizard(app, app.test_client())
    other.start()
    other.complete()
    now = db._now()
    with app.app_context(), renders._session() as s:
        s.query(renders.PlanRender).delete()
        ids = {w: s.scalars(db._BY_TOKEN, {"token_hash": db.hash_token(w.token)}).one().id
               for w in (done, other)}

        def row(key: str, who: Wizard, status: str, age: timedelta) -> renders.PlanRender:
            return renders.PlanRender(
                key=key * 64, interview_id=ids[who], status=status, owner="elsewhere:1:1",
                started_at=now - age, heartbeat_at=now - age,
                finished_at=now - age if status == "done" else None,
                body=b"%PDF-" if status == "done" else None)

        s.add_all([
            row("a", done, "done", timedelta(minutes=5)),  # today's render: kept
            row("b", done, "done", timedelta(days=2)),  # an earlier day's: never served again
            row("c", done, "rendering", timedelta(hours=1)),  # a claim whose process died
            row("d", done, "rendering", timedelta(seconds=1)),  # a render under way: kept
            row("e", other, "done", timedelta(minutes=5)),  # its community is deleted below
        ])
        s.commit()
        s.execute(delete(db.Interview).where(db.Interview.id == ids[other]))
        s.commit()
    with app.app_context():
        renders.cleanup()
    assert sorted(r.key[0] for r in _stored(app)) == ["a", "d"]


def test_a_heartbeat_missed_on_a_locked_database_is_a_warning_not_a_traceback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Under a burst of writes SQLite can stay locked past the busy timeout: a missed beat
    is expected and harmless (the next one tries again), so it is logged in one line."""
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "RATE_LIMIT": False,
                      "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": url,
                      "DATABASE_TIMEOUT": 0.05, "RENDER_HEARTBEAT_SECONDS": 0.05})
    holder = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        with app.app_context(), caplog.at_level(logging.WARNING, logger="planner"), \
                renders.heartbeat("k" * 64):
            time.sleep(0.6)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        app.extensions["planner.engine"].dispose()
    missed = [r for r in caplog.records if "heartbeat missed" in r.getMessage()]
    assert missed, [r.getMessage() for r in caplog.records]
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in missed)
    assert not [r for r in caplog.records if r.exc_info]


def test_the_sqlite_queue_is_kept_as_the_apps_database_is(app: Flask) -> None:
    """WAL with synchronous=NORMAL, as db._sqlite_pragmas keeps the app's database: safe when
    a process is killed, and an enqueue does not wait for the disk (huey's default is FULL)."""
    queue = app.extensions["planner.queue"]
    conn = queue.storage.conn
    assert conn.execute("pragma synchronous").fetchone() == (1,)
    assert conn.execute("pragma journal_mode").fetchone() == ("wal",)
    with app.app_context():
        renders.enqueue(1)
    assert queue.pending_count() == 1
