"""Organizations set up from the web (issue 31): a signed-in consultant creates one and
becomes its supervisor; a supervisor adds an existing consultant by email, with a role, and
changes a member's role. An added consultant joins only once they accept on this page (a
supervisor reads every community of the organization's consultants). Every change goes in
the organization's audit trail. Plain forms: no JavaScript needed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from planner.web import accounts, db, portfolio
from planner.web.portfolio import ROLES, Member, Organization, OrganizationEvent, record

bp = Blueprint("organization", __name__)

NAME_MAX = 200
EVENTS_SHOWN = 20
ROLE_WORDS = {"consultant": "Consultant: sees and changes their own communities",
              "supervisor": "Supervisor: sees every community of the organization, "
                            "read-only, and manages its members"}
SAVED = {"created": "Organization created. You are its supervisor.",
         "invited": "Added. They join once they accept on their organization page.",
         "role": "Role saved.", "accepted": "You joined the organization.",
         "declined": "Invitation declined."}
NOT_SUPERVISOR = ("Only a supervisor of the organization can add consultants or change "
                  "roles. Nothing was changed.")


def _supervisor(user: accounts.User) -> Member:
    member = portfolio.membership(user)
    if member is None or member.role != "supervisor":
        abort(403, description=NOT_SUPERVISOR)
    return member


def _members(member: Member) -> list[tuple[accounts.User, Member]]:
    """The organization's members and invitations, by name, then email, then id."""
    return [(row[0], row[1]) for row in db.session().execute(
        select(accounts.User, Member).join(Member, Member.user_id == accounts.User.id)
        .where(Member.organization_id == member.organization_id)
        .order_by(accounts.User.name, accounts.User.email, accounts.User.id))]


