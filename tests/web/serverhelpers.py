"""A real planner server in a subprocess (gunicorn on 127.0.0.1) and an HTTP client for it.

Only loopback addresses are used; every request has a timeout.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONF = REPO / "planner" / "web" / "gunicorn_conf.py"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


PLANNER = Path(sys.executable).with_name("planner")


def serve(folder: Path, *args: str, env: dict[str, str],
          sigint_ignored: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """`planner serve` (gunicorn and its supervised render consumer) on a free loopback port,
    in a session of its own, logging to folder/serve.log; env is the whole environment.
    sigint_ignored: start it as a script's background job is started, with SIGINT ignored."""
    port = free_port()
    # faulthandler: a server that will not stop prints every thread's stack on SIGABRT
    # (stop_serve sends one before it kills), so a hang names where it waits.
    env = {**env, "PYTHONFAULTHANDLER": "1"}
    with (folder / "serve.log").open("ab") as log:
        proc = subprocess.Popen([str(PLANNER), "serve", "--port", str(port), *args],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True,
                                preexec_fn=_ignore_sigint if sigint_ignored else None)
    return proc, f"http://127.0.0.1:{port}"


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def wait_until_up(proc: subprocess.Popen[bytes], url: str, log: Path,
                  timeout: float = 90.0) -> int:
    """The status of the first answer from url; fails with the log if the server dies or
    does not answer within timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status: int = response.status
                return status
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise AssertionError("planner serve did not answer: " + log.read_text(errors="replace"))


def stop_serve(proc: subprocess.Popen[bytes], log: Path | None = None) -> int:
    """Stop `planner serve` as Ctrl-C would (SIGINT to its session); its exit code. A server
    still running after 30 s is sent SIGABRT (its threads' stacks go to its log), then
    killed, and the test fails with the end of the log."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGABRT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            tail = log.read_text(errors="replace")[-6000:] if log is not None else ""
            raise AssertionError("planner serve did not stop within 30 s of SIGINT; its "
                                 "log ends:\n" + tail) from None
    return proc.returncode


def children(parent: int) -> dict[int, str]:
    """The processes whose parent is `parent`, with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found[int(entry.name)] = command
    return found


def render_consumer(master: int) -> int | None:
    """The pid of the render consumer `planner serve` supervises, if exactly one runs."""
    found = [pid for pid, command in children(master).items()
             if " worker " in command and "--parent" in command]
    return found[0] if len(found) == 1 else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """gunicorn serving planner:create_app() on 127.0.0.1 with its own instance folder."""

    def __init__(self, folder: Path, *, workers: int = 1, threads: int = 4,
                 env: dict[str, str] | None = None, database_url: str | None = None,
                 app_spec: str = "planner:create_app()") -> None:
        self.app_spec = app_spec
        self.folder = folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PLANNER_BIND": f"127.0.0.1:{self.port}",
            "PLANNER_WORKERS": str(workers),
            "PLANNER_THREADS": str(threads),
            "PLANNER_INSTANCE_PATH": str(folder / "instance"),
            "PLANNER_SESSION_COOKIE_SECURE": "false",  # plain http on loopback
            "DATABASE_URL": database_url or f"sqlite:///{folder / 'planner.sqlite3'}",
            "PLANNER_LOG_LEVEL": "warning",
            # Queued renders do not wait for idle cores here (the tests share a busy machine
            # and some wait for a render): tests/web/test_render_yield.py tests the waiting,
            # and bench/bench_load.py runs with the production setting.
            "PLANNER_RENDER_YIELD_SECONDS": "0",
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        with (self.folder / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [str(GUNICORN), "-c", str(CONF), self.app_spec],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer in {timeout} s: {self.log()[-2000:]}")

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill9(self) -> None:
        """SIGKILL the whole process group (master and workers): no clean shutdown."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, elapsed: float) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One person: a cookie jar, no automatic redirects, a timeout on every request."""

    def __init__(self, base: str, timeout: float = 30.0,
                 headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.timeout = timeout
        self.headers = dict(headers or {})  # sent with every request
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> Response:
        url = path if path.startswith("http") else self.base + path
        assert url.startswith("http://127.0.0.1:"), url  # loopback only
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, method=method, headers=self.headers)
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=self.timeout) as r:
                payload = r.read()
                status, headers = r.status, {k.lower(): v for k, v in r.headers.items()}
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            status, headers = exc.code, {k.lower(): v for k, v in exc.headers.items()}
        return Response(status, headers, payload, time.perf_counter() - started)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> Response:
        return self.request("POST", path, data)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no CSRF token on {path} ({page.status})"
        return match.group(1)

    def start(self) -> str:
        """Begin a new community; return its resume token."""
        response = self.post("/new", {"csrf_token": self.csrf("/")})
        assert response.status == 303, (response.status, response.text[:500])
        match = re.search(r"/c/([^/]+)/step/", response.location)
        assert match, response.location
        return match.group(1)

    def step(self, token: str, section: str, answers: dict[str, Any]) -> Response:
        """Send a section page by page, each page with the answers (a page reads its own
        questions only); returns the first response that is not a redirect, else the last."""
        response: Response | None = None
        posted: set[str] = set()
        # A page may appear once an earlier one is answered (the first goal, among the
        # goals picked), so the pages are looked up again after each one.
        while pending := [p for p in self.section_pages(token, section) if p not in posted]:
            path = pending[0]
            form = dict(answers, csrf_token=self.csrf(path))
            response = self.post(path, form)
            posted.add(path)
            if response.status != 303:
                return response
        assert response is not None, f"no page of {section} asked anything"
        return response

    def section_pages(self, token: str, section: str) -> list[str]:
        """The paths of a section's pages that have questions to show now."""
        paths = []
        for number in range(1, 20):
            path = f"/c/{token}/step/{section}" + (f"/{number}" if number > 1 else "")
            status = self.get(path).status
            if status == 404:
                break
            if status == 200:
                paths.append(path)
        return paths


def health(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
        data: dict[str, Any] = json.loads(r.read())
        return data
