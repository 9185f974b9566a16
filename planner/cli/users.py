"""`planner add-user` and `planner set-password`: consultant accounts from the command line."""

from __future__ import annotations

import click


@click.command("add-user")
@click.argument("email")
@click.option("--name", default="",
              help="The consultant's name, shown in notes and the audit trail.")
@click.password_option(help="The password (asked twice if not given; at least 12 characters).")
def add_user_command(email: str, name: str, password: str) -> None:
    """Create a consultant account that can sign in at /sign-in."""
    from planner import create_app
    from planner.web import accounts

    app = create_app()
    with app.app_context():
        try:
            user = accounts.create_user(email, password, name)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created the account {user.email}.")


@click.command("revoke-sessions")
@click.argument("email")
def revoke_sessions_command(email: str) -> None:
    """End every signed-in session of a consultant's account, in every browser."""
    from planner import create_app
    from planner.web import accounts, db

    app = create_app()
    try:
        with app.app_context():
            user = accounts.find_user(email)
            if user is None:
                raise click.ClickException(
                    f"there is no account for {accounts.normalise_email(email)}")
            ended = accounts.revoke_sessions(user)
            db.session().commit()
            click.echo(f"Ended {ended} session{'s' if ended != 1 else ''} of {user.email}.")
    finally:
        app.extensions["planner.engine"].dispose()  # no connection left open


@click.command("set-password")
@click.argument("email")
@click.password_option(help="The new password (asked twice if not given; at least 12 characters).")
def set_password_command(email: str, password: str) -> None:
    """Reset a consultant's password; every browser signed in to the account is signed out."""
    from planner import create_app
    from planner.web import accounts

    app = create_app()
    with app.app_context():
        user = accounts.find_user(email)
        if user is None:
            raise click.ClickException(f"there is no account for {accounts.normalise_email(email)}")
        try:
            accounts.set_password(user, password)
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Set a new password for {user.email}; its other sessions are signed out.")


@click.command("join-organization")
@click.argument("email")
@click.argument("organization")
@click.option("--supervisor", is_flag=True,
              help="A supervisor sees every community of the organization and changes none.")
def join_organization_command(email: str, organization: str, supervisor: bool) -> None:
    """Put a consultant in a TTA provider's organization (created if new), for /portfolio."""
    from planner import create_app
    from planner.web import accounts, portfolio

    app = create_app()
    try:
        with app.app_context():
            user = accounts.find_user(email)
            if user is None:
                raise click.ClickException(
                    f"there is no account for {accounts.normalise_email(email)}")
            try:
                portfolio.join(user, organization, "supervisor" if supervisor else "consultant")
            except ValueError as exc:
                raise click.ClickException(str(exc)) from exc
            click.echo(f"{user.email} is now a {'supervisor' if supervisor else 'consultant'} "
                       f"of {' '.join(organization.split())}.")
    finally:
        app.extensions["planner.engine"].dispose()