def _page(user: accounts.User, *, errors: list[str] | None = None,
          form: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    member = portfolio.membership(user)
    invited = portfolio.invitation(user)
    supervisor = member is not None and member.role == "supervisor"
    events: list[Any] = []
    if member is not None and supervisor:
        events = list(db.session().scalars(
            select(OrganizationEvent)
            .where(OrganizationEvent.organization_id == member.organization_id)
            .order_by(OrganizationEvent.at.desc(), OrganizationEvent.id.desc())
            .limit(EVENTS_SHOWN)))
    return render_template(
        "web/organization.html", member=member, supervisor=supervisor,
        organization=(db.session().get(Organization, member.organization_id)
                      if member else None),
        invited=invited, invited_to=(db.session().get(Organization, invited.organization_id)
                                     if invited else None),
        members=_members(member) if supervisor and member else [], events=events,
        roles=ROLES, role_words=ROLE_WORDS, errors=errors or [], form=form or {},
        saved=SAVED.get(request.args.get("saved") or ""), me=user), status


def _done(what: str) -> Response:
    return redirect(url_for(".page", saved=what) + "#saved", code=303)


@bp.get("/organization")
def page() -> tuple[str, int]:
    """The consultant's organization: create one, answer an invitation, or (a supervisor)
    its members, their roles and its recent changes."""
    return _page(accounts.require_user())


@bp.post("/organization")
def create() -> Response | tuple[str, int]:
    """Create an organization; its creator becomes its supervisor."""
    user = accounts.require_user()
    raw = request.form.get("name") or ""
    name = " ".join(raw.split())
    form = {"name": raw[:NAME_MAX + 50]}
    if portfolio.membership(user) is not None:
        return _page(user, errors=["You already belong to an organization, so you cannot "
                                   "create another."], form=form, status=400)
    problem = ("Give the organization a name." if not name else
               f"Keep the name to {NAME_MAX} characters." if len(name) > NAME_MAX else
               "")
    if not problem and db.session().scalar(select(func.count(Organization.id)).where(
            func.lower(Organization.name) == name.lower())):
        problem = (f"An organization named \u201c{name}\u201d exists already. Ask one of its "
                   "supervisors to add you, or choose another name.")
    if problem:
        return _page(user, errors=[problem], form=form, status=400)
    org = Organization(name=name)
    db.session().add(org)
    try:
        db.session().flush()
        mine = db.session().get(Member, user.id)  # an unanswered invitation is replaced
        if mine is None:
            db.session().add(Member(user_id=user.id, organization_id=org.id,
                                    role="supervisor", joined=True))
        else:
            mine.organization_id, mine.role, mine.joined = org.id, "supervisor", True
        record(org.id, user.display, "created",
               f"{user.display} created the organization and is its supervisor.")
        db.session().commit()
    except IntegrityError:  # the same name, created a moment ago
        db.session().rollback()
        return _page(user, errors=[f"An organization named \u201c{name}\u201d exists "
                                   "already. Choose another name."], form=form, status=400)
    return _done("created")


def _role(text: str | None) -> str | None:
    value = (text or "").strip()
    return value if value in ROLES else None


@bp.post("/organization/members")
def add() -> Response | tuple[str, int]:
    """Add an existing consultant by email with a role: an invitation they accept."""
    user = accounts.require_user()
    member = _supervisor(user)
    email = accounts.normalise_email(request.form.get("email") or "")[:254]
    role = _role(request.form.get("role"))
    form = {"email": email, "role": request.form.get("role") or ""}
    errors = []
    if not email:
        errors.append("Enter the consultant\u2019s email address.")
    if role is None:
        errors.append("Choose a role: consultant or supervisor.")
    target = accounts.find_user(email) if email else None
    if email and target is None:
        errors.append(f"There is no consultant account for {email}. An administrator "
                      "creates accounts; add them once they have one.")
    elif target is not None:
        theirs = db.session().get(Member, target.id)
        if theirs is not None and theirs.organization_id == member.organization_id:
            errors.append(f"{target.display} is already "
                          f"{'in' if theirs.joined else 'invited to'} your organization; "
                          "change their role in the list of members.")
        elif theirs is not None:
            errors.append(f"{target.display} belongs to another organization, or has an "
                          "invitation from one waiting, so they cannot be added.")
    if errors or target is None or role is None:
        return _page(user, errors=errors, form=form, status=400)
    db.session().add(Member(user_id=target.id, organization_id=member.organization_id,
                            role=role, joined=False))
    record(member.organization_id, user.display, "invited",
           f"{user.display} added {target.display} ({target.email}) as a {role}; they join "
           "once they accept.")
    try:
        db.session().commit()
    except IntegrityError:  # someone else added them a moment ago
        db.session().rollback()
        return _page(user, errors=[f"{target.display} was added to an organization a "
                                   "moment ago. Nothing was changed."], form=form, status=400)
    return _done("invited")


@bp.post("/organization/members/<int:user_id>/role")
def set_role(user_id: int) -> Response | tuple[str, int]:
    """Change a member's (or an invitation's) role; the organization keeps a supervisor."""
    user = accounts.require_user()
    member = _supervisor(user)
    theirs = db.session().get(Member, user_id)
    if theirs is None or theirs.organization_id != member.organization_id:
        abort(404, description="There is no such member of your organization.")
    role = _role(request.form.get("role"))
    if role is None:
        return _page(user, errors=["Choose a role: consultant or supervisor."], status=400)
    others = db.session().scalar(select(func.count(Member.user_id)).where(
        Member.organization_id == member.organization_id, Member.role == "supervisor",
        Member.joined.is_(True), Member.user_id != theirs.user_id))
    if role != "supervisor" and theirs.joined and theirs.role == "supervisor" and not others:
        return _page(user, errors=["The organization needs a supervisor: make someone else "
                                   "a supervisor first. Nothing was changed."], status=400)
    target = db.session().get(accounts.User, theirs.user_id)
    if role != theirs.role:
        record(member.organization_id, user.display, "role",
               f"{user.display} changed {target.display if target else 'a member'} from "
               f"{theirs.role} to {role}.")
        theirs.role = role
        db.session().commit()
    return _done("role")


@bp.post("/organization/invitation")
def answer() -> Response | tuple[str, int]:
    """Accept or decline the invitation waiting for the signed-in consultant."""
    user = accounts.require_user()
    invited = portfolio.invitation(user)
    action = request.form.get("action")
    if invited is None:
        return _page(user, errors=["There is no invitation waiting for you."], status=400)
    if action not in ("accept", "decline"):
        return _page(user, errors=["Accept or decline the invitation."], status=400)
    org_id = invited.organization_id
    if action == "accept":
        invited.joined = True
        record(org_id, user.display, "joined",
               f"{user.display} accepted and joined as a {invited.role}.")
    else:
        db.session().delete(invited)
        record(org_id, user.display, "declined", f"{user.display} declined the invitation.")
    db.session().commit()
    return _done("accepted" if action == "accept" else "declined")
