"""Start, consultant, static assets, headers, and the app factory."""

from __future__ import annotations

import gzip
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from planner import create_app
from planner.web import assets

REPO = Path(__file__).resolve().parents[2]


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


def _linked(client: FlaskClient) -> dict[str, str]:
    """The stylesheets and scripts the home page links, by file name."""
    page = client.get("/").text
    return {url.rsplit("/", 1)[1]: url
            for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page)}


def test_uswds_and_app_assets_are_served_locally(client: FlaskClient) -> None:
    linked = _linked(client)
    assert set(linked) == {"uswds.min.css", "app.css", "app.js", "favicon.ico"}
    css = client.get(linked["uswds.min.css"])
    assert css.status_code == 200
    assert "usa-step-indicator" in css.text
    css.close()
    uswds = linked["uswds.min.css"].removesuffix("css/uswds.min.css")
    font = client.get(uswds + "fonts/merriweather/Latin-Merriweather-Bold.woff2")
    assert font.status_code == 200
    font.close()
    js = client.get(linked["app.js"])
    assert js.status_code == 200
    assert js.headers["X-Content-Type-Options"] == "nosniff"
    js.close()
    assert client.get(uswds + "scss/anything.scss").status_code == 404
    assert client.get(uswds + "css/../../package.json").status_code == 404
    assert client.get("/static/uswds/css/uswds.min.css").status_code == 404


def test_every_file_the_stylesheet_refers_to_is_served_and_no_other(
        client: FlaskClient) -> None:
    """USWDS's fonts and images are published as far as its stylesheet uses them (about 50
    of 2,600 files): each one answers, an unused icon does not."""
    url = _linked(client)["uswds.min.css"]
    css = client.get(url)
    targets = set(assets.CSS_URL.findall(css.text))
    css.close()
    assert len(targets) >= 40
    base = url.rsplit("/", 1)[0] + "/"
    for target in sorted(targets):
        response = client.get(posixpath.normpath(base + target.strip()))
        assert response.status_code == 200, target
        response.close()
    uswds = url.removesuffix("css/uswds.min.css")
    assert (REPO / "node_modules/@uswds/uswds/dist/img/material-icons/add.svg").exists()
    assert client.get(uswds + "img/material-icons/add.svg").status_code == 404


def test_static_files_have_hashed_addresses_and_are_cached_for_a_year(
        client: FlaskClient) -> None:
    linked = _linked(client)
    for url in linked.values():
        assert re.fullmatch(r"/static/(uswds|app)-[0-9a-f]{12}/.+", url), url
        response = client.get(url)
        assert response.status_code == 200
        assert "max-age=315360000" in response.headers["Cache-Control"]
        assert "immutable" in response.headers["Cache-Control"]
        response.close()


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_stylesheets_are_served_compressed_to_browsers_that_accept_it(
        client: FlaskClient, encoding: str) -> None:
    url = _linked(client)["uswds.min.css"]
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity"})
    assert packed.headers["Content-Encoding"] == encoding
    assert packed.headers["Vary"] == "Accept-Encoding"
    body = (brotli.decompress(packed.data) if encoding == "br"
            else gzip.decompress(packed.data))
    assert body == plain.data
    assert len(packed.data) < len(plain.data) / 8
    plain.close()
    packed.close()


def test_a_changed_stylesheet_gets_a_new_address(tmp_path: Path) -> None:
    uswds = tmp_path / "uswds" / "dist"
    (uswds / "css").mkdir(parents=True)
    for part in ("fonts", "img"):
        (uswds / part).mkdir()
    (uswds / "css" / "uswds.min.css").write_text("a{color:red}")
    first = assets.build(uswds, tmp_path / "build")
    assert assets.build(uswds, tmp_path / "build") == first
    (uswds / "css" / "uswds.min.css").write_text("a{color:blue}")
    second = assets.build(uswds, tmp_path / "build")
    assert second["uswds"] != first["uswds"] and second["app"] == first["app"]
    assert (second["uswds"] / "css" / "uswds.min.css").read_text() == "a{color:blue}"


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
    code = ("import sys, planner, planner.engine.scoring, planner.engine.plan; "
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
