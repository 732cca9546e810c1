"""The JSON API blueprint (mounted at /api): one module per resource.

Every error is ``{"error": "..."}`` with its status (``webapp.errors``); views return dicts.
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from webapp.api import jobs, notifications, openapi  # noqa: E402,F401
