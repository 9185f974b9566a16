"""Consultant accounts: sign in and out with a hashed password; sessions kept on the server.

Passwords are hashed with werkzeug's scrypt. The signed cookie holds the user's id and a
random session key; the database holds the key's hash (`user_sessions`), checked on every
request. Signing out deletes the row, so a copied cookie stops working at once; a password
change or an administrator's `planner revoke-sessions` deletes every row of the user; a
session unused for SESSION_IDLE_HOURS (8) ends by itself.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length
from zxcvbn import zxcvbn

from planner.web import db, security
from planner.web.db import Base

bp = Blueprint("accounts", __name__)

WRONG = "The email or password is wrong."
MIN_PASSWORD = 12
# A real hash to check against when the email is unknown, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password-anyone-has", method="scrypt")


class User(Base):
    """A TTA consultant who can sign in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)

    @property
    def display(self) -> str:
        return self.name or self.email


class UserSession(Base):
    """One signed-in browser: the cookie holds a random key, the database its hash.

    Deleting the row ends that session wherever the cookie was copied: sign-out deletes
    it, a password change or an administrator's revoke deletes all of the user's rows.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=db._now)
    # A private link just made in this browser ("kind:id:token"), until its page shows it
    # once (hold_link, take_link); never in the cookie, which is signed but not encrypted.
    fresh_link: Mapped[str | None] = mapped_column(String(200), nullable=True)


class AccountError(ValueError):
    """Raised for an account that cannot be created."""


def normalise_email(email: str) -> str:
    """The stored form of an email address (trimmed, lower case)."""
    return email.strip().lower()


# A session's last use is written at most this often (a write per page would be wasteful);
# more often for an idle limit under 50 minutes (_touch_every).
TOUCH_SECONDS = 300


def start_session(user: User) -> None:
    """Sign this browser in as user: a new server-side session and a fresh cookie."""
    key = secrets.token_urlsafe(32)
    db_session = db.session()
    db_session.add(UserSession(user_id=user.id, key_hash=db.hash_token(key)))
    db_session.commit()
    session.clear()
    session["user_id"] = user.id
    session["sid"] = key
    session.permanent = True  # the cookie, too, expires after the idle lifetime
    g.current_user = user


def end_session() -> None:
    """Sign this browser out: its server-side session is deleted, then the cookie cleared."""
    key = session.get("sid")
    if isinstance(key, str):
        db.session().execute(delete(UserSession).where(
            UserSession.key_hash == db.hash_token(key)))
        db.session().commit()
    session.clear()
    g.pop("current_user", None)


def revoke_sessions(user: User) -> int:
    """End every session of the user, in every browser (added to the request's session,
    committed by the caller); return how many there were."""
    result = db.session().execute(delete(UserSession).where(UserSession.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def _idle_limit() -> timedelta:
    return timedelta(hours=float(current_app.config["SESSION_IDLE_HOURS"]))


def _touch_every() -> timedelta:
    """How often a session's last use is written: every TOUCH_SECONDS, or a tenth of the
    idle limit if that is shorter, so a session ends no sooner than 90% of the limit after
    its last request, whatever the limit."""
    return min(timedelta(seconds=TOUCH_SECONDS), _idle_limit() / 10)


# zxcvbn's 0-4 estimate: 4 is "very unguessable: strong protection from offline attack"
# (10^10 guesses or more). 3 (10^8) let through a name with a digit run
# ("bob12345678901") and a season, a year and symbols ("Summer2026!!!"): issue 27.
MIN_STRENGTH = 4
# The site's own words, given to zxcvbn with the account's email and name: a password made
# of them is as guessable as one made of the account's name.
SITE_WORDS = ("deflection", "pathway", "pathways", "planner", "consultant", "community",
              "respondent", "naloxone", "overdose", "recovery", "referral", "diversion",
              "treatment", "police", "first", "responder", "tta", "cossup", "uswds")
# zxcvbn's work grows with length; a password this long is strong whatever its tail.
STRENGTH_PREFIX = 100


def _check_password(password: str, email: str = "", name: str = "") -> None:
    """Refuse short, common, guessable or personal passwords (zxcvbn, offline: its word
    lists ship with the package), naming the reason."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if len(password) > 1000:
        raise AccountError("the password must be at most 1000 characters")
    address = normalise_email(email)
    context = [w for w in (address, *re.split(r"[@._+\-\s]+", address), name,
                           *name.split()) if len(w) >= 3]
    lowered = password.lower()
    if any(lowered == w.lower() or (len(w) >= 6 and w.lower() in lowered and
                                    len(lowered) - len(w) < MIN_PASSWORD) for w in context):
        raise AccountError("the password must not be (or mostly be) your email address or name")
    result = zxcvbn(password[:STRENGTH_PREFIX], user_inputs=[*context, *SITE_WORDS])
    if result["score"] < MIN_STRENGTH:
        feedback = result.get("feedback") or {}
        hint = " ".join(x for x in [feedback.get("warning") or "",
                                    *(feedback.get("suggestions") or [])[:1]] if x)
        raise AccountError("the password is too easy to guess"
                           + (f" ({hint.rstrip('.')})" if hint else "")
                           + "; a few unrelated words make a strong one")


