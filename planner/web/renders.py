"""Plan PDFs rendered off the click, stored in the database, served by every worker and host.

A render is queued (huey) when a community's answers are complete and its results are
first viewed, and after every saved change that alters its plan (answers, notes,
overrides). The queue is SQLite in the instance folder by default; Redis when REDIS_URL is set. Its
consumer is a `planner worker` process that the server (`planner serve`, or gunicorn with
planner/web/gunicorn_conf.py) starts beside its web workers at a lower CPU priority, and
more `planner worker`s may run on any host.

Stored renders live in `plan_renders`, keyed by a SHA-256 digest of the renderer and the
plan's HTML (which fully determines the PDF: answers, notes, overrides, knowledge,
templates, the day and the action plan's start date all change it). A render first claims
its key with an insert (the primary key is unique across every process and host), so a
second request or task for the same plan waits for that render instead of starting its
own. A claim is kept alive by a heartbeat; one whose heartbeat stopped (the process was
killed) is stale, and the next task or download takes it over. Every task that claims a
key also schedules a check after the stale time, so a render lost with its process is
finished by another consumer even if nobody asks for it.
Keys are looked up only after the route has checked who may see the plan.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import importlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from huey.storage import SqliteStorage
from redis import ConnectionPool
from sqlalchemy import (
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column
from werkzeug.exceptions import ServiceUnavailable

from planner.engine import answers as core
from planner.engine.profile import read_profile
from planner.web import db, outages, progress, security, state, workspace
from planner.web.db import Base

log = logging.getLogger("planner.renders")

RENDERING = "rendering"
DONE = "done"
# Stored renders kept per community (the newest; older ones are for plans that changed).
KEEP = 3
TOUCHED = "planner.renders.touched"
# What code_tag reads: the files that can change a plan's HTML or PDF.
CODE_SUFFIXES = {".py", ".html", ".css", ".j2", ".svg", ".yaml", ".json"}
BUSY_MESSAGE = ("The plan is still being prepared. Please try again in {seconds} seconds; "
                "nothing you entered is lost.")


class PlanRender(Base):
    """One plan's PDF: being rendered (claimed by `owner`) or done (`body`)."""

    __tablename__ = "plan_renders"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    interview_id: Mapped[int] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True)
    # What the plan was built from (revision, updated_at, day, knowledge): a results view
    # with a render for the same basis queues nothing.
    basis: Mapped[str] = mapped_column(String(120), default="")
    # A digest of everything the plan's HTML is made from (source_for): a download finds its
    # stored render by this without building the plan (the key needs the HTML).
    source: Mapped[str] = mapped_column(String(64), default="", server_default="",
                                        index=True)
    status: Mapped[str] = mapped_column(String(12))
    owner: Mapped[str] = mapped_column(String(120), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


def key_for(html: str) -> str:
    """The stored render's key: the renderer and the plan's HTML."""
    pdf = importlib.import_module("planner.documents.pdf")
    return hashlib.sha256(f"{pdf.RENDERER}\0{html}".encode()).hexdigest()


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:120]


def _stale_after() -> timedelta:
    return timedelta(seconds=float(current_app.config["RENDER_STALE_SECONDS"]))


def basis(row: db.Interview) -> str:
    """What a plan depends on beyond notes and overrides (whose saves queue a render)."""
    updated = row.updated_at.isoformat() if row.updated_at else ""
    tag = current_app.extensions.get("planner.kb_tag", "")
    return f"{row.revision}|{updated}|{dt.date.today().isoformat()}|{tag}"[:120]


# ------------------------------------------------------------------------ the document


@functools.lru_cache(maxsize=8)
def code_tag(templates_dir: str) -> str:
    """A digest of the code and templates that turn a plan into HTML and PDF (the planner
    package, the templates folder and the renderer), worked out once per process."""
    pdf = importlib.import_module("planner.documents.pdf")
    sha = hashlib.sha256(pdf.RENDERER.encode())
    for folder in (Path(__file__).resolve().parent.parent, Path(templates_dir)):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in CODE_SUFFIXES:
                sha.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:16]


