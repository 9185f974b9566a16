"""An unchanged plan downloads again from the PDF cache; any change renders it anew."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webhelpers import HUNTINGTON, Wizard, every_pdf_slot_taken

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
    with every_pdf_slot_taken(app):
        again = client.get(done.url("/plan.pdf"))
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
