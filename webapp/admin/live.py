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
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_login import current_user

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
                allowed = current_user.is_authenticated and current_user.is_admin
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


class LatestOnly:
    """Per key: send at once if nothing was sent for that key in the last ``every`` seconds;
    otherwise keep only the latest payload, which one background thread sends when the
    interval is up."""

    def __init__(self, every: float, send: Callable[[Flask, dict[str, Any]], None]) -> None:
        self.every = every
        self.send = send
        self.wakeup = threading.Condition()
        self.sent_at: dict[Any, float] = {}
        #: key -> (due time, app, latest payload)
        self.held: dict[Any, tuple[float, Flask, dict[str, Any]]] = {}
        self._thread: threading.Thread | None = None

    def submit(self, app: Flask, key: Any, payload: dict[str, Any]) -> None:
        with self.wakeup:
            now = time.monotonic()
            if key in self.held:  # a send is due: it will carry this one instead
                due, _, _ = self.held[key]
                self.held[key] = (due, app, payload)
                return
            last = self.sent_at.get(key)
            if last is not None and now - last < self.every:
                self.held[key] = (last + self.every, app, payload)
                self._ensure_thread()
                self.wakeup.notify()
                return
            self.sent_at[key] = now
            self._forget_old(now)
        self.send(app, payload)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="beacon-admin-live", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self.wakeup:
                while not self.held:
                    self.wakeup.wait()
                now = time.monotonic()
                due = [key for key, (at, _, _) in self.held.items() if at <= now]
                if not due:
                    self.wakeup.wait(min(at for at, _, _ in self.held.values()) - now)
                    continue
                batch = [self.held.pop(key)[1:] for key in due]
                for key in due:
                    self.sent_at[key] = now
            for app, payload in batch:
                try:
                    self.send(app, payload)
                except Exception:  # a live update is a courtesy: keep the thread alive
                    log.exception("held-back live update not sent")

    def _forget_old(self, now: float) -> None:
        if len(self.sent_at) > 1000:
            for key in [k for k, t in self.sent_at.items() if now - t >= self.every]:
                del self.sent_at[key]


def _send_operation(app: Flask, payload: dict[str, Any]) -> None:
    with app.app_context():
        emit_to_admins("admin_operation", payload)


_operations = LatestOnly(OPERATION_EVERY, _send_operation)


@operation_changed.connect
def on_operation_changed(op_id: int, **kwargs: Any) -> None:
    if not has_app_context() or _EXTENSION not in current_app.extensions:
        return
    _operations.submit(
        this_app(),
        op_id,
        {"id": op_id, "state": kwargs.get("state"), "name": kwargs.get("name")},
    )


@job_status_changed.connect
def on_job_status_changed(sender: Any, **kwargs: Any) -> None:
    job = kwargs.get("job")
    if isinstance(job, dict):
        emit_to_admins("admin_job", job)
