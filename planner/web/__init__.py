"""The Flask web layer: an application factory, one blueprint per feature.

The web layer parses requests, calls the core and renders templates; it holds
no scoring or planning logic of its own.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from jinja2 import FileSystemLoader

from planner.knowledge import loader

REPO_ROOT = Path(__file__).resolve().parent.parent.parent

csrf = CSRFProtect()


# How long a queued render may wait for idle cores (planner.web.renders.should_yield).
DEFAULT_RENDER_YIELD_SECONDS = 120


def _defaults(app: Flask) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{Path(app.instance_path) / 'planner.sqlite3'}",
        "KNOWLEDGE_DIR": str(loader.default_root()),
        "TEMPLATES_DIR": str(REPO_ROOT / "templates"),
        "USWDS_DIR": str(REPO_ROOT / "node_modules" / "@uswds" / "uswds" / "dist"),
        # Hashed, pre-compressed copies of the static files (see planner.web.assets).
        "STATIC_BUILD_DIR": str(REPO_ROOT / "build" / "static"),
        "MAX_CONTENT_LENGTH": 64 * 1024,
        "MAX_FORM_MEMORY_SIZE": 64 * 1024,
        # A wizard page may stay open for a long time; the token still expires with the session.
        "WTF_CSRF_TIME_LIMIT": None,
        "RESUME_MAX_AGE_DAYS": 365,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": None,
        # A signed-in session ends after this many hours without a request (server-side).
        "SESSION_IDLE_HOURS": 8,
        # Production settings (see planner.web.security and the README's Configuration).
        "ENV": "development",
        "DATABASE_TIMEOUT": 5.0,
        "RATE_LIMIT": True,
        "RATE_LIMIT_READ": 240,
        "RATE_LIMIT_WRITE": 60,
        "RATE_LIMIT_PDF": 12,
        # Where rate limits and sign-in failures are counted: Redis if set, else memory://.
        "REDIS_URL": "",
        # Failed sign-ins one account may have (any address) before signing in pauses.
        "SIGN_IN_LIMIT": "5 per 15 minutes; 20 per day",
        # Each further pause twice the one before (15, 30, 60 minutes...), up to a day.
        "SIGN_IN_PROGRESSIVE": True,
        "PDF_MAX_CONCURRENT": 2,
        "PDF_RETRY_AFTER": 5,
        # How long a download waits for a render of the same plan already under way.
        "PDF_WAIT_SECONDS": 30,
        # Plan renders off the click (planner.web.renders): "background" (a queue: SQLite in
        # the instance folder, or Redis with REDIS_URL), "immediate" (at once, in the
        # request: tests) or "off" (rendered at the first download only).
        "RENDER_QUEUE": "background",
        # Run the queue's consumer inside the web server (false when `planner worker`s do).
        "QUEUE_IN_SERVER": True,
        "QUEUE_WORKERS": 1,
        # A consumer records that it is alive this often; /healthz calls one silent for three
        # times as long "down" (and `planner serve` restarts its own when it exits).
        "QUEUE_BEAT_SECONDS": 5,
        # The queue's consumers run the retention clean-up this often (planner.web.retention).
        "RETENTION_SECONDS": 3600,
        # A render's claim is kept alive this often; a claim this old is taken over.
        "RENDER_HEARTBEAT_SECONDS": 2,
        "RENDER_STALE_SECONDS": 15,
        "RENDER_POLL_SECONDS": 0.1,
        # A claim whose heartbeat stopped this long ago is deleted (renders.cleanup).
        "RENDER_CLAIM_MAX_SECONDS": 600,
        # A queued render waits while the machine's cores are busy (requests waiting), for
        # up to this many seconds after it was queued; 0: render at once (renders.YIELD).
        "RENDER_YIELD_SECONDS": DEFAULT_RENDER_YIELD_SECONDS,
    }


def private_folder(folder: Path) -> None:
    """Make the instance folder (and any folder in it) 0700 and every file in it 0600,
    creating it if need be: it holds the secret key, the SQLite databases and the render
    queue. Files the app makes later are created 0600 (the databases' -wal and -shm files
    take their database's mode)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        try:
            path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError as exc:  # another user's file: left as it is, and said once
            logging.getLogger("planner").warning("could not make %s private: %s",
                                                 path.name, exc.strerror)


def _instance_secret(folder: Path) -> str:
    """Read the instance folder's secret key, creating it on first start."""
    path = folder / "secret_key"
    try:  # created readable by the owner only, and never overwritten (O_EXCL)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the app.

    Settings come from the defaults, then `instance/config.py`, then
    environment variables prefixed `PLANNER_` (and `DATABASE_URL`), or, in
    tests, from `test_config` alone on top of the defaults. `INSTANCE_PATH`
    there, or `PLANNER_INSTANCE_PATH` in the environment, moves the instance
    folder. Without a configured SECRET_KEY one is generated and kept in the
    instance folder. The app refuses to start on an invalid knowledge base.
    """
    instance = (test_config or {}).get("INSTANCE_PATH") or os.environ.get("PLANNER_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance,
                static_folder=None)
    app.config.from_mapping(_defaults(app))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("PLANNER")
        if os.environ.get("DATABASE_URL"):
            app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
        if "KNOWLEDGE" in app.config:  # PLANNER_KNOWLEDGE, as documented before
            app.config["KNOWLEDGE_DIR"] = app.config["KNOWLEDGE"]
    else:
        app.config.from_mapping(test_config)
    if app.config["SESSION_COOKIE_SECURE"] is None:  # not set: Secure in production only
        app.config["SESSION_COOKIE_SECURE"] = app.config["ENV"] == "production"
    app.permanent_session_lifetime = timedelta(hours=float(app.config["SESSION_IDLE_HOURS"]))
    private_folder(Path(app.instance_path))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))

    app.jinja_loader = FileSystemLoader(app.config["TEMPLATES_DIR"])
    knowledge_dir = Path(app.config["KNOWLEDGE_DIR"]).resolve()
    # The shipped knowledge base is loaded (and validated) once per process.
    app.extensions["planner.kb"] = (
        loader.load_default() if knowledge_dir == loader.default_root().resolve()
        else loader.load(knowledge_dir)
    )

    # accounts, consult, dashboard, respondents: imported before db.init_app creates the tables.
    from planner.web import (
        accounts,
        assets,
        compression,
        consult,
        dashboard,
        db,
        errors,
        fragments,
        health,
        organization,
        portfolio,
        progress,
        renders,
        respondents,
        results,
        security,
        start,
        summaries,
        views,
        wizard,
    )

    compression.init_app(app)  # its hook runs last: it compresses the final body
    security.init_app(app)  # first: limits and input checks run before the CSRF check
    csrf.init_app(app)
    db.init_app(app)
    errors.init_app(app)
    views.init_app(app)
    renders.init_app(app)
    assets.init_app(app)
    fragments.init_app(app)
    summaries.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(start.bp)
    app.register_blueprint(wizard.bp)
    app.register_blueprint(results.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(consult.bp)
    app.register_blueprint(respondents.bp)
    app.register_blueprint(progress.bp)
    app.register_blueprint(portfolio.bp)
    app.register_blueprint(organization.bp)
    return app
