"""Load: simulated people completing the wizard against gunicorn (loopback only, bounded).

Run from the checkout:  .venv/bin/python bench/bench_load.py [--users 50] [--seconds 60]
    [--processes 4]
Starts gunicorn (the production settings: gthread workers, background renders on) on
127.0.0.1 with a temporary database, runs USERS simulated people that each start a community
and complete every step, again and again, until SECONDS pass or MAX_REQUESTS are sent (they arrive
evenly over the first RAMP seconds, default 5; --ramp 0 starts them all at once); then a
burst of 20 simultaneous plan downloads. Prints p50/p95/p99 per step, requests/s and errors.

Each person behaves as a browser does (KeepAliveBrowser): one connection kept open between
requests, its cookies, and pages accepted compressed, so the server compresses as it does for
real people; `--client urllib` is the client of earlier rounds (a new connection per request,
uncompressed pages). The CPU each request costs the server (its workers and the render
consumer, from /proc) and the client processes is printed beside the latencies.

The people are threads spread over PROCESSES client processes (default 4): one Python
process holding 50 client threads is itself a bottleneck (its GIL serialises them, and the
time a response waits for its thread is counted as server latency). The clients run on
the same two cores as the server at the same priority; the server's own render consumer
runs at the lowest priority (nice 19, SCHED_IDLE). Machine load is printed beside the
figures (os.getloadavg before and after), since other work on the machine moves them.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import multiprocessing
import os
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
sys.path.insert(0, str(ROOT))

import brotli  # noqa: E402  (installed with Flask-Compress)
from serverhelpers import CSRF_RE, Browser, Response, Server  # noqa: E402
from webhelpers import HUNTINGTON  # noqa: E402

from planner.web import DEFAULT_RENDER_YIELD_SECONDS as PRODUCTION_YIELD  # noqa: E402
from planner.web.server import DEFAULT_THREADS, default_workers  # noqa: E402

# What a browser sends with a page request from one of the site's own pages: compressed
# pages accepted (the server then compresses, as it does for real people) and the fetch
# metadata that lets it (planner/web/compression.py).
BROWSER_HEADERS = {"Accept-Encoding": "br, gzip", "Sec-Fetch-Site": "same-origin",
                   "Accept": "text/html"}


class KeepAliveBrowser:
    """One person as a browser behaves: one connection kept open between requests (as
    browsers do, and gunicorn allows for 5 s), its cookies, compressed pages. Lighter on the
    shared cores than Browser (urllib opens a connection and builds a request object per
    request), so less of the measured time is the client's own.

    A request on a kept-open connection that the server had just closed fails before any
    response; like a browser, it is sent once more on a new connection and counted in
    `resent` (printed). Any other failure is raised."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base)
        assert parts.hostname == "127.0.0.1", base  # loopback only
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.resent = 0

    def _send(self, method: str, path: str, body: str | None,
              headers: dict[str, str]) -> http.client.HTTPResponse:
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request(method, path, body, headers)
                return self.conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if not reused or attempt:
                    raise
                self.resent += 1
        raise AssertionError("unreachable")

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> Response:
        headers = dict(BROWSER_HEADERS)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in sorted(self.cookies.items()))
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        r = self._send(method, path, body, headers)
        payload = r.read()
        elapsed = time.perf_counter() - started
        if r.will_close:
            self.conn.close()  # type: ignore[union-attr]
            self.conn = None
        for cookie in r.headers.get_all("Set-Cookie") or []:
            pair = cookie.split(";", 1)[0]
            name, _, value = pair.partition("=")
            gone = "max-age=0" in cookie.lower() or "1970" in cookie
            if gone:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value.strip()
        encoding = (r.headers.get("Content-Encoding") or "").lower()
        if encoding == "br":
            payload = brotli.decompress(payload)
        elif encoding == "gzip":
            payload = gzip.decompress(payload)
        headers_out = {k.lower(): v for k, v in r.headers.items()}
        return Response(r.status, headers_out, payload, elapsed)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> Response:
        return self.request("POST", path, data)

    def start(self) -> str:
        """Begin a new community; return its resume token."""
        match = CSRF_RE.search(self.get("/").text)
        assert match, "no CSRF token on /"
        response = self.post("/new", {"csrf_token": match.group(1)})
        assert response.status == 303, (response.status, response.text[:500])
        found = re.search(r"/c/([^/]+)/step/", response.location)
        assert found, response.location
        return found.group(1)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


CLIENTS = {"keepalive": KeepAliveBrowser, "urllib": Browser}

# All simulated people share 127.0.0.1, so the per-client rate limit is off here.
# People arrive over this many seconds (ten a second for 50), as real people do, not all in one
# instant: started together, the first fifty reached the results page together (the plan is
# worked out there) and queued behind each other (results p99 1.6 s in the first wave, 0.3 s
# after). 0 starts everyone at once, as the rounds before 2026-12-05 did.
RAMP = 5.0

