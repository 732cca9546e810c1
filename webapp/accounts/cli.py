"""`flask users create EMAIL --password PW [--role admin|viewer|subscriber]`."""

import click
from flask.cli import AppGroup

from webapp.accounts.models import ROLES
from webapp.accounts.service import create_user

users_cli = AppGroup("users", help="Manage Beacon users.")


@users_cli.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The new user's password.")
@click.option("--admin", is_flag=True, help="Give the user the admin role (as --role admin).")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default=None,
    help="admin, viewer (reads the admin area, changes nothing) or subscriber (the default).",
)
def create_user_command(email: str, password: str, admin: bool, role: str | None) -> None:
    """Create a user (a subscriber unless --role or --admin says otherwise)."""
    if admin and role not in (None, "admin"):
        raise click.ClickException(f"--admin and --role {role} disagree")
    try:
        user = create_user(email, password, role="admin" if admin else role or "subscriber")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.role} {user.email} (id {user.id})")
