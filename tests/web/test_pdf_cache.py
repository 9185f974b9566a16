"""An unchanged plan downloads again from the PDF cache; any change renders it anew."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard

from planner import pdf as pdf_module
from planner.web import pdfcache


@pytest.fixture
def done(wizard: Wizard) -> Wizard:
    wizard.start()
    wizard.complete()
    return wizard


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every HTML document the PDF renderer is asked to render, in order."""
    seen: list[str] = []
    real: Callable[..., bytes] = pdf_module.render_pdf

    def counting(html: str, **kwargs: object) -> bytes:
        seen.append(html)
        return real(html, **kwargs)

    monkeypatch.setattr(pdf_module, "render_pdf", counting)
    return seen


def test_an_unchanged_plan_is_rendered_once(done: Wizard, client: FlaskClient,
                                            renders: list[str]) -> None:
    first = client.get(done.url("/plan.pdf"))
    second = client.get(done.url("/plan.pdf"))
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.startswith(b"%PDF-")
    assert len(renders) == 1


def test_a_changed_answer_renders_a_new_plan(done: Wizard, client: FlaskClient,
                                             renders: list[str]) -> None:
    before = client.get(done.url("/plan.pdf")).data
    changed = dict(HUNTINGTON["community"], **{"community-name": "Cabell County"})
    assert done.post_step("community", changed).status_code == 303
    after = client.get(done.url("/plan.pdf"))
    assert after.status_code == 200 and after.data != before
    assert len(renders) == 2 and "Cabell County" in renders[1]


def test_a_cached_plan_is_served_while_every_render_slot_is_busy(
        done: Wizard, app: Flask, client: FlaskClient, renders: list[str]) -> None:
    assert client.get(done.url("/plan.pdf")).status_code == 200
    slots = app.extensions["planner.pdf_slots"]
    held = 0
    while slots.acquire(blocking=False):
        held += 1
    try:
        again = client.get(done.url("/plan.pdf"))
    finally:
        for _ in range(held):
            slots.release()
    assert again.status_code == 200 and again.mimetype == "application/pdf"
    assert len(renders) == 1


def test_another_visitor_gets_no_cached_plan(done: Wizard, app: Flask,
                                             renders: list[str]) -> None:
    owner = done.client.get(done.url("/plan.pdf"))
    assert owner.status_code == 200
    stranger = app.test_client().get(done.url("/plan.pdf").replace(done.token, "x" * 43))
    assert stranger.status_code == 404 and b"%PDF" not in stranger.data
    assert len(renders) == 1


def test_the_cache_keeps_the_most_recent_entries() -> None:
    cache = pdfcache.PdfCache(2)
    for name in ("a", "b", "c"):
        cache.put(cache.key(name), name.encode())
    assert len(cache) == 2
    assert cache.get(cache.key("a")) is None
    assert cache.get(cache.key("b")) == b"b"
    cache.put(cache.key("d"), b"d")  # "b" was used last, so "c" goes
    assert cache.get(cache.key("c")) is None and cache.get(cache.key("b")) == b"b"
    assert (cache.hits, cache.misses) == (2, 2)


def test_a_cache_of_zero_entries_keeps_nothing() -> None:
    cache = pdfcache.PdfCache(0)
    cache.put(cache.key("a"), b"a")
    assert len(cache) == 0 and cache.get(cache.key("a")) is None