LOAD_ENV = {"PLANNER_RATE_LIMIT": "false",
            # The production setting (the test server turns it off): renders wait for idle cores.
            "PLANNER_RENDER_YIELD_SECONDS": str(PRODUCTION_YIELD)}


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    wizards: int = 0
    resent: int = 0
    client_cpu: float = 0.0  # CPU seconds the client processes used
    server_cpu: float = 0.0  # CPU seconds the server's web processes used
    render_cpu: float = 0.0  # CPU seconds its render consumer used
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, step: str, elapsed: float) -> None:
        with self.lock:
            self.times[step].append(elapsed)
            self.requests += 1


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000


def _user(base: str, deadline: float, budget: int, out: Results,
          client: str = "keepalive", start_at: float = 0.0) -> None:
    time.sleep(max(0.0, start_at - time.monotonic()))  # this person's arrival
    person = CLIENTS[client](base, timeout=30)
    try:
        _journeys(person, deadline, budget, out)
    finally:
        with out.lock:
            out.resent += getattr(person, "resent", 0)
        getattr(person, "close", lambda: None)()


def _journeys(person: Any, deadline: float, budget: int, out: Results) -> None:
    while time.monotonic() < deadline and out.requests < budget:
        try:
            page = person.get("/")
            out.add("start page", page.elapsed)
            token = person.start()
            for section, answers in HUNTINGTON.items():
                if time.monotonic() >= deadline:
                    return
                form = person.get(f"/c/{token}/step/{section}")
                out.add(f"GET {section}", form.elapsed)
                if form.status != 200:
                    out.errors.append(f"GET {section}: {form.status}")
                    return
                csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
                saved = person.post(f"/c/{token}/step/{section}", {**answers, "csrf_token": csrf})
                out.add(f"POST {section}", saved.elapsed)
                if saved.status != 303:
                    out.errors.append(f"POST {section}: {saved.status}")
                    return
            review = person.get(f"/c/{token}/review")
            out.add("review", review.elapsed)
            results = person.get(f"/c/{token}/results")
            out.add("results", results.elapsed)
            for name, r in (("review", review), ("results", results)):
                if r.status != 200:
                    out.errors.append(f"{name}: {r.status}")
                    return
            with out.lock:
                out.wizards += 1
        except OSError as exc:  # refused, reset or timed out: an error, never retried blindly
            out.errors.append(f"{type(exc).__name__}: {exc}")
            return


