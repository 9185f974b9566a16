"""The production server: gunicorn with gthread workers, configured in one place.

`planner/web/gunicorn_conf.py` (for the `gunicorn` command) and `planner serve`
(in-process, through `Application`) both take their settings from `settings()`,
so the two starts run the same server.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

# Bodies past this size are refused (413) by the app without being read.
BODY_LIMIT = 64 * 1024


def pre_request(worker: object, req: object) -> None:
    """Announce `Connection: close` on an answer the app may give without reading the body
    (a body over the 64 KB limit, or a chunked one), instead of keep-alive then a close.

    Replaces gunicorn's default hook, which only logged the path (with its private link)."""
    for name, value in getattr(req, "headers", []):
        too_big = name == "CONTENT-LENGTH" and value.strip().isdigit() and \
            int(value) > BODY_LIMIT
        if too_big or (name == "TRANSFER-ENCODING" and "chunked" in value.lower()):
            req.must_close = True  # type: ignore[attr-defined]


DEFAULT_THREADS = 4


def default_workers() -> int:
    """Two worker processes a core, at most eight."""
    return min(8, 2 * multiprocessing.cpu_count())


def settings() -> dict[str, Any]:
    """Gunicorn settings, every one overridable from the environment.

    gthread workers: a PDF render (CPU-bound, about 0.5 s) holds one thread while
    the worker's other threads keep serving the wizard; sync workers let renders
    stall it. The app is preloaded: the knowledge base is loaded and the database
    migrated once, in the master, before the workers fork.
    """
    env = os.environ.get
    threads = int(env("PLANNER_THREADS", str(DEFAULT_THREADS)))
    return {
        "bind": env("PLANNER_BIND", "127.0.0.1:8000"),
        # Two processes a core, four threads each: with 50 people on two cores this served
        # 288 requests a second against 237 for two processes of eight threads (fewer
        # threads wait on each process's interpreter lock; bench/bench_load.py).
        "workers": int(env("PLANNER_WORKERS", str(default_workers()))),
        "worker_class": "gthread",
        "threads": threads,
        # A worker takes at most four connections a thread (16), kept-open ones included;
        # past that it leaves new connections to the other workers. gunicorn's default
        # (1,000) let the first two workers to wake take all 50 people's kept-open
        # connections, unevenly (the other two served nothing), and the crowded one set the
        # tail: p95 408 ms against 214-245 ms with the cap (bench/bench_load.py).
        "worker_connections": int(env("PLANNER_WORKER_CONNECTIONS", str(4 * threads))),
        "timeout": int(env("PLANNER_TIMEOUT", "30")),
        "graceful_timeout": 20,
        "keepalive": 5,
        "preload_app": True,
        # Request line and headers stay small; bodies are bounded by the app (413).
        "limit_request_line": 4094,
        "limit_request_fields": 60,
        "limit_request_field_size": 8190,
        "accesslog": env("PLANNER_ACCESS_LOG") or None,
        "errorlog": "-",
        "loglevel": env("PLANNER_LOG_LEVEL", "info"),
        "forwarded_allow_ips": env("PLANNER_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # gunicorn 25.1+ would otherwise open one control socket per user, shared by every
        # server on the machine (two servers on two ports would fight over it).
        "control_socket_disable": True,
        # In the settings themselves, so `planner serve` has it too (a tester found a 413
        # sent with keep-alive and then a closed socket under `planner serve`).
        "pre_request": pre_request,
        # The plan render queue's consumer: a `planner worker` process beside the workers.
        "when_ready": when_ready,
        "pre_fork": pre_fork,
        "on_exit": on_exit,
    }


_consumer: list[subprocess.Popen[bytes]] = []
_stopping = threading.Event()
_restart = threading.Lock()  # a restart and the server's exit never cross
# A consumer that exits is started again after this many seconds, doubled at each exit in
# a row (up to RESTART_MAX); one that ran RESTART_RESET seconds starts the count afresh.
RESTART_FIRST = 1.0
RESTART_MAX = 30.0
RESTART_RESET = 60.0
log = logging.getLogger("planner.server")


def pre_fork(server: Any, _worker: Any) -> None:
    """Before a worker is forked: do once, in the master, the work every worker would
    otherwise do at its first pages (warm), then move everything the preloaded app holds
    (the knowledge base, compiled templates, the ORM's mappings: about 220,000 objects) out
    of the garbage collector's sight (gc.freeze). A full collection otherwise walks all of
    them, about 120 ms of CPU, inside whichever request happens to trigger it (the results
    and review pages, which allocate the most, met it at their p99 under load); frozen, it
    walks only what the worker made since. The frozen objects' pages also stay shared with
    the master (a collection writes to every object it visits)."""
    app = server.app.wsgi()
    if isinstance(app, Flask) and not _warmed:
        _warmed.append(True)
        warm(app)
    gc.collect()
    gc.freeze()


_warmed: list[bool] = []


def warm(app: Flask) -> None:
    """Compile every page template and draw one chart, so that no worker does it inside its
    first requests. A cold results page cost 300 ms of CPU in-process (its template's
    compilation 140 ms, matplotlib's first chart 75 ms); under load, with every worker
    doing it at once for the first people to finish, results took 1.2 to 1.7 s at p99."""
    from planner.documents import charts, report  # (matplotlib: only where charts are drawn)

    pages = app.jinja_env  # the web pages; the plan's own environment renders plan/
    for name in pages.list_templates(filter_func=lambda n: not n.startswith("plan/")):
        pages.get_template(name)
    plan = report.environment(str(report.default_templates_dir()))
    for name in plan.list_templates(filter_func=lambda n: n.startswith("plan/")
                                    and n.endswith(".html")):
        plan.get_template(name)
    charts.warm()


def when_ready(server: Any) -> None:
    """Start the render queue's consumer (`planner worker`) beside the web workers, once per
    server, at a lower CPU priority: a render (seconds of CPU) yields to the wizard's
    requests instead of competing with them inside a web worker. It is supervised: a
    consumer that exits or is killed is started again (with a growing pause if it keeps
    exiting). It stops with the server (and by itself if the server dies)."""
    app = server.app.wsgi()
    if not isinstance(app, Flask) or app.config.get("RENDER_QUEUE") != "background" or \
            not app.config.get("QUEUE_IN_SERVER") or _consumer:
        return
    env = {**os.environ, "PLANNER_INSTANCE_PATH": app.instance_path,
           "DATABASE_URL": str(app.config["DATABASE_URL"]),
           "PLANNER_REDIS_URL": str(app.config.get("REDIS_URL") or "")}
    # Renders yield the cores to waiting requests (nice 10: about a tenth of a core's share
    # beside one busy request worker) but are never starved outright: at nice 19 with
    # SCHED_IDLE a render waited past three minutes while two busy processes held the cores.
    command = [sys.executable, "-c", "from planner.cli import main; main()", "worker",
               "--threads", str(app.config["QUEUE_WORKERS"]), "--nice", "10",
               "--parent", str(os.getpid())]
    _stopping.clear()
    _consumer.append(subprocess.Popen(command, env=env))  # noqa: S603 (our own command)
    threading.Thread(target=_supervise, args=(command, env), name="consumer-supervisor",
                     daemon=True).start()


def _supervise(command: list[str], env: dict[str, str]) -> None:
    """Start the consumer again whenever it exits, until the server stops."""
    pause = RESTART_FIRST
    started = time.monotonic()
    while not _stopping.wait(0.5):
        if not _consumer:
            return
        code = _consumer[0].poll()  # also sees a consumer gunicorn's own reaping collected
        if code is None:
            continue
        if _stopping.is_set():
            return
        if time.monotonic() - started >= RESTART_RESET:
            pause = RESTART_FIRST
        log.warning("the plan render consumer stopped (exit code %s); starting it again in "
                    "%.0f s", code, pause)
        if _stopping.wait(pause):
            return
        pause = min(pause * 2, RESTART_MAX)
        started = time.monotonic()
        with _restart:
            if _stopping.is_set() or not _consumer:
                return
            _consumer[0] = subprocess.Popen(command, env=env)  # noqa: S603 (our own command)


def on_exit(_server: Any) -> None:
    """Stop the consumer: it finishes its render (up to 10 s), then is stopped."""
    with _restart:
        _stopping.set()
    while _consumer:
        proc = _consumer.pop()
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # huey's graceful stop
            try:
                proc.wait(timeout=12)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


class Application(BaseApplication):
    """Gunicorn running an app that is already created (so start-up errors come first)."""

    def __init__(self, app: Flask, bind: str | None = None) -> None:
        self.application = app
        self.options = settings()
        if bind is not None:
            self.options["bind"] = bind
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application
