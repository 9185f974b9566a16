"""Issue 27, "Done when": each reproduction the tester scripted, replayed over HTTP against
`planner serve` (gunicorn and its supervised render consumer, in subprocesses), on SQLite in
the first pass and on PostgreSQL in the second (PLANNER_TEST_DATABASE_URL, `.ci/test`), in a
database of the module's own. None may reproduce.

The community, its notes and the accounts are set up beforehand through the app in this
process, on the same database; every attack goes through the server. Run alone:

    .venv/bin/pytest -q -p no:cacheprovider -n 0 tests/web/test_replays.py
    PLANNER_TEST_DATABASE_URL="$(bash .ci/postgres | tail -1)" \\
        .venv/bin/pytest -q -p no:cacheprovider -n 0 tests/web/test_replays.py
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_DATABASE_URL, drop_database, private_database
from consultanthelpers import PASSWORD, add_user
from flask import Flask
from serverhelpers import PLANNER, REPO, Browser, Response, free_port, serve, wait_until_up
from serverhelpers import render_consumer as _consumer
from serverhelpers import stop_serve as _stop
from sqlalchemy import func, select
from test_notes_private import SECRETS, a_community_with_notes, texts
from webhelpers import HUNTINGTON

from planner import create_app
from planner.web import accounts, db, security

# One process runs the module (pytest-xdist): its server starts once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("replays")]


LINK = re.compile(r"/c/([A-Za-z0-9_-]{40,64})")
SECRET_KEY = "replay-secret-" + "k" * 40


@dataclass
class Site:
    """The server under attack and what was set up for it."""

    base: str
    proc: subprocess.Popen[bytes]
    folder: Path
    database_url: str
    env: dict[str, str]
    app: Flask  # the set-up app, on the same database (for checks on the rows)
    key: str = ""  # Ann's community: owner key, private link, a respondent's link
    token: str = ""
    respondent: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def log(self) -> str:
        return (self.folder / "serve.log").read_text(errors="replace")


def _serve(folder: Path, database_url: str, **env: str) -> tuple[subprocess.Popen[bytes],
                                                                   str, dict[str, str]]:
    full = {**os.environ, "PLANNER_INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": database_url, "PLANNER_SECRET_KEY": SECRET_KEY,
            "PLANNER_WORKERS": "1", "PLANNER_THREADS": "4",
            "PLANNER_SESSION_COOKIE_SECURE": "false",  # plain http on loopback
            "PLANNER_LOG_LEVEL": "info", **env}
    proc, base = serve(folder, env=full)
    wait_until_up(proc, base + "/healthz", folder / "serve.log")
    return proc, base, full


@pytest.fixture(scope="module")
def database_url_of_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DATABASE_URL:
        url = private_database(TEST_DATABASE_URL, "replay")
        yield url
        drop_database(url)
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('replay-db') / 'planner.sqlite3'}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory,
         database_url_of_module: str) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("replay")
    url = database_url_of_module
    app = create_app({"TESTING": True, "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
                      "INSTANCE_PATH": str(folder / "setup-instance"), "RATE_LIMIT": False,
                      "RENDER_QUEUE": "off"})
    _, key, token, respondent = a_community_with_notes(app)
    add_user(app, "bob@example.org", "Bob")
    with app.app_context():  # for the retention replay: a day-old attempt, a dead session
        s = db.session()
        s.add(security.SignInAttempt(account="old@example.org", at=time.time() - 3 * 86400))
        bob = accounts.find_user("bob@example.org")
        assert bob is not None
        stale = db._now().replace(year=db._now().year - 1)
        s.add(accounts.UserSession(user_id=bob.id, key_hash="0" * 64, created_at=stale,
                                   seen_at=stale))
        s.commit()
    proc, base, env = _serve(folder, url, PLANNER_RATE_LIMIT_READ="100000",
                             PLANNER_RATE_LIMIT_WRITE="100000", PLANNER_RATE_LIMIT_PDF="1000")
    made = Site(base=base, proc=proc, folder=folder, database_url=url, env=env, app=app,
                key=key, token=token, respondent=respondent)
    try:
        yield made
    finally:
        _stop(proc)
        app.extensions["planner.engine"].dispose()


def _csrf(browser: Browser, path: str) -> str:
    return browser.csrf(path)


def _sign_in(browser: Browser, email: str, password: str = PASSWORD) -> Response:
    return browser.post("/sign-in", {"csrf_token": browser.csrf("/sign-in"), "email": email,
                                     "password": password})


def _signed_in(site: Site, email: str = "ann@example.org") -> Browser:
    browser = Browser(site.base, timeout=120)
    response = _sign_in(browser, email)
    assert response.status == 303, (response.status, response.text[:300])
    return browser


def _multipart(browser: Browser, path: str, fields: dict[str, str],
               filename: str, body: bytes) -> Response:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             .encode() for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{filename}"\r\nContent-Type: application/json\r\n\r\n'.encode()
                 + body + b"\r\n")
    data = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(browser.base + path, data=data, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with browser.opener.open(request, timeout=browser.timeout) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read(), 0)
    except urllib.error.HTTPError as exc:
        return Response(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read(), 0)


def _session_cookie(browser: Browser) -> str:
    """The Flask session cookie's payload, decoded (it is signed, not encrypted)."""
    value = next(c.value for c in browser.jar if c.name == "session") or ""
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode("utf-8", "replace") + value