def source_for(row: db.Interview, start: dt.date | None = None, *, consultant: bool) -> str:
    """A digest of everything a community's plan HTML is made from: the stored answers and
    how far they are, the consultant's notes and overrides, the knowledge base, the code and
    templates, the day and the action plan's start date. The same source makes the same
    HTML (so the same PDF); any saved change, a new day or a new release makes a new one.
    Cheap: two small reads, no plan build.

    The plan the community's `consultant` downloads carries the notes and the overrides'
    reasons; the one anyone else downloads does not, and its source leaves them out (with
    no notes and no overrides the two are the same plan and the same source)."""
    notes = sorted([n.section, n.text, n.actor, n.updated_at.isoformat()]
                   for n in workspace.notes(row).values()) if consultant else []
    overrides = [[o.id, o.kind, o.target, o.weight, o.reason if consultant else "", o.actor,
                  o.active, o.created_at.isoformat()] for o in workspace.overrides(row)]
    parts = {
        "code": code_tag(str(current_app.config["TEMPLATES_DIR"])),
        "knowledge": current_app.extensions.get("planner.kb_tag", ""),
        "day": dt.date.today().isoformat(),
        "start": start.isoformat() if start else "",
        "community": [row.id, row.route, row.answers_json, row.done_json,
                      row.questions_version, row.revision,
                      row.updated_at.isoformat() if row.updated_at else "", row.name,
                      row.owner_id, row.parent_id],
        "notes": notes,
        "overrides": overrides,
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def community_name(answers: dict[str, core.Value]) -> str:
    """The community's name as the plan gives it (planner.engine.plan.build's rule)."""
    return core.text_value(state.knowledge(), answers, "community_name") or "Your community"


def complete_answers(row: db.Interview) -> dict[str, core.Value] | None:
    kb = state.knowledge()
    try:
        return core.validate(kb, state.restore(kb, row.raw_answers), complete=True)
    except core.AnswersError:
        return None


def plan_html(row: db.Interview, answers: dict[str, core.Value],
              start: dt.date | None = None, *, consultant: bool) -> tuple[str, str]:
    """The plan's HTML as the PDF renders it, and the community's name: with the notes and
    the overrides' reasons for the community's `consultant`, without them for anyone else."""
    report = importlib.import_module("planner.documents.report")
    base = state.knowledge()
    profile = read_profile(base, answers)
    kb, built = workspace.build(base, row, profile, consultant=consultant)
    html: str = report.render_plan_html(
        kb, built, profile, for_pdf=True,
        notes=workspace.plan_notes(base, row, consultant=consultant),
        templates_dir=current_app.config["TEMPLATES_DIR"], start=start,
        progress=progress.for_plan(row))
    return html, built.community


# ------------------------------------------------------------------------ claims


def _session() -> Session:
    return Session(db.engine(), expire_on_commit=False)


def claim(key: str, interview_id: int, basis_text: str,
          source: str = "") -> tuple[str, bytes | None]:
    """("done", body), ("mine", None): render it, then `store` or `release`; or
    ("busy", None): another process is rendering it and its heartbeat is fresh.

    The row found or claimed is given `source` (what the plan is made from now), so the
    next download finds it without building the plan."""
    now = db._now()
    for _ in range(db.RETRIES):
        with _session() as s:
            s.add(PlanRender(key=key, interview_id=interview_id, basis=basis_text,
                             source=source, status=RENDERING, owner=_me(), started_at=now,
                             heartbeat_at=now))
            try:
                s.commit()
                return "mine", None
            except (IntegrityError, OperationalError) as exc:
                s.rollback()
                if isinstance(exc, OperationalError) and not db._race(exc):
                    raise
            found = s.get(PlanRender, key)
            if found is None:
                continue  # deleted in between (a failed render): try to claim again
            if source and found.source != source:  # the same plan, made from a new source
                s.execute(update(PlanRender).where(PlanRender.key == key)
                          .values(source=source))
                s.commit()
            if found.status == DONE:
                return DONE, found.body
            if found.heartbeat_at >= now - _stale_after():
                return "busy", None
            taken = s.execute(
                update(PlanRender)
                .where(PlanRender.key == key, PlanRender.status == RENDERING,
                       PlanRender.heartbeat_at == found.heartbeat_at)
                .values(owner=_me(), started_at=now, heartbeat_at=now))
            s.commit()
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                log.warning("took over a stale plan render (its process stopped)")
                return "mine", None
    return "busy", None


def store(key: str, body: bytes) -> None:
    """Save a finished render and drop this community's older ones."""
    with _session() as s:
        s.execute(update(PlanRender).where(PlanRender.key == key)
                  .values(status=DONE, body=body, finished_at=db._now(),
                          heartbeat_at=db._now()))
        s.commit()
        interview_id = s.scalar(select(PlanRender.interview_id).where(PlanRender.key == key))
        if interview_id is None:
            old: list[str] = []
        else:
            old = list(s.scalars(select(PlanRender.key)
                        .where(PlanRender.interview_id == interview_id,
                               PlanRender.status == DONE)
                        .order_by(PlanRender.finished_at.desc(), PlanRender.key)
                        .offset(KEEP)))
        if old:
            s.execute(delete(PlanRender).where(PlanRender.key.in_(old)))
            s.commit()
    cleanup()


def cleanup(now: datetime | None = None) -> int:
    """Delete the stored renders nobody can be served any more, so the table stays bounded;
    returns how many. Run after every stored render.

    - renders of a community that no longer exists (SQLite keeps them: it does not enforce
      the foreign key's ON DELETE CASCADE);
    - claims whose heartbeat stopped long ago (RENDER_CLAIM_MAX_SECONDS): a render lost with
      its process, for a plan nobody asked for again (one that is asked for is taken over
      long before);
    - finished renders from before the last day: the plan's HTML carries the day it was
      made, so a render of an earlier day is never served again (the newest KEEP of each
      community are already all that is kept on the day).
    """
    now = now or db._now()
    claims_before = now - timedelta(seconds=float(
        current_app.config["RENDER_CLAIM_MAX_SECONDS"]))
    done_before = now - timedelta(days=1)
    with _session() as s:
        gone = ~select(db.Interview.id).where(
            db.Interview.id == PlanRender.interview_id).exists()
        deleted = 0
        for condition in (gone,
                          (PlanRender.status == RENDERING)
                          & (PlanRender.heartbeat_at < claims_before),
                          (PlanRender.status == DONE) & (PlanRender.finished_at < done_before)):
            result = s.execute(delete(PlanRender).where(condition)
                               .execution_options(synchronize_session=False))
            deleted += int(result.rowcount or 0)  # type: ignore[attr-defined]
        s.commit()
    if deleted:
        log.info("removed %d stored plan render(s) no longer served", deleted)
    return deleted


def release(key: str) -> None:
    """Give up a claim after a failed render, so the next request renders it again."""
    with _session() as s:
        s.execute(delete(PlanRender).where(PlanRender.key == key,
                                           PlanRender.status == RENDERING))
        s.commit()


def stored(key: str) -> PlanRender | None:
    with _session() as s:
        return s.get(PlanRender, key)


@contextmanager
def heartbeat(key: str) -> Iterator[None]:
    """Keep a claim fresh while its render runs (a thread that touches the row)."""
    every = float(current_app.config["RENDER_HEARTBEAT_SECONDS"])
    engine = db.engine()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with Session(engine) as s:
                    s.execute(update(PlanRender).where(PlanRender.key == key,
                                                       PlanRender.status == RENDERING)
                              .values(heartbeat_at=db._now()))
                    s.commit()
            except OperationalError as exc:  # busy or locked: the next beat tries again
                log.warning("plan render heartbeat missed: %s", type(exc.orig).__name__)
            except Exception:  # a missed beat only risks a takeover; never the render
                log.exception("plan render heartbeat failed")

    thread = threading.Thread(target=beat, name="plan-render-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def _render_claimed(key: str, html: str) -> bytes:
    pdf = importlib.import_module("planner.documents.pdf")
    began = time.perf_counter()
    try:
        with heartbeat(key):
            body: bytes = pdf.render_pdf(html)
        log.info("plan rendered in %.2f s", time.perf_counter() - began)
    except BaseException:
        release(key)
        raise
    store(key, body)
    return body


# ------------------------------------------------------------------------ downloads


def stored_pdf(row: db.Interview, source: str) -> bytes | None:
    """The stored render of the plan made from `source`, found without building the plan;
    one under way (fresh heartbeat) is waited for. None when there is none (or only a
    stale claim): the caller builds the plan and goes through `pdf_for`."""
    poll = float(current_app.config["RENDER_POLL_SECONDS"])
    deadline = time.monotonic() + float(current_app.config["PDF_WAIT_SECONDS"])
    while True:
        with _session() as s:
            # "done" sorts before "rendering": a finished render wins.
            found = s.execute(
                select(PlanRender.status, PlanRender.heartbeat_at, PlanRender.body)
                .where(PlanRender.interview_id == row.id, PlanRender.source == source)
                .order_by(PlanRender.status, PlanRender.key).limit(1)).first()
        if found is None:
            return None
        status, beat, body = found
        if status == DONE and body is not None:
            return bytes(body)
        if status != RENDERING or beat < db._now() - _stale_after():
            return None
        if time.monotonic() >= deadline:
            seconds = int(current_app.config["PDF_RETRY_AFTER"])
            raise ServiceUnavailable(description=BUSY_MESSAGE.format(seconds=seconds),
                                     retry_after=seconds)
        time.sleep(poll)


def pdf_for(row: db.Interview, html: str, source: str = "") -> bytes:
    """The plan's PDF: the stored render, or the one under way (waited for), or rendered
    here (in one of the process's bounded render slots) if there is none."""
    key = key_for(html)
    poll = float(current_app.config["RENDER_POLL_SECONDS"])
    deadline = time.monotonic() + float(current_app.config["PDF_WAIT_SECONDS"])
    while True:
        outcome, body = claim(key, row.id, basis(row), source)
        if outcome == DONE and body is not None:
            return body
        if outcome == "mine":
            try:
                with security.pdf_slot():  # past the bound: 503 + Retry-After, no queue
                    return _render_claimed(key, html)
            except ServiceUnavailable:
                release(key)
                raise
        if time.monotonic() >= deadline:
            seconds = int(current_app.config["PDF_RETRY_AFTER"])
            raise ServiceUnavailable(description=BUSY_MESSAGE.format(seconds=seconds),
                                     retry_after=seconds)
        time.sleep(poll)


# ------------------------------------------------------------------------ the queue


def render_job(interview_id: int, start: str | None = None,
               check: str | None = None) -> str | None:
    """Render one community's plan (in a queue consumer, inside an app context). With
    `check`, the key of a render claimed earlier: done already, it costs one read."""
    if check is not None:
        found = stored(check)
        if found is None or found.status == DONE:
            return check
    row = db.session().get(db.Interview, interview_id)
    if row is None or row.parent_id is not None:
        return None
    answers = complete_answers(row)
    if answers is None:
        return None
    begin = dt.date.fromisoformat(start) if start else None
    # The consultant's plan (with notes and reasons) and, when it differs, the plan the
    # private link downloads (without them); the consultant's key is returned.
    keys = []
    sources: set[str] = set()
    for consultant in (True, False):
        source = source_for(row, begin, consultant=consultant)
        if source in sources:
            continue
        sources.add(source)
        keys.append(_render_one(row, answers, start, begin, source, consultant))
    return keys[0]


def _render_one(row: db.Interview, answers: dict[str, core.Value], start: str | None,
                begin: dt.date | None, source: str, consultant: bool) -> str:
    html, _ = plan_html(row, answers, begin, consultant=consultant)
    key = key_for(html)
    found = stored(key)
    if found is not None and found.status == DONE and found.source == source:
        return key
    # Queued before the claim: once the claim could have gone stale, a render lost with its
    # process (this one) is finished by whichever consumer runs this check.
    check_later(row.id, start, key)
    outcome, _body = claim(key, row.id, basis(row), source)
    if outcome == "mine":
        _render_claimed(key, html)
    return key


def queue() -> Huey:
    found: Huey = current_app.extensions["planner.queue"]
    return found


def check_later(interview_id: int, start: str | None, key: str) -> None:
    if queue().immediate:
        return
    delay = float(current_app.config["RENDER_STALE_SECONDS"]) * 1.5 + 1
    current_app.extensions["planner.render_task"].schedule(
        args=(interview_id, start, key), delay=delay)


def enqueue(interview_id: int, start: str | None = None) -> None:
    """Queue a render; a queue that cannot be reached is logged once an outage (the plan is
    then rendered at its first download), never a failed request."""
    if current_app.config["RENDER_QUEUE"] == "off":
        return
    try:
        current_app.extensions["planner.render_task"](interview_id, start, queued=time.time())
    except Exception as exc:
        outages.QUEUE.failed(exc)
    else:
        outages.QUEUE.answered()


def results_viewed(row: db.Interview) -> None:
    """The results page was shown: queue the render unless this plan was already queued."""
    if row.parent_id is not None or current_app.config["RENDER_QUEUE"] == "off":
        return
    with _session() as s:
        known = s.scalar(select(PlanRender.key).where(PlanRender.interview_id == row.id,
                                                      PlanRender.basis == basis(row))
                         .limit(1))
    if known is None:
        enqueue(row.id)


# Seconds to connect to Redis, and for an answer (above huey's 1 s blocking read).
REDIS_CONNECT_TIMEOUT = 2.0
REDIS_TIMEOUT = 5.0


class _QueueStorage(SqliteStorage):
    """huey's SQLite storage as the app's own database is kept: WAL with synchronous=NORMAL
    (db._sqlite_pragmas), safe when a process is killed. huey leaves SQLite's default, FULL,
    which waits for the disk on every enqueue, inside the request that viewed the results."""

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")  # NORMAL
        return conn


class _QueueHuey(SqliteHuey):
    storage_class = _QueueStorage


def _make_queue(app: Flask) -> Huey:
    redis_url = str(app.config.get("REDIS_URL") or "")
    immediate = app.config["RENDER_QUEUE"] == "immediate"
    if redis_url:
        # Timeouts, so a Redis that stops answering fails a request's enqueue in seconds
        # (the plan is then rendered at the download) instead of holding it for minutes.
        pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
                                       socket_timeout=REDIS_TIMEOUT)
        huey: Huey = RedisHuey("planner-renders", connection_pool=pool, results=False,
                               immediate=immediate)
    else:
        filename = str(Path(app.instance_path) / "queue.sqlite3")
        db.private_file(filename)  # 0600; SQLite gives its -wal and -shm files that mode
        huey = _QueueHuey("planner-renders", filename=filename, results=False,
                          immediate=immediate)
    return huey


# ------------------------------------------------------------------------ yielding

# A render queued in advance (when results are viewed, or after a change) is a guess that the
# plan will be downloaded; a request is someone waiting. So while the cores are busy, a
# queued render waits: the consumer looks at the machine's CPU for a moment before each
# render and, when less than BUSY_IDLE_SHARE of it was idle (its own use not counted),
# queues the render again YIELD_PAUSE seconds later, until RENDER_YIELD_SECONDS have passed
# since it was first queued; then it renders (at the consumer's lower priority). A download
# meanwhile renders in its own request, as it would with no queue. Checks of a claimed
# render (`check`) never wait. Where /proc/stat cannot be read, nothing waits.
BUSY_IDLE_SHARE = 0.25
YIELD_PAUSE = 2.0
YIELD_LOOK = 0.25  # seconds the consumer watches the CPU before a render


def _cpu_ticks() -> tuple[int, int]:
    """(all, idle) CPU ticks of the machine since boot, summed over its cores."""
    with open("/proc/stat", encoding="ascii") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest time is inside user and nice)
    return sum(fields[:8]), fields[3] + fields[4]


