"""Users, roles, login and logout."""

from flask import Blueprint

from webapp.accounts.models import ROLES, User
from webapp.accounts.service import authenticate, create_user, get_user_by_email

bp = Blueprint("accounts", __name__)

__all__ = ["ROLES", "User", "authenticate", "bp", "create_user", "get_user_by_email"]

from webapp.accounts import routes  # noqa: E402,F401
