"""`planner serve` starts the production server (gunicorn), not Flask's development server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from serverhelpers import REPO, free_port

PLANNER = Path(sys.executable).with_name("planner")
DEV_WARNING = "development server"


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "PLANNER_INSTANCE_PATH": str(tmp_path / "instance"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'planner.sqlite3'}",
           "PLANNER_WORKERS": "1", "PLANNER_THREADS": "2"}
    with log.open("wb") as out:
        proc = subprocess.Popen([str(PLANNER), "serve", "--port", str(port), *args],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return proc, f"http://127.0.0.1:{port}", log


def _wait_for(proc: subprocess.Popen[bytes], url: str, log: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status: int = response.status
                return status
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise AssertionError("planner serve did not answer: " + log.read_text(errors="replace"))


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
            raise
    return proc.returncode


@pytest.mark.slow
def test_serve_runs_gunicorn_answers_and_stops_cleanly(tmp_path: Path) -> None:
    proc, base, log = _start(tmp_path)
    try:
        assert _wait_for(proc, base + "/", log) == 200
    finally:
        code = _stop(proc)
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
        _stop(proc)


@pytest.mark.slow
def test_serve_debug_keeps_the_development_server(tmp_path: Path) -> None:
    proc, base, log = _start(tmp_path, "--debug")
    try:
        assert _wait_for(proc, base + "/", log) == 200
    finally:
        _stop(proc)
    output = log.read_text(errors="replace")
    assert "gunicorn" not in output.lower()
    assert "Debug mode: on" in output


def _children(parent: int) -> dict[int, str]:
    """The processes whose parent is `parent`, with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found[int(entry.name)] = command
    return found


def _consumer(master: int) -> int | None:
    found = [pid for pid, command in _children(master).items()
             if " worker " in command and "--parent" in command]
    return found[0] if len(found) == 1 else None


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
        code = _stop(proc)
    output = log.read_text(errors="replace")
    assert "the plan render consumer stopped (exit code" in output
    assert code == 0, output
    assert _consumer(proc.pid) is None