def _own_ticks() -> float:
    times = os.times()
    return (times.user + times.system) * os.sysconf("SC_CLK_TCK")


def machine_busy(look: float = YIELD_LOOK) -> bool:
    """Whether less than BUSY_IDLE_SHARE of the machine's CPU was idle over the next `look`
    seconds, this process's own use counted as idle."""
    try:
        total0, idle0 = _cpu_ticks()
        own0 = _own_ticks()
        time.sleep(look)
        total1, idle1 = _cpu_ticks()
        own1 = _own_ticks()
    except (OSError, ValueError, IndexError):
        return False
    total = total1 - total0
    if total <= 0:
        return False
    return (idle1 - idle0 + own1 - own0) / total < BUSY_IDLE_SHARE


def should_yield(queued: float | None, now: float | None = None) -> bool:
    """Whether a render queued at `queued` (time.time()) waits now: the app lets renders
    yield, it has not waited its whole allowance yet, and the cores are busy."""
    allowance = float(current_app.config["RENDER_YIELD_SECONDS"])
    if allowance <= 0 or queued is None or queue().immediate:
        return False
    if (now if now is not None else time.time()) - queued >= allowance:
        return False
    return machine_busy()


def init_app(app: Flask) -> None:
    """Create the app's queue and register the render task on it."""
    huey = _make_queue(app)
    outages.quiet_queue_polls()  # an unreachable queue: one line an outage, not a second

    def render_plan(interview_id: int, start: str | None = None,
                    check: str | None = None, queued: float | None = None) -> str | None:
        # `queued`: when it was queued (time.time()), for /healthz's oldest waiting job.
        with app.app_context():
            if check is None and should_yield(queued):
                task.schedule(args=(interview_id, start), kwargs={"queued": queued},
                              delay=YIELD_PAUSE)
                return None
            return render_job(interview_id, start, check)

    task = huey.task(retries=2, retry_delay=5, name="planner.render_plan")(render_plan)
    app.extensions["planner.queue"] = huey
    app.extensions["planner.render_task"] = task


