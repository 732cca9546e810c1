"""The fan-out: each web process tails the Activity log and serves its own Socket.IO sessions.

Delivery never depends on a fire-and-forget message. A thread reads the log by id (woken by
the in-process commit signal, by Redis pub/sub from other processes, else by a short poll),
``LogTail`` releases rows in id order (waiting briefly for ids that commit late), and each
row goes to every ready session of its owner, straight to the session's sid
(``ignore_queue``: never through the Socket.IO message queue).

Exactly once per connection: a session becomes *ready* under ``lock``: first the backlog
(its visible rows in ``(after, horizon]`` minus gaps), then live rows past the horizon;
rows already sent to it (a bounded set) are never sent again, even on a repeated ``resume``.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select

from webapp.accounts.sessions import REVOKED, live_session_ids
from webapp.activity import Activity, activity_committed
from webapp.database import READ_ONLY
from webapp.extensions import db
from webapp.notifications import delivery
from webapp.notifications.jobs import JobFeed
from webapp.notifications.signals import read_state_changed
from webapp.notifications.tail import LogTail

log = logging.getLogger(__name__)

NAMESPACE = "/notifications"
#: Ids remembered per session to keep a repeated resume (or a late row) from duplicating.
SENT_MEMORY = 10_000


class RecentIds:
    """A set that forgets its oldest members past ``size``."""

    def __init__(self, size: int = SENT_MEMORY) -> None:
        self.order: deque[int] = deque()
        self.members: set[int] = set()
        self.size = size

    def add(self, value: int) -> None:
        if value in self.members:
            return
        self.order.append(value)
        self.members.add(value)
        if len(self.order) > self.size:
            self.members.discard(self.order.popleft())

    def __contains__(self, value: object) -> bool:
        return value in self.members


@dataclass(eq=False)
class Subscriber:
    """One Socket.IO session of a logged-in user."""

    sid: str
    user_id: int
    is_admin: bool
    #: The login session the socket connected with: its ending disconnects the socket.
    session_id: int
    system: bool = False
    ready: bool = False
    #: Rows up to here came from the backlog (or the client had them); live rows start above.
    after: int = 0
    #: Set on connect, until the tailer sees the connection established: (after, error).
    pending: tuple[int, str | None] | None = None
    sent: RecentIds = field(default_factory=RecentIds)


def readonly_session() -> None:
    """Make this app context's session read-only. SQLite: a plain deferred BEGIN (one
    snapshot for all its reads). PostgreSQL: autocommit, so each statement reads its own
    snapshot as it does under READ COMMITTED anyway, without a BEGIN before the first and a
    ROLLBACK when the session ends (two round trips, on every step of the fan-out)."""
    options: dict[str, Any] = dict(READ_ONLY)
    if db.session.get_bind().dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    db.session.connection(execution_options=options)


_running: weakref.WeakSet[Fanout] = weakref.WeakSet()
_start_lock = threading.Lock()


class Fanout:
    """The tailer thread and the sessions of one app in this process."""

    def __init__(self, app: Flask, server: Any) -> None:
        self.app = app
        self.server = server
        cfg = app.config
        self.poll = float(cfg["BEACON_FANOUT_POLL"])
        self.idle_poll = float(cfg["BEACON_FANOUT_IDLE_POLL"])
        self.gap_wait = float(cfg["BEACON_FANOUT_GAP_WAIT"])
        self.gap_ttl = float(cfg["BEACON_FANOUT_GAP_TTL"])
        self.backlog_limit = int(cfg["BEACON_FANOUT_BACKLOG"])
        self.lock = threading.RLock()
        self.subscribers: dict[str, Subscriber] = {}
        self.by_user: dict[int, set[str]] = {}
        self.system_room: set[str] = set()
        self.tail: LogTail | None = None
        self.dirty_unread: set[int] = set()
        self.jobs = JobFeed(self)
        self.listener = None
        #: Without Redis, on SQLite: notices commits of other processes between polls.
        self.watch = None
        self.watch_every = float(cfg.get("BEACON_FANOUT_WATCH", 0.005))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> None:
        """Start tailing from the newest id (and listening to Redis hints when configured)."""
        if self._thread is not None:
            return
        with self.app.app_context():
            readonly_session()
            start = db.session.scalar(select(func.max(Activity.id))) or 0
            url = db.engine.url
            db.session.remove()
        self.tail = LogTail(start, gap_wait=self.gap_wait, gap_ttl=self.gap_ttl)
        if self.app.config.get("REDIS_URL"):
            from webapp.notifications.wake import Listener

            self.listener = Listener(self.app, self.wake, self.read_changed, self.job_changed)
            self.listener.start()
        else:
            from webapp.notifications.wake import WalWatch

            self.watch = WalWatch.for_url(url)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="beacon-fanout", daemon=True)
        self._thread.start()
        _running.add(self)

    def ensure_started(self) -> None:
        """Start on first use when no web starter did (e.g. under gunicorn)."""
        if self._thread is None:
            with _start_lock:
                self.start()

    def stop(self) -> None:
        _running.discard(self)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.listener is not None:
            self.listener.stop()
            self.listener = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def wake(self) -> None:
        self._wake.set()

    def read_changed(self, user_id: int) -> None:
        """A user's read state changed: resend their unread count on the next step."""
        with self.lock:
            if user_id in self.by_user:
                self.dirty_unread.add(user_id)
        self._wake.set()

    def job_changed(self, owner_id: int, job: dict[str, Any]) -> None:
        """A job of this user changed: send its state (throttled) on the next step."""
        with self.lock:
            self.jobs.changed(owner_id, job)
        self._wake.set()

    def _interval(self) -> float:
        hinted = self.listener is not None and self.listener.subscribed
        with self.lock:
            busy = (
                (self.tail is not None and self.tail.waiting)
                or self.jobs.busy
                or any(s.pending for s in self.subscribers.values())
            )
        return self.poll if busy or not hinted else max(self.poll, self.idle_poll)

    def _wait(self, timeout: float) -> None:
        """Until woken or ``timeout``; with a WAL watch, also until the database changes."""
        if self.watch is None:
            self._wake.wait(timeout)
            return
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if self._wake.wait(min(self.watch_every, left)) or self.watch.changed():
                return

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wait(self._interval())
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                more = self.step()
            except Exception:
                log.exception("fan-out step failed; retrying")
                self._stop.wait(1.0)
                continue
            if more:
                self._wake.set()

    # Sessions (called from Socket.IO handlers).

    def connect(
        self,
        sid: str,
        user_id: int,
        is_admin: bool,
        session_id: int,
        after: int | None,
        system: bool,
        error: str | None = None,
    ) -> None:
        """Register a session; the tailer makes it ready once the connection is established."""
        with self.lock:
            horizon = self.tail.horizon if self.tail else 0
            sub = Subscriber(sid, user_id, is_admin, session_id)
            sub.pending = (horizon if after is None else after, error)
            self.subscribers[sid] = sub
            self.by_user.setdefault(user_id, set()).add(sid)
            self._set_system(sub, system)
        self._wake.set()

    def disconnect(self, sid: str) -> None:
        with self.lock:
            sub = self.subscribers.pop(sid, None)
            if sub is None:
                return
            sids = self.by_user.get(sub.user_id, set())
            sids.discard(sid)
            if not sids:
                self.by_user.pop(sub.user_id, None)
            self.system_room.discard(sid)

    def resume(self, sid: str, after: int, system: bool | None) -> bool:
        """Send what this session missed after ``after``, then live rows. False if unknown."""
        # The lock first, then a connection: waiting handlers must not hold pool connections.
        with self.lock, self.app.app_context():
            sub = self.subscribers.get(sid)
            if sub is None:
                return False
            readonly_session()
            try:
                if system is not None:
                    self._set_system(sub, system)
                sub.pending = None
                delivery.make_ready(self, sub, after)
            finally:
                db.session.remove()
        return True

    def _set_system(self, sub: Subscriber, system: bool) -> None:
        sub.system = system
        if system and sub.is_admin:
            self.system_room.add(sub.sid)
            self.server.enter_room(sub.sid, "system", namespace=NAMESPACE)
        elif sub.sid in self.system_room:
            self.system_room.discard(sub.sid)
            self.server.leave_room(sub.sid, "system", namespace=NAMESPACE)

    def emit(self, sid: str, event: str, data: Any) -> None:
        """Straight to this process's session: never through the message queue."""
        self.server.emit(event, data, to=sid, namespace=NAMESPACE, ignore_queue=True)

    def ready_subscribers(self, user_id: int) -> list[Subscriber]:
        return [
            self.subscribers[sid]
            for sid in self.by_user.get(user_id, ())
            if self.subscribers[sid].ready
        ]

    # The tailer.

    def step(self) -> bool:
        """Read, release and send what is due; True if more rows are waiting to be read."""
        with self.app.app_context():
            readonly_session()
            try:
                with self.lock:
                    return self._step_locked()
            finally:
                db.session.remove()

    def _step_locked(self) -> bool:
        tail = self.tail
        rows = delivery.read_after(tail.read_max)
        tail.add(rows)
        gap_ids = tail.due_gaps()
        late = tail.fill(delivery.read_ids(gap_ids)) if gap_ids else []
        released = tail.take()
        if released or late:
            self._end_revoked([*released, *late])
            delivery.deliver(self, released, late)
        arrived = [
            sub
            for sub in self.subscribers.values()
            if sub.pending is not None and self.server.manager.is_connected(sub.sid, NAMESPACE)
        ]
        # A login session may have ended between the connect handler's check and now.
        live = live_session_ids([sub.session_id for sub in arrived])
        for sub in arrived:
            if sub.session_id not in live:
                self.server.disconnect(sub.sid, namespace=NAMESPACE, ignore_queue=True)
                continue
            after, error = sub.pending
            sub.pending = None
            if error:
                self.emit(sub.sid, "error", {"message": error})
            delivery.make_ready(self, sub, after)
        delivery.send_unread_many(self, self.dirty_unread)
        self.dirty_unread.clear()
        self.jobs.step()
        return len(rows) == delivery.BATCH

    def _end_revoked(self, rows: list[Any]) -> None:
        """Disconnect the sockets of the login sessions a ``session.revoked`` row ended."""
        for row in rows:
            if row.key != REVOKED or row.user_id not in self.by_user:
                continue
            ended = set(row.value.get("sessions", ())) if isinstance(row.value, dict) else set()
            for sid in list(self.by_user.get(row.user_id, ())):
                if self.subscribers[sid].session_id in ended:
                    self.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)


def fanout_for(app: Flask) -> Fanout | None:
    return app.extensions.get("beacon.fanout")


def running_fanouts() -> list[Fanout]:
    """The fan-outs running in this process (one per app; tests build several apps)."""
    return list(_running)


@activity_committed.connect
def _wake_on_commit(sender: Any, **kwargs: Any) -> None:
    """In-process commits wake every running fan-out at once (no poll delay)."""
    for fan in list(_running):
        fan.wake()


@read_state_changed.connect
def _on_read_state(sender: Any, user_id: int, **kwargs: Any) -> None:
    app = current_app._get_current_object() if has_app_context() else None
    for fan in list(_running):
        if app is None or fan.app is app:
            fan.read_changed(user_id)
