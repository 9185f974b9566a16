"""Saved interviews: one row per community, found by the hash of its resume token.

SQLite in the instance folder by default; `DATABASE_URL` points elsewhere.
Only a SHA-256 hash of the token is stored, so the database alone cannot
open anyone's answers.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import (
    Boolean,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    make_transient_to_detached,
    mapped_column,
)


class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def current_questions_version() -> int:
    """The questions version the running app asks (answers saved now are written for it)."""
    kb = current_app.extensions.get("planner.kb")
    return int(kb.questions_version) if kb is not None else 1


class Interview(Base):
    """One community's answers and how far through the wizard it is."""

    __tablename__ = "interviews"
    # The dashboard's list, newest first, searched by name, read from the index alone.
    __table_args__ = (Index("ix_interviews_dashboard", "owner_id", "parent_id", "archived",
                            "updated_at", "id", "list_name"),
                      # The portfolio's count by state, read from the index alone (issue 31).
                      Index("ix_interviews_portfolio", "owner_id", "parent_id", "archived",
                            "list_state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    route: Mapped[str] = mapped_column(String(20), default="new")
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    done_json: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=_now)
    # A consultant's community (owner_id set) or a respondent's copy of one (parent_id set).
    owner_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    link_active: Mapped[bool] = mapped_column(Boolean, default=True)
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    respondent_role: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The consultant's dashboard line, stored whenever the community is saved
    # (planner.web.summaries): the name, status and top pathway the results page shows, and
    # the knowledge base they were computed with ("" until first computed).
    list_name: Mapped[str] = mapped_column(String(200), default="")
    list_status: Mapped[str] = mapped_column(String(80), default="")
    list_top: Mapped[str] = mapped_column(String(300), default="")
    list_kb: Mapped[str] = mapped_column(String(16), default="")
    # The state answer (its option id), for the portfolio's filter and map (issue 31).
    list_state: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # Raised by every save of the answers: a form carries the revision it was opened at.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The questions version the stored answers were written for: answers saved under an older
    # one are carried over when read (planner.engine.answers.upgrade), and stamped anew when saved.
    questions_version: Mapped[int] = mapped_column(Integer, default=current_questions_version,
                                                   server_default="1")

    @property
    def raw_answers(self) -> dict[str, Any]:
        return parse_answers(self.answers_json)

    @property
    def done(self) -> list[str]:
        return list(_done(self.done_json or "[]"))


@functools.lru_cache(maxsize=256)
def _done(stored: str) -> tuple[str, ...]:
    """The completed sections a stored done_json lists (read on every page, seldom changed)."""
    data = json.loads(stored)
    return tuple(s for s in data if isinstance(s, str)) if isinstance(data, list) else ()


def parse_answers(stored: str | None) -> dict[str, Any]:
    """Stored answers (JSON text) as a dict ({} for anything else)."""
    data = json.loads(stored or "{}")
    return data if isinstance(data, dict) else {}


@event.listens_for(Interview, "before_update")
def _stamp_questions_version(_mapper: Any, _connection: Any, target: Interview) -> None:
    """Answers saved now are written for the current questions (only when they changed)."""
    from sqlalchemy import inspect

    if inspect(target).attrs.answers_json.history.has_changes():
        target.questions_version = current_questions_version()


# The largest id a 32-bit INTEGER column holds: a larger one in a URL is simply not found.
ID_MAX = 2**31 - 1
_ID_RE = re.compile(r"[1-9][0-9]{0,9}")


def parse_id(text: object) -> int | None:
    """A positive database id written in ASCII digits, or None (never a huge int or `²`)."""
    if not isinstance(text, str | int) or isinstance(text, bool):
        return None
    raw = str(text)
    if not _ID_RE.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= ID_MAX else None


def lock(row: Interview) -> None:
    """Take the write lock on one interview for the rest of this transaction.

    A no-op UPDATE: PostgreSQL locks the row, SQLite takes its database write lock (and the
    transaction then reads the newest data), so numbering versions or merging answers
    happens one writer at a time. On a SQLite file the writers first queue at its gate
    (`_enter_gate`), so a waiting writer starts the moment the one before it commits.
    """
    db_session = session()
    _enter_gate(db_session)
    db_session.execute(update(Interview).where(Interview.id == row.id)
                       .values(updated_at=Interview.updated_at))


# The writers' gate of a SQLite file: a lock file beside the database, held (flock, exclusive)
# from `lock()` until the transaction ends. SQLite itself lets one writer in at a time, but a
# writer that finds the database locked sleeps and polls (1, 2, 5 ... up to 100 ms a nap, for
# up to the busy timeout), so under load a save could wait a whole nap after the lock was
# free: a step save's 99th percentile reached a second with 50 simultaneous people. Writers
# blocked in flock are woken by the kernel as soon as the holder lets go, in every process
# of the server. PostgreSQL locks rows and needs no gate. (The filelock and fasteners
# libraries poll too, so the wait is the kernel's own.)
_GATE_KEY = "planner.sqlite_gate"


def _gate_path(db_session: Session) -> str | None:
    url = db_session.get_bind().engine.url
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:" or \
            name.startswith("file:"):
        return None
    return f"{name}-writer"


def _enter_gate(db_session: Session) -> None:
    """Wait for, then hold, the SQLite file's writers' gate until this transaction ends
    (nothing for PostgreSQL, or when this transaction holds it already)."""
    if _GATE_KEY in db_session.info:
        return
    path = _gate_path(db_session)
    if path is None:
        return
    private_file(path)
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    db_session.info[_GATE_KEY] = fd


@event.listens_for(Session, "after_transaction_end")
def _leave_gate(db_session: Session, transaction: Any) -> None:
    """Closing the lock file lets the next writer in (after commit, rollback or close)."""
    if transaction.parent is None and (fd := db_session.info.pop(_GATE_KEY, None)) is not None:
        os.close(fd)


T = TypeVar("T")
RETRIES = 5


def retrying(work: Callable[[], T]) -> T:
    """Run work (which commits); after a write race (a unique number taken, a busy or
    serialisation failure), roll back and run it again, a few times, before giving up."""
    for attempt in range(RETRIES):
        try:
            return work()
        except (IntegrityError, OperationalError) as exc:
            session().rollback()
            if attempt == RETRIES - 1 or (isinstance(exc, OperationalError)
                                          and not _race(exc)):
                raise
    raise AssertionError("unreachable")


def _race(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text or "serializ" in text or "deadlock" in text


def hash_token(token: str) -> str:
    """Return the stored form of a resume token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _engine(app: Flask) -> Engine:
    engine: Engine = app.extensions["planner.engine"]
    return engine


def engine() -> Engine:
    """The current app's engine."""
    return _engine(current_app)


def make_engine(url: str, timeout: float = 5.0) -> Engine:
    """An engine for url; SQLite files get WAL and a busy timeout of `timeout` seconds."""
    kwargs: dict[str, Any] = {}
    _private_sqlite_file(url)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": timeout}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite") and ":memory:" not in url and url != "sqlite://":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _private_sqlite_file(url: str) -> None:
    """Create a SQLite database file readable by its owner only (0600) before SQLite does.

    SQLite gives the -wal and -shm files it makes later the database file's permissions,
    so they are 0600 too. An existing file is left as it is.
    """
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or \
            name.startswith("file:"):
        return
    private_file(name)


def private_file(name: str | os.PathLike[str]) -> None:
    """Create a file readable by its owner only (0600) if it does not exist yet (an
    existing file is left as it is)."""
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (FileExistsError, FileNotFoundError):
        return
    os.close(fd)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside a writer (several gunicorn workers); NORMAL sync in WAL
    # mode loses nothing when the process is killed, only (at worst) on power loss.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Create the engine, migrate the schema to the newest revision, close sessions on teardown.

    No connection stays open afterwards, so a preloading server can fork safely.
    """
    from planner import migrations

    engine = make_engine(app.config["DATABASE_URL"], float(app.config["DATABASE_TIMEOUT"]))
    migrations.upgrade(engine)
    engine.dispose()
    app.extensions["planner.engine"] = engine
    app.extensions["planner.peek"] = _Peek.compile(engine)
    app.teardown_appcontext(_close)


class RequestSession(Session):
    """A web request's session (planner.web.summaries listens to its flushes and commits)."""


def session() -> Session:
    """The database session of the current request."""
    if "db_session" not in g:
        g.db_session = RequestSession(_engine(current_app), expire_on_commit=False)
    db_session: Session = g.db_session
    return db_session


def _close(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def create(answers: dict[str, Any], route: str) -> str:
    """Store a new interview and return its resume token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    db_session = session()
    db_session.add(Interview(token_hash=hash_token(token), route=route,
                             answers_json=json.dumps(answers, sort_keys=True)))
    db_session.commit()
    return token


# Built once: every wizard request looks an interview up by its token.
_BY_TOKEN = select(Interview).where(Interview.token_hash == bindparam("token_hash"))


def find(token: str) -> Interview | None:
    """Return the interview for a token, or None if unknown."""
    return session().scalars(_BY_TOKEN, {"token_hash": hash_token(token)}).first()


# The same lookup for a page that only shows the row (peek): every column, no ORM session.
_ROW_BY_TOKEN = select(*Interview.__table__.columns).where(
    Interview.__table__.c.token_hash == bindparam("token_hash"))
_COLUMN_KEYS = tuple(Interview.__mapper__.get_property_by_column(c).key
                     for c in Interview.__table__.columns)
_MANAGER = Interview.__mapper__.class_manager


@dataclass(frozen=True)
class _Peek:
    """_ROW_BY_TOKEN compiled once for one engine's dialect: its SQL text, whether the driver
    takes its one parameter by position, and each column's result conversion (SQLite keeps
    a DateTime as text, a Boolean as 0 or 1)."""

    sql: str
    positional: bool
    convert: tuple[Callable[[Any], Any] | None, ...]

    @classmethod
    def compile(cls, engine: Engine) -> _Peek:
        dialect = engine.dialect
        compiled = _ROW_BY_TOKEN.compile(dialect=dialect)
        if compiled.positional and list(compiled.positiontup or ()) != ["token_hash"]:
            raise RuntimeError("the token lookup takes one parameter")
        return cls(str(compiled), bool(compiled.positional),
                   tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                         for c in Interview.__table__.columns))


class _Reader(threading.local):
    """This thread's own SQLite connection for peek(), the engine it came from and the
    process that opened it."""

    engine: Engine | None = None
    connection: Any = None
    pid: int = 0


_reader = _Reader()


def _own_connection(pooled: Engine) -> Any:
    """This thread's own connection to a SQLite file for peek(), opened once by the engine
    (so with its settings) and then detached from its pool: taking a connection from the
    pool and giving it back cost as much as the query (bench/bench_web.py). None for any
    other database, whose connections can break and are best left to the pool's checks.

    SQLite reads outside a transaction here (the statement is reset when its cursor
    closes), so a kept connection holds no lock between pages; a connection is never used
    in a process other than the one that opened it (a server forks its workers)."""
    if pooled.dialect.name != "sqlite" or _in_memory(pooled):
        return None
    if _reader.engine is pooled and _reader.pid == os.getpid():
        return _reader.connection
    if _reader.pid == os.getpid() and _reader.connection is not None:
        _reader.connection.close()  # another app's database (tests, several apps)
    fairy = pooled.raw_connection()
    fairy.detach()  # no longer the pool's: it neither counts against it nor returns
    _reader.engine, _reader.connection, _reader.pid = pooled, fairy.dbapi_connection, \
        os.getpid()
    return _reader.connection


def _forget_connection() -> None:
    """Close this thread's own connection after an error (the next page opens another)."""
    connection, _reader.connection, _reader.engine = _reader.connection, None, None
    if connection is not None:
        with contextlib.suppress(Exception):
            connection.close()


def _in_memory(pooled: Engine) -> bool:
    name = pooled.url.database or ""
    return name in ("", ":memory:") or "mode=memory" in name


def peek(token: str) -> Interview | None:
    """The interview for a token, read for showing only (a wizard page's GET).

    One query through the driver (on this thread's own connection to a SQLite file, on a
    pooled one otherwise), with the statement compiled once by SQLAlchemy for this
    database: no ORM session to open, flush and close, and no statement execution
    machinery, which together cost several times the query itself (a step page's GET did
    little else; bench/bench_web.py).

    The row comes back detached, as if read by a session since closed, and read-only: the
    same instance serves every page that shows the row until the row changes, so changing
    it or adding it to a session raises TypeError. A page that saves reads its row with
    find(), under the session that writes it.
    """
    query: _Peek = current_app.extensions["planner.peek"]
    token_hash = hash_token(token)
    params = (token_hash,) if query.positional else {"token_hash": token_hash}
    pooled = engine()
    dialect = pooled.dialect
    base_error = dialect.loaded_dbapi.Error
    # The driver's errors are wrapped as SQLAlchemy wraps them: a locked, missing or
    # unreachable database is then the same 503 page as anywhere else. (A connection that
    # broke is dropped: by the pool when given back, as its reset fails, or below.)
    own = None
    try:
        # Back to the pool, rolled back, on close(); a thread's own connection is kept.
        own = _own_connection(pooled)
        connection = own if own is not None else pooled.raw_connection()
    except base_error as exc:
        raise DBAPIError.instance(None, None, exc, base_error, hide_parameters=True,
                                  dialect=dialect) from exc
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(query.sql, params)
            found = cursor.fetchone()
        finally:
            cursor.close()
    except base_error as exc:
        if own is not None:
            _forget_connection()
        raise DBAPIError.instance(query.sql, params, exc, base_error, hide_parameters=True,
                                  dialect=dialect) from exc
    finally:
        if own is None:
            connection.close()
    if found is None:
        return None
    # The row as last read for this token, if it has not changed since: a page is shown
    # far more often than its row changes, and making the instance cost about as much as
    # the query (bench/bench_web.py). The row read now decides, so a change made by any
    # process is seen at once; the instance is shared, so it may not be changed (below).
    seen = _peeked.get(token_hash)
    if seen is not None and seen[0] == found:
        return seen[1]
    values = [value if convert is None or value is None else convert(value)
              for convert, value in zip(query.convert, found, strict=True)]
    # As the ORM's own loading does: a bare instance given the row's values, then marked
    # detached with them as its loaded state (a quarter of what the constructor costs).
    # The mappers must be set up first; in a new process this may be the first ORM use.
    Base.registry.configure()
    row: Interview = _MANAGER.new_instance()
    row.__dict__.update(zip(_COLUMN_KEYS, values, strict=True))
    make_transient_to_detached(row)
    row.__dict__[_READ_ONLY] = True
    if len(_peeked) >= PEEKED_MAX:
        _peeked.clear()  # (another thread may be reading it: clear() is atomic)
    _peeked[token_hash] = (found, row)
    return row


# peek()'s rows by token hash, with the database row each was made from (per process).
_peeked: dict[str, tuple[Any, Interview]] = {}
PEEKED_MAX = 2048
# The mark of a row made by peek(): one instance serves every page that shows the row
# until it changes, so nothing may change it (a page that saves reads its row with find()).
_READ_ONLY = "_planner_read_only"


def _refuse_change(target: Interview, value: Any, _old: Any, _initiator: Any) -> Any:
    if target.__dict__.get(_READ_ONLY):
        raise TypeError("a row read to show a page (db.peek) cannot be changed: read it "
                        "with db.find() under the session that saves it")
    return value


for _column in _COLUMN_KEYS:
    event.listen(getattr(Interview, _column), "set", _refuse_change, retval=True)


@event.listens_for(Session, "before_attach")
def _refuse_attach(_session: Session, instance: object) -> None:
    """A shared peek() row joins no session (other requests hold the same instance)."""
    if isinstance(instance, Interview) and instance.__dict__.get(_READ_ONLY):
        raise TypeError("a row read to show a page (db.peek) cannot join a session: read "
                        "it with db.find() under the session that saves it")


def is_expired(interview: Interview) -> bool:
    """True when the interview has not been touched for longer than the configured age."""
    days = current_app.config["RESUME_MAX_AGE_DAYS"]
    return bool(days) and _now() - interview.updated_at > timedelta(days=days)


def save(interview: Interview, answers: dict[str, Any], done: list[str]) -> None:
    """Replace the interview's answers and completed sections in one commit."""
    interview.answers_json = json.dumps(answers, sort_keys=True)
    interview.done_json = json.dumps(done)
    interview.updated_at = _now()
    interview.revision = (interview.revision or 0) + 1
    db_session = session()
    db_session.add(interview)
    db_session.commit()