# ------------------------------------------------------------------------ changes


def _after_flush(session: Session, _context: Any) -> None:
    touched: set[int] = session.info.setdefault(TOUCHED, set())
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, db.Interview):
            if obj.parent_id is None and obj.id is not None and _all_steps_done(obj):
                touched.add(obj.id)
        elif isinstance(obj, workspace.Note | workspace.Override):
            touched.add(obj.interview_id)


def _all_steps_done(row: db.Interview) -> bool:
    if not has_app_context() or "planner.kb" not in current_app.extensions:
        return False
    return set(row.done) >= {s.id for s in state.knowledge().sections}


def _after_commit(session: Session) -> None:
    touched: set[int] = session.info.pop(TOUCHED, set())
    if touched and has_app_context() and "planner.render_task" in current_app.extensions:
        for interview_id in sorted(touched):
            enqueue(interview_id)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(TOUCHED, None)


event.listen(db.RequestSession, "after_flush", _after_flush)
event.listen(db.RequestSession, "after_commit", _after_commit)
event.listen(db.RequestSession, "after_rollback", _forget)


# ------------------------------------------------------------------------ consumers


class EmbeddedConsumer(Consumer):
    """A huey consumer in threads of a process that has its own signal handling (gunicorn)."""

    def _set_signal_handlers(self) -> None:
        pass