def _run(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PLANNER), *args], cwd=REPO, env=site.env, capture_output=True,
                          text=True, timeout=120)


# ------------------------------------------------------------------ the replays, in order


def test_1_notes_never_reach_the_link_holder_or_a_respondent(site: Site) -> None:
    owner = _signed_in(site)
    control = owner.get(f"/c/{site.key}/plan")
    assert control.status == 200 and all(s in texts(control.body, "") for s in SECRETS[:1])
    for token in (site.token, site.respondent):
        visitor = Browser(site.base, timeout=180)
        for path in ("/results", "/plan", "/plan.pdf", "/plan.docx", "/actions.csv",
                     "/actions.xlsx", "/review"):
            response = visitor.get(f"/c/{token}{path}")
            # The link holder gets each page and download; a respondent some of them.
            wanted = {200} if token == site.token else {200, 303, 403, 404}
            assert response.status in wanted, (path, response.status)
            seen = texts(response.body, response.headers.get("content-type", "").split(";")[0])
            for secret in SECRETS:
                assert secret not in seen, (path, secret)


def _health(site: Site) -> dict[str, Any]:
    with urllib.request.urlopen(site.base + "/healthz", timeout=10) as response:
        body: dict[str, Any] = json.loads(response.read())
        return body


def test_2_a_killed_render_consumer_is_started_again_and_reported(site: Site) -> None:
    deadline = time.monotonic() + 60
    while _consumer(site.proc.pid) is None or _health(site)["queue"]["consumer"] != "alive":
        assert time.monotonic() < deadline, site.log()[-3000:]
        time.sleep(0.2)
    first = _consumer(site.proc.pid)
    assert first is not None
    # A render under way (a changed plan is queued), then kill -9 the consumer.
    owner = _signed_in(site)
    owner.post(f"/c/{site.key}/notes", {"csrf_token": owner.csrf(f"/c/{site.key}/notes"),
                                         "note-general": "Replay note, changed."})
    os.kill(first, signal.SIGKILL)
    killed = time.monotonic()
    while True:
        again = _consumer(site.proc.pid)
        if again not in (None, first):
            queue = _health(site)["queue"]
            seen = queue["consumer_seen_seconds_ago"]
            if queue["consumer"] == "alive" and isinstance(seen, int | float) and \
                    seen < time.monotonic() - killed:
                break
        assert time.monotonic() < killed + 60, site.log()[-3000:]
        time.sleep(0.2)


def test_3_back_keeps_what_was_typed(site: Site) -> None:
    person = Browser(site.base)
    token = person.start()
    assert person.step(token, "community", HUNTINGTON["community"]).status == 303
    path = f"/c/{token}/step/problems/2"
    response = person.post(path, {"csrf_token": person.csrf(path), "action": "back",
                                  "homelessness": "many", "hot-spots": "yes",
                                  "jail-crowding": "no"})
    assert response.status == 303 and response.location.endswith("/step/problems")
    assert 'value="yes" checked' in person.get(path).text


