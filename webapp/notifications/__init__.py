"""The notification center: the feed, read state, and the live fan-out over Socket.IO.

Public API: ``bp`` (the feed page), ``init_ui(app)`` (nav link, scripts, bell, jobs panel),
``init_socket(app)`` (the ``/notifications`` namespace and its fan-out thread, started by
``start_fanout`` as a web starter), ``feed`` (queries and read marks), ``fanout_for(app)``.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("notifications", __name__)

SCRIPTS = ("vendor/socket.io/socket.io.min.js", "js/connect.js", "js/notifications.js")


def init_ui(app: Flask) -> None:
    """Register the feed page, its nav link, the page scripts and the jobs panel."""
    from webapp.ui import add_nav, add_panel, add_script

    app.register_blueprint(bp)
    add_nav(app, "notifications.feed_page", "Notifications")
    for script in SCRIPTS:
        add_script(app, script)
    add_panel(app, "notifications/_jobs.html")


def init_socket(app: Flask) -> None:
    """The ``/notifications`` namespace on this app's Socket.IO server, and its fan-out."""
    from webapp.extensions import socketio
    from webapp.notifications.events import register

    register(app, socketio.server)


def start_fanout(app: Flask) -> None:
    """Tail the Activity log in this web process (idempotent): ``serving.start_web``."""
    from webapp.notifications.fanout import fanout_for

    fanout = fanout_for(app)
    if fanout is not None:
        fanout.start()


from webapp.notifications import feed, routes, wake  # noqa: E402,F401
from webapp.notifications.fanout import fanout_for  # noqa: E402

__all__ = ["bp", "fanout_for", "feed", "init_socket", "init_ui", "start_fanout"]
