"""Users, roles, login sessions, login and logout.

Public API: ``User``, ``ROLES``, ``create_user``, ``get_user_by_email``, ``authenticate``,
``change_password``; ``log_in`` / ``log_out`` (a login session per browser) and
``end_sessions`` (sign a user out of some or all of their sessions, everywhere at once).
"""

from flask import Blueprint

from webapp.accounts.models import ROLES, LoginSession, User
from webapp.accounts.service import (
    authenticate,
    change_password,
    create_user,
    get_user_by_email,
)
from webapp.accounts.sessions import end_sessions, log_in, log_out

bp = Blueprint("accounts", __name__)

__all__ = [
    "ROLES",
    "LoginSession",
    "User",
    "authenticate",
    "bp",
    "change_password",
    "create_user",
    "end_sessions",
    "get_user_by_email",
    "log_in",
    "log_out",
]

from webapp.accounts import routes  # noqa: E402,F401
