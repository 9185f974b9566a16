"""`planner add-user`: create a consultant account from the command line."""

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