def run_load(base: str, users: int = 50, seconds: float = 60.0,
             max_requests: int = 200_000, client: str = "keepalive", ramp: float = RAMP,
             arrivals: list[float] | None = None) -> Results:
    """USERS threads completing the wizard until SECONDS or MAX_REQUESTS; bounded both ways.
    People arrive evenly over RAMP seconds (0: all at once), or at ARRIVALS (seconds after
    the start, one per person) when given."""
    out = Results()
    started = time.monotonic()
    deadline = started + seconds
    offsets = arrivals if arrivals is not None else [ramp * i / users for i in range(users)]
    threads = [threading.Thread(
        target=_user, args=(base, deadline, max_requests, out, client, started + offset),
        daemon=True) for offset in offsets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    out.seconds = time.monotonic() - started
    return out


def _one_process(base: str, users: int, seconds: float, max_requests: int, nice: int = 0,
                 client: str = "keepalive", arrivals: list[float] | None = None
                 ) -> tuple[dict[str, list[float]], list[str], int, int, int, float]:
    if nice:
        os.nice(nice)
    before = os.times()
    out = run_load(base, users, seconds, max_requests, client, arrivals=arrivals)
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    return dict(out.times), out.errors, out.requests, out.wizards, out.resent, cpu


def run_load_processes(base: str, users: int = 50, seconds: float = 60.0,
                       processes: int = 4, max_requests: int = 200_000,
                       nice: int = 0, client: str = "keepalive", ramp: float = RAMP) -> Results:
    """run_load with the USERS spread over PROCESSES client processes (forked), merged;
    each client process lowers its CPU priority by NICE (the server keeps the cores)."""
    processes = max(1, min(processes, users))
    shares = [users // processes + (1 if i < users % processes else 0)
              for i in range(processes)]
    out = Results()
    started = time.monotonic()
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        # Arrivals interleaved: process p's people are numbers p, p + PROCESSES, ... of
        # everyone, person k arriving at k/USERS of RAMP.
        parts = [pool.submit(_one_process, base, n, seconds, max_requests // processes, nice,
                             client, [ramp * (p + i * processes) / users for i in range(n)])
                 for p, n in enumerate(shares)]
        for part in parts:
            times, errors, requests, wizards, resent, cpu = part.result(timeout=seconds + 120)
            out.resent += resent
            out.client_cpu += cpu
            for step, values in times.items():
                out.times[step].extend(values)
            out.errors.extend(errors)
            out.requests += requests
            out.wizards += wizards
    out.seconds = time.monotonic() - started
    return out


def process_tree_cpu(root: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by process ROOT (gunicorn's master) and the
    processes under it, from /proc: (web workers and master, render consumer)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    consumer: set[int] = set()
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read().split(b"\0")
        except OSError:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
        if b"worker" in command and b"main()" in b" ".join(command):
            consumer.add(pid)  # `planner worker`: the render queue's consumer
    tree = {root}
    for _ in range(3):
        tree |= {pid for pid, ppid in parents.items() if ppid in tree}
    web = sum(used.get(pid, 0.0) for pid in tree - consumer)
    renders = sum(used.get(pid, 0.0) for pid in tree & consumer)
    return web, renders


def machine_load() -> str:
    """The 1-minute load average and the number of cores, as text."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def completed_token(base: str) -> str:
    person = Browser(base)
    token = person.start()
    for section, answers in HUNTINGTON.items():
        assert person.step(token, section, answers).status == 303
    return token


@dataclass
class Burst:
    served: int = 0
    retry: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0


def pdf_burst(base: str, token: str, count: int = 20) -> Burst:
    """COUNT simultaneous downloads: each must be a PDF, or a 503/429 with Retry-After."""
    out = Burst()
    gate = threading.Barrier(count)

    def one(_: int) -> tuple[int, dict[str, str], bytes]:
        person = Browser(base, timeout=60)
        gate.wait(timeout=30)
        r = person.get(f"/c/{token}/plan.pdf")
        return r.status, r.headers, r.body

    started = time.monotonic()
    with ThreadPoolExecutor(count) as pool:
        for status, headers, body in pool.map(one, range(count)):
            if status == 200 and headers.get("content-type") == "application/pdf" \
                    and body.startswith(b"%PDF"):
                out.served += 1
            elif status in (429, 503) and headers.get("retry-after"):
                out.retry += 1
            else:
                out.failed.append(f"{status} {headers.get('content-type')}")
    out.seconds = time.monotonic() - started
    return out


def table(out: Results) -> str:
    lines = [f"{'step':<22}{'n':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"]
    for step, values in out.times.items():
        lines.append(f"{step:<22}{len(values):>7}{pct(values, 50):>9.1f}{pct(values, 95):>9.1f}"
                     f"{pct(values, 99):>9.1f}")
    every = [v for values in out.times.values() for v in values]
    lines.append(f"{'all requests':<22}{len(every):>7}{pct(every, 50):>9.1f}"
                 f"{pct(every, 95):>9.1f}{pct(every, 99):>9.1f}")
    lines.append(f"{out.requests} requests in {out.seconds:.1f} s = "
                 f"{out.requests / out.seconds:.0f} req/s; {out.wizards} wizards completed; "
                 f"{len(out.errors)} errors")
    if out.requests:
        lines.append(f"CPU per request: server {out.server_cpu / out.requests * 1000:.2f} ms "
                     f"(its render consumer {out.render_cpu / out.requests * 1000:.2f} ms "
                     f"more), client {out.client_cpu / out.requests * 1000:.2f} ms "
                     f"(client processes only; {out.resent} requests resent on a closed "
                     f"kept-open connection)")
    return "\n".join(lines)


def serve(folder: Path, workers: int | None = None, threads: int | None = None, *,
          env_bench: bool = False) -> Server:
    """gunicorn with WORKERS gthread workers of THREADS threads on 127.0.0.1 (the production
    defaults: planner.web.server); env_bench adds the bench-only page."""
    workers = workers or default_workers()
    threads = threads or DEFAULT_THREADS
    if env_bench:
        env = {**LOAD_ENV, "PYTHONPATH": str(ROOT / "bench")}
        return Server(folder, workers=workers, threads=threads, env=env,
                      app_spec="bench_app:app").start()
    return Server(folder, workers=workers, threads=threads, env=LOAD_ENV).start()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--processes", type=int, default=4,
                        help="client processes (1: every user a thread of this process)")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="lower the client processes' CPU priority by this much")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: the production default)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker (default: the production default)")
    parser.add_argument("--ramp", type=float, default=RAMP,
                        help=f"seconds over which the people arrive (default {RAMP:g}; "
                        "0: all at once)")
    parser.add_argument("--client", choices=sorted(CLIENTS), default="keepalive",
                        help="keepalive: one kept-open connection per person, compressed "
                        "pages, as a browser; urllib: a new connection per request, "
                        "uncompressed (the client of earlier rounds)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = serve(Path(tmp), args.workers, args.threads)
        try:
            print("before:", machine_load())
            assert server.proc is not None
            server_before = process_tree_cpu(server.proc.pid)
            if args.processes > 1:
                out = run_load_processes(server.base, args.users, args.seconds,
                                         args.processes, args.max_requests, args.client_nice,
                                         args.client, args.ramp)
            else:
                out = run_load(server.base, args.users, args.seconds, args.max_requests,
                               args.client, args.ramp)
            web, renders = process_tree_cpu(server.proc.pid)
            out.server_cpu, out.render_cpu = web - server_before[0], renders - server_before[1]
            print("after: ", machine_load())
            print(table(out))
            for error in out.errors[:10]:
                print("error:", error)
            burst = pdf_burst(server.base, completed_token(server.base))
            print(f"PDF burst of 20: {burst.served} served, {burst.retry} told to retry, "
                  f"{len(burst.failed)} failed, in {burst.seconds:.1f} s")
        finally:
            server.stop()
    return 1 if out.errors or burst.failed else 0


if __name__ == "__main__":
    sys.exit(main())
