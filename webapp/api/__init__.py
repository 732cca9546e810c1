"""The JSON API blueprint (mounted at /api): one module per resource.

Every error is ``{"error": "..."}`` with its status (``webapp.errors``); views return dicts.
Who may call and what body each route takes are checked against the OpenAPI document before
the view runs (``checks.py``).
"""

from flask import Blueprint

bp = Blueprint("api", __name__)

from webapp.api import checks, jobs, notifications, openapi  # noqa: E402,F401