_embedded: dict[str, Any] = {}


def start_embedded(app: Flask) -> bool:
    """Run the queue's consumer in threads of this process (`planner serve --debug`, tests),
    once per instance folder (a file lock)."""
    if app.config["RENDER_QUEUE"] != "background" or not app.config["QUEUE_IN_SERVER"]:
        return False
    if _embedded:
        return False
    path = Path(app.instance_path) / "queue.lock"
    db.private_file(path)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    consumer = EmbeddedConsumer(queue_of(app), workers=int(app.config["QUEUE_WORKERS"]),
                                worker_type="thread", periodic=False,
                                check_worker_health=False, shutdown_timeout=10)
    consumer.start()
    beating = keep_beating(queue_of(app), float(app.config["QUEUE_BEAT_SECONDS"]), app)
    _embedded.update(consumer=consumer, lock=handle, beating=beating)
    log.info("plan render queue consumer started in process %s", os.getpid())
    return True


def stop_embedded() -> None:
    beating = _embedded.pop("beating", None)
    if beating is not None:
        beating.set()
    consumer = _embedded.pop("consumer", None)
    if consumer is not None:
        consumer.stop(graceful=True)
    handle = _embedded.pop("lock", None)
    if handle is not None:
        handle.close()


def stop_with_parent(parent: int) -> None:
    """Stop this consumer gracefully (SIGINT) once the process that started it is gone."""
    import signal

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def queue_of(app: Flask) -> Huey:
    huey: Huey = app.extensions["planner.queue"]
    return huey


