"""Pages are compressed for this site's own requests, never for cross-site ones (BREACH)."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from flask.testing import FlaskClient
from webhelpers import Wizard

# The form token is signed with the time, so it may differ between two requests.
TOKEN = re.compile(rb'name="csrf_token" value="[^"]*"')


def same_page(a: bytes, b: bytes) -> bool:
    return TOKEN.sub(b"", a) == TOKEN.sub(b"", b)


SAME_SITE = {"Sec-Fetch-Site": "same-origin", "Accept-Encoding": "br, gzip"}


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


def test_the_results_page_is_brotli_compressed_to_at_most_30_kb(
        done: Wizard, client: FlaskClient) -> None:
    plain = client.get(done.url("/results"))
    packed = client.get(done.url("/results"), headers=SAME_SITE)
    assert packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "Sec-Fetch-Site" in packed.headers["Vary"]
    body = brotli.decompress(packed.get_data())
    assert TOKEN.search(body)
    assert same_page(body, plain.get_data())
    assert len(packed.get_data()) <= 30_000, len(packed.get_data())
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())


def test_gzip_when_the_browser_accepts_only_gzip(done: Wizard, client: FlaskClient) -> None:
    response = client.get(done.url("/results"),
                          headers={"Sec-Fetch-Site": "none", "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"How sure is this?" in gzip.decompress(response.get_data())


@pytest.mark.parametrize("site", ["cross-site", "same-site", None])
def test_a_cross_site_or_unmarked_request_gets_the_page_uncompressed(
        done: Wizard, client: FlaskClient, site: str | None) -> None:
    headers = {"Accept-Encoding": "br, gzip"}
    if site:
        headers["Sec-Fetch-Site"] = site
    response = client.get(done.url("/results"), headers=headers)
    assert "Content-Encoding" not in response.headers
    assert b"How sure is this?" in response.get_data()


def test_the_csv_download_is_compressed_to_the_same_bytes(
        done: Wizard, client: FlaskClient) -> None:
    plain = client.get(done.url("/actions.csv?start=2027-03-01"))
    packed = client.get(done.url("/actions.csv?start=2027-03-01"), headers=SAME_SITE)
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.get_data()) == plain.get_data()
