"""Issue 27, Redis down: what fails open and what fails closed when the shared Redis (rate
limits, render queue) cannot be reached, and that an outage is logged once, not every second.

- Rate limits: counted in each worker's memory instead (Flask-Limiter's in-memory fallback):
  still enforced (a tester saw 100 of 100 writes pass a limit of 60 with Redis down).
- Sign-in throttle: counted in the database, so Redis down changes nothing.
- Render queue: requests never fail; plans are rendered at the download; the consumer's
  polls of the queue, its beats, the health checks and the enqueues are one line an outage.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from consultanthelpers import PASSWORD, add_user
from flask import Flask
from flask.testing import FlaskClient
from needs import missing
from serverhelpers import free_port
from webhelpers import csrf_of

from planner import create_app
from planner.web import outages, renders

RATE_MESSAGE = "more requests than this site accepts"


def _refused_url() -> str:
    """A Redis URL nothing listens on (connection refused)."""
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture(autouse=True)
def _queue_up() -> Iterator[None]:
    outages.QUEUE.down = False  # the outage state is the process's; each test starts clean
    yield
    outages.QUEUE.down = False


def _make(app_config: dict[str, Any], redis_url: str, **extra: Any) -> Flask:
    return create_app({**app_config, "RATE_LIMIT": True, "RATE_LIMIT_WRITE": 8,
                       "REDIS_URL": redis_url, "RENDER_QUEUE": "background",
                       "QUEUE_IN_SERVER": False, **extra})


def _dispose(app: Flask) -> None:
    """Close the app's database and Redis connections (the limits' and the queue's)."""
    app.extensions["planner.engine"].dispose()
    renders.queue_of(app).storage.conn.connection_pool.disconnect()
    app.extensions["planner.limiter"].storage.get_connection().connection_pool.disconnect()


def _sign_in(client: FlaskClient, email: str, password: str) -> Any:
    token = csrf_of(client.get("/sign-in").text)
    return client.post("/sign-in", data={"csrf_token": token, "email": email,
                                         "password": password})


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "unreachable" in r.getMessage()]


def test_with_redis_refusing_limits_hold_in_memory_and_sign_in_stays_throttled(
        app_config: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    app = _make(app_config, _refused_url())
    try:
        add_user(app, "ann@example.org")
        client = app.test_client()
        assert client.get("/").status_code == 200  # pages are served
        # The sign-in throttle (in the database) holds: 5 wrong, then even the right one waits.
        for i in range(5):
            assert _sign_in(client, "ann@example.org", f"wrong {i} guess").status_code == 400
        paused = _sign_in(client, "ann@example.org", PASSWORD)
        assert paused.status_code == 429 and "too many failed sign-ins" in paused.text.lower()
        # The write limit (8 a minute) holds, counted in memory: the 9th post is refused.
        codes = [_sign_in(client, f"x{i}@example.org", "wrong again").status_code
                 for i in range(4)]
        assert codes == [400, 400, 429, 429], codes
        refused = _sign_in(client, "y@example.org", "wrong again")
        assert refused.status_code == 429 and RATE_MESSAGE in refused.text
        assert int(refused.headers["Retry-After"]) > 0
        # /healthz says the queue is unreachable (degraded, not down: pages work).
        health = client.get("/healthz").get_json()
        assert health["status"] == "degraded" and health["queue"]["queue"] == "unavailable"
        assert health["limits"] == "memory (Redis unreachable)"
    finally:
        _dispose(app)
    # One line for the limits and one for the queue, over 20 requests; no traceback.
    lines = _outage_lines(caplog)
    assert len(lines) == 2, [r.getMessage() for r in lines]
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


def test_a_consumer_with_redis_refusing_logs_the_outage_once(
        app_config: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    """A tester saw each consumer log about one traceback a second."""
    caplog.set_level(logging.INFO)
    app = _make(app_config, _refused_url())
    queue = renders.queue_of(app)
    consumer = renders.EmbeddedConsumer(queue, workers=1, worker_type="thread", periodic=False,
                                        check_worker_health=False, shutdown_timeout=5)
    consumer.start()
    beating = renders.keep_beating(queue, 0.2)
    try:
        with app.app_context():
            for interview_id in (1, 2, 3):
                renders.enqueue(interview_id)  # a request's enqueue: never an error
        time.sleep(4)
    finally:
        beating.set()
        consumer.stop(graceful=True)
        _dispose(app)
    lines = _outage_lines(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "render queue unreachable" in lines[0].getMessage()
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A private redis-server on a free loopback port; yields its URL and a function that
    starts it (again)."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server is not installed (apt-get install redis-server)")
    assert binary is not None
    port = free_port()
    procs: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        import redis

        with (tmp_path / "redis.log").open("ab") as log:
            procs.append(subprocess.Popen(
                [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(tmp_path)],
                stdout=log, stderr=subprocess.STDOUT))
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline and procs[-1].poll() is None
                time.sleep(0.1)
        client.close()

    def kill() -> None:
        procs[-1].kill()
        procs[-1].wait(timeout=10)

    start()
    yield f"redis://127.0.0.1:{port}/0", (start, kill)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def test_redis_dying_mid_run_keeps_the_limits_and_says_so_once(
        app_config: dict[str, Any], caplog: pytest.LogCaptureFixture,
        redis_server: tuple[str, Any]) -> None:
    url, (start, kill) = redis_server
    caplog.set_level(logging.INFO)
    app = _make(app_config, url, RATE_LIMIT_WRITE=4)
    queue = renders.queue_of(app)
    beating = renders.keep_beating(queue, 0.2)
    try:
        client = app.test_client()
        assert client.get("/healthz").get_json()["limits"] == "redis"
        assert [_sign_in(client, f"a{i}@example.org", "wrong").status_code
                for i in range(3)] == [400, 400, 400]
        kill()  # Redis dies mid-run
        time.sleep(0.5)
        codes = [_sign_in(client, f"b{i}@example.org", "wrong").status_code for i in range(6)]
        # Counted in memory from the outage on: 4 more, then refused; never open.
        assert codes == [400, 400, 400, 400, 429, 429], codes
        assert client.get("/").status_code == 200
        assert len(_outage_lines(caplog)) == 2  # the limits' line and the queue's
        start()  # Redis is back: the limits move back to it (tried after 1, 2, 4 ... s)
        deadline = time.monotonic() + 20
        messages: list[str] = []
        while time.monotonic() < deadline and (
                outages.QUEUE.down or "Rate limit storage recovered" not in messages):
            assert client.get("/").status_code == 200
            time.sleep(0.25)
            messages = [r.getMessage() for r in caplog.records]
        assert "Rate limit storage recovered" in messages
        assert "render queue reachable again" in messages
        assert client.get("/healthz").get_json()["limits"] == "redis"
    finally:
        beating.set()
        _dispose(app)
    assert len(_outage_lines(caplog)) == 2
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