def test_4_a_stranger_cannot_lock_the_owner_out(site: Site) -> None:
    owner = _signed_in(site, "bob@example.org")
    assert any(c.name == "planner_device" for c in owner.jar)
    owner.post("/sign-out", {"csrf_token": owner.csrf("/dashboard")})
    stranger = Browser(site.base)
    for i in range(5):
        assert _sign_in(stranger, "bob@example.org", f"guess {i} wrong").status == 400
    paused = _sign_in(stranger, "bob@example.org", PASSWORD)
    assert paused.status == 429 and int(paused.headers["retry-after"]) > 800
    assert _sign_in(Browser(site.base), "bob@example.org", PASSWORD).status == 429  # new browser
    assert _sign_in(owner, "bob@example.org", PASSWORD).status == 303  # the owner's own browser


@pytest.mark.parametrize("password", ["bob12345678901", "Summer2026!!!", "deflection2026"])
def test_5_weak_passwords_are_refused(site: Site, password: str) -> None:
    done = _run(site, "set-password", "bob@example.org", "--password", password)
    assert done.returncode != 0 and "too easy to guess" in done.stdout + done.stderr
    ann = _signed_in(site)
    response = ann.post("/account/password", {"csrf_token": ann.csrf("/account/password"),
                                               "current": PASSWORD, "new": password,
                                               "confirm": password})
    assert response.status == 400 and "cannot be used" in response.text


def test_6_a_huge_number_is_a_400_and_one_line_in_the_cli(site: Site, tmp_path: Path) -> None:
    ann = _signed_in(site)
    exported = ann.get(f"/c/{site.key}/answers.json")
    assert exported.status == 200
    data = json.loads(exported.text)
    data["answers"]["local-budget"] = 0
    text = json.dumps(data)
    body = text.replace('"local-budget": 0', '"local-budget": ' + "9" * 400)
    assert body != text and len(json.loads(body)["answers"]["local-budget"].__str__()) == 400
    response = _multipart(ann, f"/c/{site.key}/import",
                          {"csrf_token": ann.csrf("/dashboard")}, "answers.json", body.encode())
    assert response.status == 400, response.status
    assert "Traceback" not in response.text
    answers = tmp_path / "answers.json"
    answers.write_text(body)
    for command in (["score", str(answers)],
                    ["plan", str(answers), "-o", str(tmp_path / "plan.html")]):
        done = _run(site, *command)
        assert done.returncode == 2, (command, done.returncode, done.stderr[-500:])
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "local-budget" in lines[0], done.stderr[-500:]
        assert not (tmp_path / "plan.html").exists()


def test_7_no_link_token_in_the_audit_trail_the_logs_or_the_cookie(site: Site) -> None:
    ann = _signed_in(site)
    response = ann.post(f"/c/{site.key}/duplicate", {"csrf_token": ann.csrf("/dashboard")})
    assert response.status == 303
    cookie = _session_cookie(ann)
    made = LINK.search(ann.get(response.location).text)
    assert made, "the copy's link is shown once"
    new = made.group(1)
    assert new not in cookie and "new_link" not in cookie
    key = re.search(r"/c/(w\d+)/", response.location)
    assert key
    for owner_key in (site.key, key.group(1)):
        trail = ann.get(f"/c/{owner_key}/audit")
        assert trail.status == 200 and new not in trail.text and site.token not in trail.text
    assert Browser(site.base).get(f"/c/{new}/review").status == 200  # a real token
    time.sleep(1)
    assert new not in site.log() and site.token not in site.log()


def test_8_the_instance_folder_is_0700_and_its_files_0600(site: Site) -> None:
    folder = Path(site.env["PLANNER_INSTANCE_PATH"])
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.name == "queue.sqlite3" for p in files), files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_9_old_attempts_and_dead_sessions_are_cleaned_up(site: Site) -> None:
    with site.app.app_context():
        deadline = time.monotonic() + 60
        while True:
            s = db.session()
            left = (s.scalar(select(func.count()).select_from(security.SignInAttempt).where(
                        security.SignInAttempt.account == "old@example.org")),
                    s.scalar(select(func.count()).select_from(accounts.UserSession).where(
                        accounts.UserSession.key_hash == "0" * 64)))
            s.rollback()
            if left == (0, 0):
                break
            assert time.monotonic() < deadline, left
            time.sleep(0.5)


