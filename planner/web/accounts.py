"""Consultant accounts: sign in and out with a hashed password, kept in the signed session.

Passwords are hashed with werkzeug's scrypt; the session holds only the user's id
and a fingerprint of the password hash, so changing a password signs out every
other browser.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import DateTime, ForeignKey, Integer, String, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import InputRequired, Length

from planner.web import db
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


class AccountError(ValueError):
    """Raised for an account that cannot be created."""


def normalise_email(email: str) -> str:
    """The stored form of an email address (trimmed, lower case)."""
    return email.strip().lower()


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if len(password) > 1000:
        raise AccountError("the password must be at most 1000 characters")


def create_user(email: str, password: str, name: str = "") -> User:
    """Store a new consultant; raise AccountError for a taken email or a short password."""
    address = normalise_email(email)
    if "@" not in address or len(address) > 254:
        raise AccountError("give a valid email address")
    _check_password(password)
    db_session = db.session()
    if db_session.scalars(select(User).where(User.email == address)).first():
        raise AccountError(f"an account for {address} already exists")
    user = User(email=address, name=name.strip()[:200],
                password_hash=generate_password_hash(password, method="scrypt"))
    db_session.add(user)
    db_session.commit()
    return user


def set_password(user: User, password: str) -> None:
    """Give the user a new password (signing out every browser that used the old one)."""
    _check_password(password)
    user.password_hash = generate_password_hash(password, method="scrypt")
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
        uid = session.get("user_id")
        if isinstance(uid, int):
            found = db.session().get(User, uid)
            if found is not None and session.get("auth") == _fingerprint(found.password_hash):
                user = found
        g.current_user = user
    found_user: User | None = g.current_user
    return found_user


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


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int]:
    """Show the sign-in form, or check it and start the session."""
    form = SignInForm()
    status = 200
    problem = ""
    if request.method == "POST":
        if form.validate():
            user = authenticate(form.email.data or "", form.password.data or "")
            if user is not None:
                target = safe_next(request.args.get("next"))
                session.clear()
                session["user_id"] = user.id
                session["auth"] = _fingerprint(user.password_hash)
                return redirect(target, code=303)
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
            set_password(user, form.new.data or "")
            session["auth"] = _fingerprint(user.password_hash)  # this browser stays signed in
            return redirect(url_for("dashboard.index", password_changed=1), code=303)
    context: dict[str, Any] = {"form": form, "problems": problems, "min_password": MIN_PASSWORD}
    return render_template("web/password.html", **context), (400 if problems else 200)


@bp.post("/sign-out")
def sign_out() -> Response:
    """End the session."""
    session.clear()
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
