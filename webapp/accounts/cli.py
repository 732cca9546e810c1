"""`flask users create EMAIL --password PW [--admin]`."""

import click
from flask.cli import AppGroup

from webapp.accounts.service import create_user

users_cli = AppGroup("users", help="Manage Beacon users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The new user's password.")
@click.option("--admin", is_flag=True, help="Give the user the admin role.")
def create_user_command(email: str, password: str, admin: bool) -> None:
    """Create a user (subscriber unless --admin)."""
    try:
        user = create_user(email, password, role="admin" if admin else "subscriber")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.role} {user.email} (id {user.id})")