def create_user(email: str, password: str, name: str = "") -> User:
    """Store a new consultant; raise AccountError for a taken email or a short password."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise AccountError("give a valid email address")
    _check_password(password, address, name)
    db_session = db.session()
    if db_session.scalars(select(User).where(User.email == address)).first():
        raise AccountError(f"an account for {address} already exists")
    user = User(email=address, name=name.strip()[:200],
                password_hash=generate_password_hash(password, method="scrypt"))
    db_session.add(user)
    db_session.commit()
    return user


def set_password(user: User, password: str) -> None:
    """Give the user a new password and end every session of the account."""
    _check_password(password, user.email, user.name)
    user.password_hash = generate_password_hash(password, method="scrypt")
    revoke_sessions(user)
    db.session().commit()


def find_user(email: str) -> User | None:
    """The account with this email address, if there is one."""
    return db.session().scalars(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).first()


def authenticate(email: str, password: str) -> User | None:
    """The user with this email and password, or None (same work either way)."""
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def current_user() -> User | None:
    """The signed-in consultant of this request, if any."""
    if "current_user" not in g:
        user = None
        uid, key = session.get("user_id"), session.get("sid")
        if isinstance(uid, int) and isinstance(key, str) and 0 < uid <= db.ID_MAX:
            live = db.session().scalars(select(UserSession).where(
                UserSession.key_hash == db.hash_token(key))).first()
            now = db._now()
            if live is not None and live.user_id == uid and now - live.seen_at <= _idle_limit():
                user = db.session().get(User, uid)
                if user is not None and now - live.seen_at > _touch_every():
                    _touch(live.id, now)
        g.current_user = user
    found_user: User | None = g.current_user
    return found_user


def _touch(session_id: int, now: datetime) -> None:
    """Record a session's use on a connection of its own (never committing the request's
    unfinished work)."""
    with db.engine().begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(seen_at=now))


def _session_id() -> int | None:
    """The id of this browser's server-side session row, if it is signed in."""
    key = session.get("sid")
    if current_user() is None or not isinstance(key, str):
        return None
    found: int | None = db.session().scalar(select(UserSession.id).where(
        UserSession.key_hash == db.hash_token(key)))
    return found


def hold_link(kind: str, interview_id: int, token: str) -> None:
    """Keep a private link just made for this browser's next page (take_link), on its
    session's row: the token is never put in the cookie. Written on a connection of its
    own (the request's unfinished work is not committed)."""
    session_id = _session_id()
    if session_id is not None:
        with db.engine().begin() as connection:
            connection.execute(update(UserSession).where(UserSession.id == session_id)
                               .values(fresh_link=f"{kind}:{interview_id}:{token}"))


def take_link(kind: str, interview_ids: set[int]) -> tuple[int, str] | None:
    """The link hold_link kept, once, if it is of this kind and for one of these
    communities; whatever was held is forgotten either way (as a shown page forgets it)."""
    session_id = _session_id()
    if session_id is None:
        return None
    with db.engine().begin() as connection:
        held = connection.execute(select(UserSession.fresh_link)
                                  .where(UserSession.id == session_id)).scalar()
        if held is None:
            return None
        connection.execute(update(UserSession).where(UserSession.id == session_id)
                           .values(fresh_link=None))
    held_kind, _, rest = str(held).partition(":")
    number, _, token = rest.partition(":")
    if held_kind != kind or not number.isdigit() or int(number) not in interview_ids:
        return None
    return int(number), token


def require_user() -> User:
    """The signed-in consultant, or a redirect to the sign-in page."""
    user = current_user()
    if user is None:
        abort(redirect(url_for("accounts.sign_in", next=request.path), code=303))
    return user


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[InputRequired("Enter your email address."),
                                            Length(max=254)])
    password = PasswordField("Password", validators=[InputRequired("Enter your password."),
                                                     Length(max=1000)])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[
        InputRequired("Enter your current password."), Length(max=1000)])
    new = PasswordField("New password", validators=[
        InputRequired("Enter a new password."),
        Length(min=MIN_PASSWORD, max=1000,
               message=f"The new password must be {MIN_PASSWORD} to 1000 characters long.")])
    confirm = PasswordField("New password again", validators=[
        InputRequired("Enter the new password a second time."), Length(max=1000)])


_URL_NOISE = re.compile(r"[\t\n\r]")


