"""Two app servers (two "hosts": own instance folders, own render queue consumers) on two
ports share one PostgreSQL and one Redis, both started from Debian's packages by these
fixtures. A plan rendered through one is served by the other without a second render; the
rate limit counts across both; killing one mid-render loses nothing, and the other
finishes the render.

Runs in a database of its own (made and dropped by the module) on the PostgreSQL server of
PLANNER_TWO_HOSTS_DATABASE_URL (`bash .ci/test` sets it to the server .ci/postgres starts) or
else PLANNER_TEST_DATABASE_URL; with neither, under .ci/test's PLANNER_TEST_STRICT=1 or
CI=true, it starts PostgreSQL with .ci/postgres. Elsewhere it skips without PostgreSQL or
redis-server; under those two it never skips (tests/needs.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_DATABASE_URL, drop_database, private_database
from needs import STRICT, missing
from serverhelpers import REPO, Browser, Server, free_port
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from webhelpers import HUNTINGTON

# One worker runs the module under pytest-xdist: its servers start once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("two-hosts")]

READ_LIMIT = 100  # above what walking the wizard (pages of up to 7 questions) reads in a minute
STALE_SECONDS = 6


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A database of this module's own on PLANNER_TWO_HOSTS_DATABASE_URL's or
    PLANNER_TEST_DATABASE_URL's server (with neither, under STRICT, the one .ci/postgres
    starts), dropped afterwards: no other test or test run on the machine empties it under
    the hosts."""
    base = os.environ.get("PLANNER_TWO_HOSTS_DATABASE_URL") or TEST_DATABASE_URL
    if not base and STRICT:
        started = subprocess.run(["bash", str(REPO / ".ci" / "postgres")], check=True,
                                 capture_output=True, text=True, timeout=120)
        base = started.stdout.strip().splitlines()[-1]
    if not base.startswith("postgresql"):
        missing("the two-host test needs PostgreSQL: set PLANNER_TWO_HOSTS_DATABASE_URL "
                "(`bash .ci/test` does)")
    url = private_database(base, "hosts")
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server (Debian's package) on a free loopback port, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server is not installed (apt-get install redis-server)")
    assert binary is not None
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    with (folder / "redis.log").open("wb") as log:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(folder), "--protected-mode", "yes"],
            stdout=log, stderr=subprocess.STDOUT)
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.1)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, postgres_url: str,
          redis_url: str) -> Iterator[list[Server]]:
    env = {
        "PLANNER_REDIS_URL": redis_url,
        "PLANNER_SECRET_KEY": "two-hosts-shared-secret",  # every host signs the same cookies
        "PLANNER_PROXY_FIX": "1",  # each test person gets its own address (X-Forwarded-For)
        "PLANNER_RATE_LIMIT_READ": str(READ_LIMIT),
        "PLANNER_RENDER_STALE_SECONDS": str(STALE_SECONDS),
        "PLANNER_RENDER_HEARTBEAT_SECONDS": "1",
    }
    started: list[Server] = []
    try:
        for name in ("host-a", "host-b"):
            folder = tmp_path_factory.mktemp(name)
            started.append(Server(folder, workers=2, threads=4, env=env,
                                  database_url=postgres_url).start(timeout=90))
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="module")
def database(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


def _person(base: str, address: str) -> Browser:
    return Browser(base, timeout=90, headers={"X-Forwarded-For": address})


def _complete(person: Browser, name: str) -> str:
    """Answer every step; `name` makes this community's plan (and its stored render) its own:
    renders are keyed by content, so two identical plans share one."""
    token = person.start()
    for section, answers in HUNTINGTON.items():
        if section == "community":
            answers = {**answers, "community-name": name}
        response = person.step(token, section, answers)
        assert response.status == 303, (section, response.status, response.text[:300])
    return token


def _renders(database: Engine, token: str) -> list[dict[str, Any]]:
    from planner.web.db import hash_token

    with database.connect() as connection:
        rows = connection.execute(text(
            "SELECT r.key, r.status, r.owner, r.started_at, r.finished_at, r.body "
            "FROM plan_renders r JOIN interviews i ON i.id = r.interview_id "
            "WHERE i.token_hash = :h ORDER BY r.started_at"), {"h": hash_token(token)})
        return [dict(row._mapping) for row in rows]


def _wait(database: Engine, token: str, wanted: str, seconds: float = 180) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = _renders(database, token)
        if any(r["status"] == wanted for r in found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {wanted} render of the plan within {seconds} s: {found}")


def test_a_plan_rendered_through_one_host_is_served_by_the_other(
        hosts: list[Server], database: Engine) -> None:
    a, b = hosts
    person = _person(a.base, "198.51.100.1")
    token = _complete(person, "Cabell County")  # the last step queues the render (Redis)
    assert person.get(f"/c/{token}/results").status == 200
    through_a = person.get(f"/c/{token}/plan.pdf")
    assert through_a.status == 200 and through_a.body.startswith(b"%PDF-")
    before = _wait(database, token, "done")
    assert [r["status"] for r in before] == ["done"] and before[0]["body"] == through_a.body

    through_b = person.get(f"{b.base}/c/{token}/plan.pdf")  # same person, the other host
    assert through_b.status == 200 and through_b.body == through_a.body
    after = _renders(database, token)
    # No second render: the same single row, its render untouched.
    assert [(r["key"], r["owner"], r["finished_at"]) for r in after] == \
        [(r["key"], r["owner"], r["finished_at"]) for r in before]


def test_the_rate_limit_counts_across_both_hosts(hosts: list[Server]) -> None:
    a, b = hosts
    probe = _person(a.base, "198.51.100.99")
    statuses = [probe.get(f"{(a, b)[i % 2].base}/").status for i in range(READ_LIMIT + 6)]
    assert statuses[:READ_LIMIT] == [200] * READ_LIMIT
    assert set(statuses[READ_LIMIT:]) == {429}, statuses  # on either host, once shared


def _group_of(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[2])


def test_killing_a_host_mid_render_loses_nothing(hosts: list[Server],
                                                 database: Engine) -> None:
    a, b = hosts
    person = _person(a.base, "198.51.100.2")
    token = _complete(person, "Wayne County")
    running = _wait(database, token, "rendering")  # a consumer on one host took the render
    claim = next(r for r in running if r["status"] == "rendering")
    pid = int(claim["owner"].split(":")[1])
    renderer = next(h for h in hosts if h.proc is not None and _group_of(pid) == h.proc.pid)
    survivor = b if renderer is a else a
    renderer.kill9()  # the whole host: master, workers and its queue consumer, mid-render

    # The survivor's consumer finds the claim stale (no heartbeat) and finishes the render,
    # without anyone downloading.
    done = _wait(database, token, "done")
    finished = next(r for r in done if r["status"] == "done")
    assert finished["key"] == claim["key"] and finished["owner"] != claim["owner"]
    assert _group_of(int(finished["owner"].split(":")[1])) == survivor.proc.pid  # type: ignore[union-attr]

    again = _person(survivor.base, "198.51.100.2")
    review = again.get(f"/c/{token}/review")
    assert review.status == 200 and "Wayne County" in review.text  # every answer is there
    pdf = again.get(f"/c/{token}/plan.pdf")
    assert pdf.status == 200 and pdf.body == finished["body"]
