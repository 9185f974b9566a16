"""/healthz reports the render queue: a consumer alive (it beats in the queue's storage),
the jobs waiting and how long the oldest has waited."""

from __future__ import annotations

import json
import time

from flask import Flask
from flask.testing import FlaskClient

from planner.web import renders


def queue_report(client: FlaskClient) -> tuple[int, dict[str, object]]:
    response = client.get("/healthz")
    body = response.get_json()
    return response.status_code, body


def test_health_reports_a_silent_consumer_and_the_oldest_waiting_job(
        app: Flask, client: FlaskClient) -> None:
    status, body = queue_report(client)
    assert status == 200
    assert body["status"] == "degraded", body
    assert body["queue"] == {"mode": "background", "consumer": "down",
                             "consumer_seen_seconds_ago": None, "waiting": 0,
                             "oldest_waiting_seconds": None}
    huey = renders.queue_of(app)
    task = app.extensions["planner.render_task"]
    task(0, None, queued=time.time() - 40)
    task(0, None, queued=time.time() - 5)
    renders.beat(huey)
    status, body = queue_report(client)
    assert status == 200 and body["status"] == "ok", body
    queue = body["queue"]
    assert isinstance(queue, dict)
    assert queue["consumer"] == "alive" and queue["waiting"] == 2
    assert 40 <= float(queue["oldest_waiting_seconds"]) < 60
    assert float(queue["consumer_seen_seconds_ago"]) < 5
    # A consumer silent for three beats is down.
    silent = time.time() - 3 * app.config["QUEUE_BEAT_SECONDS"] - 1
    huey.storage.put_data(renders.BEAT_KEY, json.dumps({"at": silent}).encode())
    _, body = queue_report(client)
    assert body["status"] == "degraded" and body["queue"]["consumer"] == "down", body


def test_an_embedded_consumer_beats(app: Flask, client: FlaskClient) -> None:
    assert renders.start_embedded(app)
    try:
        deadline = time.monotonic() + 10
        while queue_report(client)[1]["queue"]["consumer"] != "alive":
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        renders.stop_embedded()


def test_a_queue_run_in_the_request_is_reported_as_such(app_config: dict[str, object]) -> None:
    from planner.web import create_app

    made = create_app({**app_config, "RENDER_QUEUE": "immediate"})
    try:
        _, body = queue_report(made.test_client())
        assert body["status"] == "ok" and body["queue"] == {"mode": "immediate"}
    finally:
        made.extensions["planner.engine"].dispose()