def safe_next(target: str | None) -> str:
    """A path on this site to go to after signing in, else the dashboard.

    The target is read the way a browser reads a Location (the WHATWG URL rules): tabs and
    newlines are dropped, leading and trailing control characters and spaces are trimmed,
    and a backslash counts as a slash. Only what is then a plain path (one leading slash,
    no scheme, no host) is kept, in that normalised form, so `/\t/evil.example` or
    `/\\evil.example` can never become `//evil.example`, and CR/LF never reach a header.
    """
    home = url_for("dashboard.index")
    if not target:
        return home
    seen = _URL_NOISE.sub("", target).strip("".join(map(chr, range(0x21)))).replace("\\", "/")
    if not seen.startswith("/") or seen.startswith("//") or not seen.isprintable():
        return home
    parts = urlsplit(seen)
    if parts.scheme or parts.netloc:
        return home
    return seen


DEVICE_COOKIE = "planner_device"
DEVICE_DAYS = 365


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="planner.device")


def _known_device(account: str) -> str | None:
    """The id of this browser's device cookie if it signed in to `account` before (the
    cookie is signed with the app's key: a forged one, or one for another account, is
    none)."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    try:
        value = _devices().loads(raw) if raw else None
    except BadSignature:
        return None
    if isinstance(value, dict) and value.get("a") == account and \
            isinstance(value.get("d"), str):
        return str(value["d"])
    return None


def _remember_device(response: Response, account: str, device: str | None) -> None:
    """Give a browser that signed in a device cookie for the account (OWASP's device
    cookies): a year, HttpOnly, SameSite=Lax, Secure like the session cookie."""
    value = _devices().dumps({"a": account, "d": device or secrets.token_urlsafe(16)})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, httponly=True,
                        samesite="Lax", secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
                        path="/sign-in")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int]:
    """Show the sign-in form, or check it and start the session."""
    form = SignInForm()
    status = 200
    problem = ""
    if request.method == "POST":
        if form.validate():
            account = normalise_email(form.email.data or "")
            throttle = security.sign_in_throttle()
            # A browser that signed in to this account before (its device cookie) has a
            # count of its own; every other browser shares the account's count, so a
            # stranger's guesses cannot lock the owner out of a browser they used before.
            device = _known_device(account)
            # (A space, which no email address holds, separates them: PostgreSQL cannot
            # store a NUL character.)
            counted = f"{account[:200]} device:{device}" if device else account
            # The attempt is counted before the password is checked, so a burst of parallel
            # guesses cannot get past the limit; a refused attempt learns nothing.
            wait = throttle.attempt(counted)
            if wait:
                security.refuse_sign_in(wait)
            user = authenticate(account[:254], form.password.data or "")
            if user is not None:
                throttle.succeeded(counted)
                target = safe_next(request.args.get("next"))
                start_session(user)
                response = redirect(target, code=303)
                _remember_device(response, account, device)
                return response
            problem = WRONG
        else:
            problem = " ".join(e for errs in form.errors.values() for e in errs)
        status = 400
    context: dict[str, Any] = {"form": form, "problem": problem}
    return render_template("web/sign_in.html", **context), status


@bp.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | tuple[str, int]:
    """Let a signed-in consultant change their password; other browsers are signed out."""
    user = require_user()
    form = PasswordForm()
    problems: list[str] = []
    if request.method == "POST":
        if not form.validate():
            problems = [e for errs in form.errors.values() for e in errs]
        elif not check_password_hash(user.password_hash, form.current.data or ""):
            problems = ["The current password is wrong."]
        elif form.new.data != form.confirm.data:
            problems = ["The two new passwords are not the same."]
        elif form.new.data == form.current.data:
            problems = ["The new password must differ from the current one."]
        else:
            try:
                set_password(user, form.new.data or "")
            except AccountError as exc:
                problems = [f"This password cannot be used: {exc}."]
            else:
                start_session(user)  # every other session ended; this browser stays in
                return redirect(url_for("dashboard.index", password_changed=1), code=303)
    context: dict[str, Any] = {"form": form, "problems": problems, "min_password": MIN_PASSWORD}
    return render_template("web/password.html", **context), (400 if problems else 200)


@bp.post("/sign-out")
def sign_out() -> Response:
    """End the session on the server (a copied cookie stops working too)."""
    end_session()
    return redirect(url_for("start.index", signed_out=1), code=303)


def owned_interview(interview_id: int) -> db.Interview | None:
    """The interview with this id if the signed-in consultant owns it, else None."""
    user = current_user()
    if user is None:
        return None
    row = db.session().get(db.Interview, interview_id)
    return row if row is not None and row.owner_id == user.id else None


@bp.app_context_processor
def _user_global() -> dict[str, Any]:
    # An error page must still render when the database is what failed.
    try:
        return {"current_user": current_user()}
    except SQLAlchemyError:
        return {"current_user": None}
