"""Start, consultant, static assets, headers, and the app factory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskClient

from planner import create_app


def test_start_page_offers_three_routes(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert 'href="#main-content"' in page.text
    assert 'action="/new"' in page.text
    assert 'action="/existing"' in page.text
    assert 'href="/consultant"' in page.text
    assert "<title>Plan a deflection program | Deflection Pathway Planner</title>" in page.text


def test_consultant_link_leads_to_sign_in(client: FlaskClient) -> None:
    page = client.get("/consultant", follow_redirects=True)
    assert page.status_code == 200
    assert "Consultant sign-in" in page.text


def test_uswds_and_app_assets_are_served_locally(client: FlaskClient) -> None:
    css = client.get("/static/uswds/css/uswds.min.css")
    assert css.status_code == 200
    assert "usa-step-indicator" in css.text
    css.close()
    font = client.get("/static/uswds/fonts/merriweather/Latin-Merriweather-Bold.woff2")
    assert font.status_code == 200
    font.close()
    js = client.get("/static/app/app.js")
    assert js.status_code == 200
    js.close()
    assert client.get("/static/uswds/scss/anything.scss").status_code == 404
    assert client.get("/static/uswds/css/../../package.json").status_code == 404


def test_pages_load_nothing_from_another_origin(client: FlaskClient) -> None:
    page = client.get("/").text
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "default-src 'self'" in client.get("/").headers["Content-Security-Policy"]


def test_responses_never_leak_the_resume_link_as_a_referrer(client: FlaskClient) -> None:
    assert client.get("/").headers["Referrer-Policy"] == "no-referrer"


def test_unknown_page_is_a_404_message(client: FlaskClient) -> None:
    page = client.get("/nowhere")
    assert page.status_code == 404
    assert "Page not found" in page.text
    assert "<title>Error: " in page.text


def test_get_on_a_post_only_route_is_a_405_message(client: FlaskClient) -> None:
    page = client.get("/new")
    assert page.status_code == 405
    assert "not allowed" in page.text


def test_importing_the_core_does_not_import_flask() -> None:
    code = ("import sys, planner, planner.scoring, planner.plan; "
            "print('flask' in sys.modules or 'wtforms' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_without_a_configured_secret_key_one_is_kept_in_the_instance_folder(
        tmp_path: Path) -> None:
    config = {"INSTANCE_PATH": str(tmp_path / "inst"),
              "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    first = create_app(config).config["SECRET_KEY"]
    assert len(first) == 64
    assert (tmp_path / "inst" / "secret_key").read_text() == first
    assert create_app(config).config["SECRET_KEY"] == first
