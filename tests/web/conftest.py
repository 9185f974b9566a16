"""Fixtures for the web layer: app, client, a wizard driver, a live server and a browser."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consultanthelpers import add_user, sign_in
from flask import Flask
from flask.testing import FlaskClient
from needs import missing
from webhelpers import Wizard, serve

from planner import create_app

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
# How long a browser action may wait before it fails. It catches a page that never comes,
# not a slow one: on a loaded machine (two cores, other work running) a full-page
# screenshot at 200% zoom once took more than 15 s, and failed a test that was right.
BROWSER_TIMEOUT_MS = 60_000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Set (e.g. postgresql+psycopg://planner@127.0.0.1/planner_test) to run the web tests on
# that PostgreSQL server instead of a temporary SQLite file, in a database of the test
# process's own beside the one named (pg_test_url); each test starts from an empty schema.
TEST_DATABASE_URL = os.environ.get("PLANNER_TEST_DATABASE_URL", "")


# The PostgreSQL databases this test process made (dropped when it ends).
_MADE: list[str] = []


def private_database(base_url: str, label: str) -> str:
    """A new, empty PostgreSQL database beside base_url's, named for this process
    (`<base>_<label>_<pid>`), dropped at the end of the session; returns its URL.

    The server is shared by every test process on the machine (the other xdist worker,
    other checkouts, a CI run beside a developer's): a database of one's own is never
    emptied by another (the two-host test's hosts lost their tables mid-test when a second
    copy of the module emptied the `planner_test` they shared).
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    given = make_url(base_url)
    name = f"{given.database}_{label}_{os.getpid()}"
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    url = given.set(database=name).render_as_string(hide_password=False)
    _MADE.append(url)
    return url


def drop_database(url: str) -> None:
    """Drop a database made by private_database (its last connections are ended)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    given = make_url(url)
    engine = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{given.database}" WITH (FORCE)'))
    finally:
        engine.dispose()
    if url in _MADE:
        _MADE.remove(url)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for url in list(_MADE):
        drop_database(url)


@functools.cache
def pg_test_url() -> str:
    """A database of this test process's own beside PLANNER_TEST_DATABASE_URL's, or "" for
    SQLite files.

    Each process (each pytest-xdist worker, or pytest alone) makes its own database beside
    the given one (planner_test_gw0_<pid>, planner_test_main_<pid>, ...) and drops it at the
    end: workers never empty each other's tables, nor two runs on one machine.
    """
    if not TEST_DATABASE_URL:
        return ""
    return private_database(TEST_DATABASE_URL, os.environ.get("PYTEST_XDIST_WORKER") or "main")


def empty_database(url: str) -> None:
    """Drop every table of the test database (PostgreSQL: the whole public schema)."""
    from sqlalchemy import MetaData, create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            else:
                meta = MetaData()
                meta.reflect(connection)
                meta.drop_all(connection)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A SQLite database with no rows, migrated to the newest revision, as bytes (migrated
    once a session; the migrations themselves are tested in test_production.py)."""
    from planner import migrations
    from planner.web.db import make_engine

    path = tmp_path_factory.mktemp("migrated") / "planner.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        migrations.upgrade(engine)
    finally:
        engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path.read_bytes()


@pytest.fixture
def database_url(tmp_path: Path, migrated_sqlite: bytes) -> str:
    """A fresh database with no rows for one test: PLANNER_TEST_DATABASE_URL's (emptied; the
    app migrates it) or a SQLite file (a private copy of one already migrated)."""
    url = pg_test_url()
    if url:
        empty_database(url)
        return url
    path = tmp_path / "planner.sqlite3"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(migrated_sqlite)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """Test settings: a temporary instance folder and database; CSRF stays on.

    The rate limit is off (one test client sends many requests); tests of it turn it on.
    """
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "RATE_LIMIT": False,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    made = create_app(app_config)
    yield made
    made.extensions["planner.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def wizard(app: Flask, client: FlaskClient) -> Wizard:
    return Wizard(app, client)


@pytest.fixture
def ann(app: Flask) -> FlaskClient:
    """A client signed in as Ann, a consultant."""
    add_user(app, "ann@example.org", "Ann Consultant")
    client = app.test_client()
    sign_in(client, "ann@example.org")
    return client


# ------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served on 127.0.0.1 at a free port, in a daemon thread."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app({
        "SECRET_KEY": "live-test-secret",
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": f"sqlite:///{folder / 'planner.sqlite3'}",
    })
    with serve(app) as base:
        yield base


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(BROWSER_TIMEOUT_MS)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Debian Chromium for the whole session.

    Missing Chromium skips locally and fails under .ci/test and CI=true (tests/needs.py).
    """
    if not Path(CHROMIUM).exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
