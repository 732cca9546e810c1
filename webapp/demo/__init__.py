"""The demo application's web side: connected accounts, CSV exports, subscriptions, events.

Its jobs live in ``tasks/demo`` (the sync, the export, the fulfillment actions, the health
check); this package holds the model they work on, the pages that start them, and the seeder
``flask beacon seed`` runs. ``init_app`` registers all of it on an app.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("demo", __name__)


def init_app(app: Flask) -> None:
    """Register the demo's pages, nav links and overview panel."""
    from webapp.demo import events, exports, routes, subscribe  # noqa: F401  (the views)
    from webapp.ui import add_nav, add_panel

    app.register_blueprint(bp, url_prefix="/demo")
    add_nav(app, "demo.accounts", "Accounts")
    add_nav(app, "demo.subscribe", "Subscribe")
    add_nav(app, "demo.events", "Events")
    add_panel(app, "demo/_panel.html")
