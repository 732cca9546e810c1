"""The ``/notifications`` Socket.IO namespace: who may connect, and ``resume``.

A plain python-socketio namespace registered on this app's own server: its handlers push this
app's contexts themselves, so they keep working whichever app the global ``socketio`` object
was last bound to (tests build many apps in one process).

Client → server: ``resume`` ``{"after": <last seen id>, "system": <bool, optional>}``; the
same two fields may be sent as the connection's ``auth``. Server → client: ``activity``,
``alert``, ``alert_resolved``, ``unread``, ``job``, ``error`` (a malformed request; the
connection stays), ``backlog_truncated`` (more was missed than one backlog holds).
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from flask import Flask
from flask_login import current_user

from webapp.database import begin_read_only, db
from webapp.notifications.fanout import NAMESPACE, Fanout
from webapp.notifications.feed import parse_id

log = logging.getLogger(__name__)


def parse_resume(data: Any) -> tuple[int, bool | None]:
    """``(after, system)`` from a resume payload; ValueError names what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"resume expects an object like {{'after': 0}}, got {data!r:.60}")
    if "after" not in data:
        raise ValueError("resume needs 'after': the id of the last activity you saw (or 0)")
    if isinstance(data["after"], str):
        raise ValueError(f"after must be an integer, got {data['after']!r:.40}")
    after = parse_id(data["after"], "after", allow_zero=True)
    system = data.get("system")
    if system is not None and not isinstance(system, bool):
        raise ValueError(f"system must be true or false, got {system!r:.40}")
    return after, system


class NotificationsNamespace(socketio.Namespace):
    """Connect (logged-in users only), resume, disconnect."""

    def __init__(self, app: Flask, fanout: Fanout) -> None:
        super().__init__(NAMESPACE)
        self.app = app
        self.fanout = fanout

    def on_connect(self, sid: str, environ: dict, auth: Any = None) -> bool:
        with self.app.request_context(environ):
            begin_read_only(db.session, each_statement=True)
            if not current_user.is_authenticated:
                raise socketio.exceptions.ConnectionRefusedError("login required")
            user_id, is_admin = current_user.id, current_user.is_admin
            session_id = current_user.login_session.id
        after: int | None = None
        system: bool | None = False
        error: str | None = None
        if auth is not None:
            try:
                after, system = parse_resume(auth)
            except ValueError as exc:
                error = str(exc)
        self.fanout.ensure_started()
        self.fanout.connect(sid, user_id, is_admin, session_id, after, bool(system), error)
        return True

    def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.fanout.disconnect(sid)

    def on_malformed(self, sid: str, reason: Any = None) -> None:
        """A packet that could not be read (``webapp.inputs.SocketPacket``): say why."""
        self.emit("error", {"message": str(reason)}, to=sid, ignore_queue=True)

    def on_resume(self, sid: str, data: Any = None) -> None:
        try:
            after, system = parse_resume(data)
        except ValueError as exc:
            self.emit("error", {"message": str(exc)}, to=sid, ignore_queue=True)
            return
        self.fanout.resume(sid, after, system)


def register(app: Flask, server: Any) -> Fanout:
    """Create this app's fan-out and namespace on its Socket.IO server."""
    fanout = Fanout(app, server)
    app.extensions["beacon.fanout"] = fanout
    server.register_namespace(NotificationsNamespace(app, fanout))
    return fanout
