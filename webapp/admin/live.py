"""Live admin pages: operation and job changes pushed to admins over Socket.IO.

The admin pages connect to the ``/notifications`` namespace (whose connect handler refuses
anyone not logged in) and send ``admin_join``; an admin's session then enters the ``admins``
room. Changes reach that room as:

* ``admin_operation`` ``{"id", "state", "name"}``, from ``operation_changed``;
* ``admin_job``: a job's ``JobStatus.to_dict()``, from ``job_status_changed``.

Both signals are sent in the process that made the change (a web process, an embedded or a
standalone consumer); the emit reaches browsers connected to other processes through the
Socket.IO message queue (Redis) when there is one. Without one, only browsers connected to
the process that made the change hear of it; the page shows the latest state when (re)loaded.

An operation's updates go out at most every ``OPERATION_EVERY`` seconds, the latest always: a
step of a short action changes the state twice in a few milliseconds, and each emit is a
message-queue publish that no page can show faster than it can be read.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_login import current_user

from webapp.coalesce import Coalescer
from webapp.database import this_app
from webapp.extensions import db
from webapp.jobs.signals import job_status_changed
from webapp.operations import operation_changed

log = logging.getLogger(__name__)

NAMESPACE = "/notifications"
ADMIN_ROOM = "admins"
_EXTENSION = "beacon.admin_live"


def init_live(app: Flask) -> None:
    """Handle ``admin_join`` on this app's Socket.IO server, and emit through it."""
    from webapp.extensions import socketio

    server = socketio.server
    app.extensions[_EXTENSION] = server

    def admin_join(sid: str, data: Any = None) -> dict[str, Any]:
        environ = server.get_environ(sid, namespace=NAMESPACE)
        if environ is None:
            return {"ok": False, "error": "not connected"}
        with app.request_context(environ):
            try:
                allowed = current_user.is_authenticated and current_user.sees_admin
            finally:
                db.session.remove()
        if not allowed:
            return {"ok": False, "error": "admins only"}
        server.enter_room(sid, ADMIN_ROOM, namespace=NAMESPACE)
        return {"ok": True}

    server.on("admin_join", admin_join, namespace=NAMESPACE)


def emit_to_admins(event: str, data: dict[str, Any]) -> None:
    """Send an event to every admin page connected (here or, via the queue, elsewhere)."""
    if not has_app_context():
        return
    server = current_app.extensions.get(_EXTENSION)
    if server is None:
        return
    try:
        server.emit(event, data, to=ADMIN_ROOM, namespace=NAMESPACE)
    except Exception:  # a live update is a courtesy: never fail the change that caused it
        log.exception("could not send %s to the admin room", event)


#: Seconds between two live updates of one operation (the latest is always sent).
OPERATION_EVERY = 0.1


def _send_operation(_op_id: int, update: tuple[Flask, dict[str, Any]]) -> None:
    app, payload = update
    with app.app_context():
        emit_to_admins("admin_operation", payload)


_operations: Coalescer[int, tuple[Flask, dict[str, Any]]] = Coalescer(
    OPERATION_EVERY, _send_operation, name="beacon-admin-live"
)


@operation_changed.connect
def on_operation_changed(op_id: int, **kwargs: Any) -> None:
    if not has_app_context() or _EXTENSION not in current_app.extensions:
        return
    update = (this_app(), {"id": op_id, "state": kwargs.get("state"), "name": kwargs.get("name")})
    if _operations.offer(op_id, update):
        _send_operation(op_id, update)


@job_status_changed.connect
def on_job_status_changed(sender: Any, **kwargs: Any) -> None:
    job = kwargs.get("job")
    if isinstance(job, dict):
        emit_to_admins("admin_job", job)