# ------------------------------------------------------------------------ health

# Where a running consumer records that it is alive (in the queue's own storage: the SQLite
# file, or Redis, so every web server sees the consumers of every host).
BEAT_KEY = "planner.consumer.beat"


def beat(huey: Huey) -> None:
    """Record that a consumer of this queue is alive now."""
    huey.storage.put_data(BEAT_KEY, json.dumps(
        {"at": time.time(), "host": socket.gethostname(), "pid": os.getpid()}).encode())


def keep_beating(huey: Huey, every: float, app: Flask | None = None) -> threading.Event:
    """Beat now and then every `every` seconds in a daemon thread, until the event is set.
    A queue that cannot be reached is logged once per outage (outages.QUEUE, shared with the
    consumer's own polls of the queue), not at every beat. With the
    app, the retention clean-up (planner.web.retention) runs too, every RETENTION_SECONDS."""
    stop = threading.Event()
    cleaned: list[float] = []  # when the clean-up last ran (none yet: at once)

    def run() -> None:
        while True:
            if app is not None and (not cleaned or time.monotonic() - cleaned[-1] >= float(
                    app.config["RETENTION_SECONDS"])):
                cleaned[:] = [time.monotonic()]
                try:
                    with app.app_context():
                        from planner.web import retention
                        retention.clean()
                except Exception:  # never stops the beat; tried again next time
                    log.exception("the retention clean-up failed")
            try:
                beat(huey)
            except Exception as exc:  # the queue is down: said once an outage
                outages.QUEUE.failed(exc)
            else:
                outages.QUEUE.answered()
            if stop.wait(every):
                return

    threading.Thread(target=run, name="queue-beat", daemon=True).start()
    return stop


