"""Production serving: headers and CSP, cookies, rate limit, PDF bound, health, database faults,
migrations."""

from __future__ import annotations

import base64
import hashlib
import importlib
import pkgutil
import re
import shutil
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect
from webhelpers import HUNTINGTON, Wizard, csrf_of, every_pdf_slot_taken

import planner.web
from planner import create_app, migrations
from planner.cli import main as cli
from planner.web import db, security

INLINE = [
    (re.compile(r"<style", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style= attribute"),
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on...= event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def _no_inline(html: str, where: str) -> None:
    for pattern, what in INLINE:
        found = pattern.search(html)
        assert found is None, f"{where}: {what} near {html[found.start():found.start() + 80]!r}"


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.fixture
def make_app() -> Iterator[Callable[[dict[str, Any]], Flask]]:
    """create_app, with every engine disposed at the end (no connection left open)."""
    made: list[Flask] = []

    def make(config: dict[str, Any]) -> Flask:
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:
        app.extensions["planner.engine"].dispose()


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


def test_every_page_is_served_with_a_strict_policy_and_no_inline_code(done: Wizard,
                                                                      client: FlaskClient) -> None:
    pages = ["/", "/consultant", "/no-such-page", done.url("/step/community"),
             done.url("/review"), done.url("/results"), done.url("/saved")]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 303, 404), path
        policy = _csp(response)
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"], path
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert policy["script-src"] == "script-src 'self'"
        assert policy["style-src"] == "style-src 'self'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        if response.mimetype == "text/html":
            _no_inline(response.text, path)
    assert client.get("/healthz").headers["X-Content-Type-Options"] == "nosniff"


def test_plan_preview_allows_only_its_own_style_block_by_hash(done: Wizard,
                                                             client: FlaskClient) -> None:
    response = client.get(done.url("/plan"))
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    blocks = re.findall(r"<style>(.*?)</style>", response.text, re.S)
    assert len(blocks) == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    without_block = response.text.replace(f"<style>{blocks[0]}</style>", "")
    _no_inline(without_block, "plan preview")
    assert "<svg" not in response.text and 'src="data:image/svg+xml;base64,' in response.text


def test_session_cookie_is_httponly_lax_and_secure_in_production(
        app_config: dict[str, Any], make_app: Callable[[dict[str, Any]], Flask]) -> None:
    dev = make_app(app_config).test_client().get("/").headers["Set-Cookie"]
    assert "HttpOnly" in dev and "SameSite=Lax" in dev and "Secure" not in dev
    prod = make_app({**app_config, "ENV": "production"})
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    cookie = prod.test_client().get("/", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    plain = make_app({**app_config, "ENV": "production", "SESSION_COOKIE_SECURE": False})
    assert plain.config["SESSION_COOKIE_SECURE"] is False


def test_production_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setenv("PLANNER_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("PLANNER_ENV", "production")
    monkeypatch.setenv("PLANNER_RATE_LIMIT_PDF", "3")
    monkeypatch.setenv("PLANNER_PDF_MAX_CONCURRENT", "4")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["RATE_LIMIT_PDF"] == 3 and app.config["PDF_MAX_CONCURRENT"] == 4
    key = tmp_path / "inst" / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == key.read_text().strip()
    assert (tmp_path / "env.sqlite3").exists()
    app.extensions["planner.engine"].dispose()


def test_past_the_rate_limit_a_clear_429_with_retry_after(
        app_config: dict[str, Any], make_app: Callable[[dict[str, Any]], Flask]) -> None:
    app = make_app({**app_config, "RATE_LIMIT": True, "RATE_LIMIT_READ": 3})
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "try again" in refused.text and "Traceback" not in refused.text
    assert client.get("/healthz").status_code == 200  # never limited
    other = client.get("/", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200  # buckets are per client


def test_rate_limits_count_in_memory_or_in_redis_when_configured(
        app_config: dict[str, Any], make_app: Callable[[dict[str, Any]], Flask]) -> None:
    app = make_app({**app_config, "RATE_LIMIT": True})
    assert security.storage_uri(app) == "memory://"
    assert type(app.extensions["planner.limiter"].storage).__name__ == "MemoryStorage"
    redis_url = "redis://127.0.0.1:6390/0"
    assert security.storage_uri(make_app({**app_config, "REDIS_URL": redis_url})) == redis_url


def test_pages_posts_and_pdfs_are_counted_apart(
        app_config: dict[str, Any], make_app: Callable[[dict[str, Any]], Flask]) -> None:
    app = make_app({**app_config, "RATE_LIMIT": True, "RATE_LIMIT_READ": 2,
                    "RATE_LIMIT_WRITE": 1})
    client = app.test_client()
    assert [client.get("/").status_code for _ in range(3)] == [200, 200, 429]
    first = client.post("/new")  # a post is counted with posts, not with pages
    assert first.status_code == 400  # (no CSRF token)
    assert client.post("/new").status_code == 429


def test_pdf_renders_past_the_bound_are_told_to_retry(done: Wizard, app: Flask,
                                                      client: FlaskClient) -> None:
    with every_pdf_slot_taken(app):
        busy = client.get(done.url("/plan.pdf"))
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == str(app.config["PDF_RETRY_AFTER"])
    assert "busy" in busy.text and "try the download again" in busy.text.lower()
    served = client.get(done.url("/plan.pdf"))
    assert served.status_code == 200 and served.mimetype == "application/pdf"


def test_oversized_body_is_refused_with_413(wizard: Wizard, client: FlaskClient) -> None:
    wizard.start()
    token = csrf_of(client.get(wizard.url("/step/community")).text)
    response = client.post(wizard.url("/step/community"),
                           data={"csrf_token": token, "community-name": "x" * 200_000})
    assert response.status_code == 413
    assert "too large" in response.text


def test_health_reports_the_database_and_schema(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["schema"] == migrations.head()
    # No consumer runs beside the test app: the queue is reported down (test_queue_health).
    assert body["status"] == "degraded" and body["queue"]["consumer"] == "down"


# ------------------------------------------------------------------ database faults


@pytest.fixture
def sqlite_app(tmp_path: Path, make_app: Callable[[dict[str, Any]], Flask]) -> Flask:
    folder = tmp_path / "data"
    folder.mkdir()
    return make_app({
        "TESTING": True, "SECRET_KEY": "t", "RATE_LIMIT": False,
        "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_TIMEOUT": 0.2,
        "DATABASE_URL": f"sqlite:///{folder / 'planner.sqlite3'}",
    })


def test_locked_database_gives_a_clear_503_page(sqlite_app: Flask, tmp_path: Path) -> None:
    client = sqlite_app.test_client()
    wizard = Wizard(sqlite_app, client)
    wizard.start()
    page = client.get(wizard.url("/step/community"))
    lock = sqlite3.connect(tmp_path / "data" / "planner.sqlite3", timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        response = client.post(wizard.url("/step/community"),
                               data={**HUNTINGTON["community"], "csrf_token": csrf_of(page.text)})
        started = client.post("/new", data={"csrf_token": csrf_of(client.get("/").text)})
    finally:
        lock.rollback()
        lock.close()
    for refused in (response, started):
        assert refused.status_code == 503
        assert refused.headers["Retry-After"]
        assert "cannot reach its database" in refused.text
        assert "Traceback" not in refused.text and "sqlite" not in refused.text.lower()
    assert wizard.post_step("community", HUNTINGTON["community"]).status_code == 303


def test_missing_database_gives_503_pages_and_an_unhealthy_health_check(
        sqlite_app: Flask, tmp_path: Path) -> None:
    client = sqlite_app.test_client()
    wizard = Wizard(sqlite_app, client)
    wizard.start()
    shutil.rmtree(tmp_path / "data")  # the volume is gone
    sqlite_app.extensions["planner.engine"].dispose()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["database"] == "unavailable"
    for response in (client.get(wizard.url("/step/community")), client.get(wizard.url("/review")),
                     client.post("/new", data={"csrf_token": "x"})):
        assert response.status_code in (503, 400)
        if response.status_code == 503:
            assert "cannot reach its database" in response.text
            assert "Traceback" not in response.text
    assert client.get(wizard.url("/review")).status_code == 503
    assert client.get("/").status_code == 200  # pages without the database still work


def test_unreachable_postgres_gives_a_503_page(app: Flask) -> None:
    app.extensions["planner.engine"].dispose()
    app.extensions["planner.engine"] = db.make_engine(
        "postgresql+psycopg://nobody:none@127.0.0.1:9/none?connect_timeout=2")
    client = app.test_client()
    response = client.get("/c/" + "A" * 43 + "/review")
    assert response.status_code == 503
    assert "cannot reach its database" in response.text
    assert client.get("/healthz").status_code == 503


# ------------------------------------------------------------------ migrations


def _import_every_web_module() -> None:
    for module in pkgutil.iter_modules(planner.web.__path__):
        if module.name != "gunicorn_conf":
            importlib.import_module(f"planner.web.{module.name}")


def test_migrated_schema_matches_the_models(app: Flask) -> None:
    """Every table and column of every model has a migration (no autogenerate diff)."""
    _import_every_web_module()
    engine = app.extensions["planner.engine"]
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    assert diffs == [], ("models and migrations differ: add a revision in "
                         f"planner/migrations/versions/: {diffs}")
    assert migrations.current(engine) == migrations.head()


def test_a_database_made_before_migrations_is_stamped_then_upgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    old = MetaData()
    Table("interviews", old, Column("id", Integer, primary_key=True),
          Column("token_hash", String(64), unique=True, index=True),
          Column("route", String(20)), Column("answers_json", String),
          Column("done_json", String), Column("created_at", String),
          Column("updated_at", String))
    old.create_all(engine)
    migrations.upgrade(engine)
    assert migrations.current(engine) == migrations.head()
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_cli_db_upgrade_migrates_a_new_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result = CliRunner().invoke(cli, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    assert f"at revision {migrations.head()}" in result.output
    result = CliRunner().invoke(cli, ["db", "current", "--url", url])
    assert result.output.startswith(migrations.head())
