"""`planner serve` starts the production server (gunicorn), not Flask's development server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from serverhelpers import render_consumer as _consumer
from serverhelpers import serve
from serverhelpers import stop_serve as _stop
from serverhelpers import wait_until_up as _wait_for

DEV_WARNING = "development server"


def _start(tmp_path: Path, *args: str,
           sigint_ignored: bool = False) -> tuple[subprocess.Popen[bytes], str, Path]:
    env = {**os.environ, "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'planner.sqlite3'}",
           "PLANNER_WORKERS": "1", "PLANNER_THREADS": "2"}
    proc, base = serve(tmp_path, *args, env=env, sigint_ignored=sigint_ignored)
    return proc, base, tmp_path / "serve.log"


def test_serve_runs_gunicorn_answers_and_stops_cleanly(tmp_path: Path) -> None:
    proc, base, log = _start(tmp_path)
    try:
        assert _wait_for(proc, base + "/", log) == 200
    finally:
        code = _stop(proc, log)
    output = log.read_text(errors="replace")
    assert code == 0, output
    assert DEV_WARNING not in output.lower()
    assert "Using worker: gthread" in output
    assert f"Listening at: {base}" in output


@pytest.mark.slow
def test_serve_announces_connection_close_on_a_body_it_refuses(tmp_path: Path) -> None:
    """Found by a tester: under `planner serve` a 413 said keep-alive, then the socket closed
    and the client's next request on it failed. The hook now lives in the shared settings."""
    proc, base, log = _start(tmp_path)
    try:
        assert _wait_for(proc, base + "/healthz", log) == 200
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(b"POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
                         + b"a" * 70000)
            reply = b""
            while b"\r\n\r\n" not in reply:
                part = sock.recv(65536)
                if not part:
                    break
                reply += part
        head = reply.split(b"\r\n\r\n")[0].decode("latin-1").lower()
        assert head.startswith("http/1.1 413"), head
        assert "connection: close" in head, head
    finally:
        _stop(proc, log)


@pytest.mark.slow
def test_serve_debug_keeps_the_development_server(tmp_path: Path) -> None:
    # Started as a script's background job is (SIGINT ignored, inherited), it still stops
    # on SIGINT: it once ran on, and the test timed out, whenever CI ran from such a job.
    proc, base, log = _start(tmp_path, "--debug", sigint_ignored=True)
    try:
        assert _wait_for(proc, base + "/", log) == 200
    finally:
        _stop(proc, log)
    output = log.read_text(errors="replace")
    assert "gunicorn" not in output.lower()
    assert "Debug mode: on" in output


def _queue(base: str) -> dict[str, object]:
    import json

    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        queue: dict[str, object] = json.loads(response.read())["queue"]
        return queue


@pytest.mark.slow
def test_serve_starts_a_killed_render_consumer_again(tmp_path: Path) -> None:
    """Issue 27: a consumer killed mid-render stayed dead and /healthz said ok."""
    proc, base, log = _start(tmp_path)
    try:
        _wait_for(proc, base + "/healthz", log)
        deadline = time.monotonic() + 60
        while _consumer(proc.pid) is None or _queue(base)["consumer"] != "alive":
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.2)
        first = _consumer(proc.pid)
        assert first is not None
        os.kill(first, signal.SIGKILL)
        killed_at = time.monotonic()
        while True:
            again = _consumer(proc.pid)
            if again not in (None, first):
                queue = _queue(base)
                seen = queue["consumer_seen_seconds_ago"]
                if queue["consumer"] == "alive" and isinstance(seen, float | int) and \
                        seen < time.monotonic() - killed_at:
                    break  # a beat from the new consumer, after the kill
            assert time.monotonic() < killed_at + 60, log.read_text(errors="replace")
            time.sleep(0.2)
    finally:
        code = _stop(proc, log)
    output = log.read_text(errors="replace")
    assert "the plan render consumer stopped (exit code" in output
    assert code == 0, output
    assert _consumer(proc.pid) is None
