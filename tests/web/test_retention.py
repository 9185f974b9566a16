"""The clean-up job: sign-in attempts past the throttle's windows, sessions past the idle
limit, and versions older than 90 days thinned to one a day (the day's last)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from consultanthelpers import add_user, create_community, sign_in
from flask import Flask
from sqlalchemy import select

from planner.web import accounts, db, retention, security, workspace


def test_the_clean_up_keeps_what_is_needed_and_drops_the_rest(app: Flask) -> None:
    add_user(app, "ann@example.org", "Ann Consultant")
    ann = app.test_client()
    sign_in(ann, "ann@example.org")
    key, _ = create_community(ann)
    now = db._now()
    with app.app_context():
        s = db.session()
        community = int(key[1:])
        s.add_all([security.SignInAttempt(account="x@example.org", at=time.time() - 2 * 86400),
                   security.SignInAttempt(account="y@example.org", at=time.time() - 60)])
        user = s.scalars(select(accounts.User)).one()
        s.add(accounts.UserSession(user_id=user.id, key_hash="0" * 64,
                                   seen_at=now - timedelta(hours=9)))
        ages = [(200, 1), (200, 5), (200, 23), (150, 2), (89, 1), (89, 2), (1, 0)]  # days, hour
        for number, (days, hours) in enumerate(ages, start=1):
            midnight = datetime.combine((now - timedelta(days=days)).date(), datetime.min.time())
            s.add(workspace.Version(interview_id=community, number=number, label=str(number),
                                    actor="Ann", created_at=midnight + timedelta(hours=hours)))
        s.commit()
        removed = retention.clean(now)
        assert removed == {"sign_in_attempts": 1, "user_sessions": 1, "versions": 2}
        left = list(s.scalars(select(workspace.Version.number)
                              .where(workspace.Version.interview_id == community)
                              .order_by(workspace.Version.number)))
        assert left == [3, 4, 5, 6, 7]  # 200 days ago: the day's last; 89 days: all
        assert [a.account for a in s.scalars(select(security.SignInAttempt))] == [
            "y@example.org"]
        assert s.scalar(select(accounts.UserSession).where(
            accounts.UserSession.key_hash == "0" * 64)) is None
        assert retention.clean(now) == {"sign_in_attempts": 0, "user_sessions": 0,
                                        "versions": 0}
    assert ann.get("/dashboard").status_code == 200  # the live session stays


def test_a_running_consumer_cleans_up(app: Flask) -> None:
    from planner.web import renders

    add_user(app, "ann@example.org", "Ann Consultant")
    with app.app_context():
        s = db.session()
        user = s.scalars(select(accounts.User)).one()
        s.add(accounts.UserSession(user_id=user.id, key_hash="1" * 64,
                                   seen_at=db._now() - timedelta(days=30)))
        s.commit()
    assert renders.start_embedded(app)
    try:
        deadline = time.monotonic() + 15
        while True:
            with app.app_context():
                if db.session().scalar(select(accounts.UserSession).where(
                        accounts.UserSession.key_hash == "1" * 64)) is None:
                    break
            assert time.monotonic() < deadline, "the consumer did not clean up"
            time.sleep(0.2)
    finally:
        renders.stop_embedded()
