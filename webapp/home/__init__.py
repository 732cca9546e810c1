"""The landing page."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from webapp.home import routes  # noqa: E402,F401
