"""Writers to a SQLite file queue at its gate (a lock file, flock) and are let in as soon as
the writer before them ends its transaction; PostgreSQL locks rows and has no gate."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard

from planner.web import db


def _held_by_someone(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing lets go of the lock if it was taken here
    return False


def test_a_writer_holds_the_gate_until_its_transaction_ends(app: Flask,
                                                            client: FlaskClient) -> None:
    wizard = Wizard(app, client)
    wizard.start()
    assert wizard.post_step("community", HUNTINGTON["community"]).status_code == 303
    url = str(app.config["DATABASE_URL"])
    with app.test_request_context():
        row = db.find(wizard.token)
        assert row is not None
        if not url.startswith("sqlite"):
            db.lock(row)
            assert db._GATE_KEY not in db.session().info  # PostgreSQL: row locks only
            db.session().rollback()
            return
        gate = Path(url.removeprefix("sqlite:///") + "-writer")
        db.lock(row)
        assert _held_by_someone(gate)
        db.lock(row)  # a second lock in the same transaction does not wait for itself
        db.session().commit()
        assert not _held_by_someone(gate)
        db.lock(row)
        assert _held_by_someone(gate)
        db.session().rollback()
        assert not _held_by_someone(gate)
        db.lock(row)
        db.session().close()
        assert not _held_by_someone(gate)
        assert oct(gate.stat().st_mode & 0o777) == "0o600"


def test_a_save_lets_go_of_the_gate(app: Flask, client: FlaskClient) -> None:
    wizard = Wizard(app, client)
    wizard.start()
    assert wizard.post_step("community", HUNTINGTON["community"]).status_code == 303
    url = str(app.config["DATABASE_URL"])
    gate = Path(url.removeprefix("sqlite:///") + "-writer")
    if url.startswith("sqlite"):
        assert gate.exists() and not _held_by_someone(gate)
    else:
        assert not gate.exists()