def queue_health(app: Flask) -> dict[str, Any]:
    """What /healthz says about the render queue: whether a consumer beat recently
    ("alive"), how long ago, how many jobs wait, and how long the oldest has waited."""
    mode = str(app.config["RENDER_QUEUE"])
    if mode != "background":
        return {"mode": mode}
    huey = queue_of(app)
    now = time.time()
    found: dict[str, Any] = {"mode": mode}
    try:
        raw = huey.storage.peek_data(BEAT_KEY)
        waiting = huey.pending_count()
        oldest = [t.kwargs.get("queued") for t in huey.pending(limit=50)]
    except Exception as exc:  # an unreachable queue is reported, never a failed check
        outages.QUEUE.failed(exc)  # logged once an outage, not at every check
        found.update(consumer="unknown", queue="unavailable")
        return found
    outages.QUEUE.answered()
    seen = None
    if isinstance(raw, bytes | str):
        try:
            seen = float(json.loads(raw)["at"])
        except (ValueError, KeyError, TypeError):
            seen = None
    limit = float(app.config["QUEUE_BEAT_SECONDS"]) * 3
    found["consumer"] = "alive" if seen is not None and now - seen <= limit else "down"
    found["consumer_seen_seconds_ago"] = round(now - seen, 1) if seen is not None else None
    found["waiting"] = int(waiting)
    times = [float(t) for t in oldest if isinstance(t, int | float)]
    found["oldest_waiting_seconds"] = round(max(0.0, now - min(times)), 1) if times else None
    return found