def test_12_one_respondents_link_is_revoked_alone(site: Site) -> None:
    ann = _signed_in(site)
    csrf = ann.csrf("/dashboard")
    assert ann.post(f"/c/{site.key}/respondents", {"csrf_token": csrf, "role": "treatment"}
                    ).status == 303
    page = ann.get(f"/c/{site.key}/respondents").text
    fresh = LINK.search(page)
    assert fresh
    ids = [int(i) for i in re.findall(rf"/c/{site.key}/respondents/(\d+)/link", page)]
    newest = max(ids)
    assert ann.post(f"/c/{site.key}/respondents/{newest}/link",
                    {"csrf_token": csrf, "action": "revoke"}).status == 303
    visitor = Browser(site.base)
    assert visitor.get(f"/c/{fresh.group(1)}/review").status == 404
    assert visitor.get(f"/c/{site.respondent}/review").status == 200
    assert visitor.get(f"/c/{site.token}/review").status == 200


def test_13_actions_csv_names_its_charset_once(site: Site) -> None:
    response = Browser(site.base).get(f"/c/{site.token}/actions.csv")
    assert response.status == 200
    assert response.headers["content-type"].lower() == "text/csv; charset=utf-8"


def test_earlier_rounds_csrf_copied_cookies_and_revoked_links(site: Site) -> None:
    """Replays of earlier rounds the tester re-ran: a post without a CSRF token, a token
    from another browser, a session cookie copied then signed out, a link after reissue."""
    ann = _signed_in(site)
    assert ann.post(f"/c/{site.key}/notes", {"note-general": "no token"}).status == 400
    other = Browser(site.base)
    foreign = other.csrf("/")
    assert ann.post(f"/c/{site.key}/notes", {"csrf_token": foreign,
                                             "note-general": "a token from elsewhere"}
                    ).status == 400
    thief = Browser(site.base)
    for cookie in ann.jar:
        if cookie.name == "session":
            thief.jar.set_cookie(cookie)
    assert thief.get("/dashboard").status == 200  # the copy works while the session lives
    ann.post("/sign-out", {"csrf_token": ann.csrf("/dashboard")})
    assert thief.get("/dashboard").status == 303  # and not after sign-out
    # A stolen link stops working once the consultant issues a new one (on a copy).
    ann = _signed_in(site)
    copied = ann.post(f"/c/{site.key}/duplicate", {"csrf_token": ann.csrf("/dashboard")})
    stolen = LINK.search(ann.get(copied.location).text)
    key = re.search(r"/c/(w\d+)/", copied.location)
    assert stolen and key
    assert Browser(site.base).get(f"/c/{stolen.group(1)}/review").status == 200
    assert ann.post(f"/c/{key.group(1)}/link", {"csrf_token": ann.csrf("/dashboard"),
                                                 "action": "reissue"}).status == 303
    assert Browser(site.base).get(f"/c/{stolen.group(1)}/review").status == 404


def test_10_11_redis_down_and_a_short_idle_limit(site: Site, tmp_path: Path) -> None:
    """A second server on the same database: Redis refuses every connection, the write limit
    is 60 a minute and a session ends after 10.8 seconds idle."""
    refused = f"redis://127.0.0.1:{free_port()}/0"
    proc, base, _ = _serve(tmp_path, site.database_url, PLANNER_REDIS_URL=refused,
                           PLANNER_RATE_LIMIT_WRITE="60", PLANNER_RATE_LIMIT_READ="100000",
                           PLANNER_SESSION_IDLE_HOURS="0.003")
    try:
        ann = Browser(base)
        assert _sign_in(ann, "ann@example.org").status == 303
        # Idle limit: used every 3 s for 15 s, still signed in; then 13 s idle, signed out.
        for _ in range(5):
            assert ann.get("/dashboard").status == 200
            time.sleep(3)
        # Redis down: 100 writes from one client against a limit of 60 a minute.
        person = Browser(base)
        token = person.csrf("/sign-in")
        codes = [person.post("/sign-in", {"csrf_token": token, "email": f"n{i}@example.org",
                                          "password": "wrong"}).status for i in range(100)]
        assert codes.count(429) >= 39 and set(codes) <= {400, 429}, codes
        time.sleep(13)  # ann idle past the limit
        assert ann.get("/dashboard").status == 303
        time.sleep(3)  # the consumer polls its queue for a few seconds more
    finally:
        _stop(proc)
    log = (tmp_path / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    outage = [line for line in log.splitlines() if "unreachable" in line]
    # One line per process (the web worker's limits and queue, the consumer's queue).
    assert 1 <= len(outage) <= 4, outage
