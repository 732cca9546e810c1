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
from typing import Any

from flask import Flask, has_app_context
from sqlalchemy import func, select

from webapp.accounts.sessions import REVOKED, live_session_ids
from webapp.activity import Activity, activity_committed
from webapp.database import begin_read_only, this_app
from webapp.extensions import db
from webapp.jobs import job_status_changed
from webapp.notifications import delivery
from webapp.notifications.jobs import JobFeed
from webapp.notifications.latency import latency_histogram, observe_deliveries
from webapp.notifications.signals import read_state_changed
from webapp.notifications.subscribers import Send, Subscriber, Subscribers
from webapp.notifications.tail import LogTail
from webapp.notifications.wake import JOBS, Listener, WalWatch, hint

log = logging.getLogger(__name__)

NAMESPACE = "/notifications"


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
        self.sessions = Subscribers()
        self.tail: LogTail | None = None
        self.dirty_unread: set[int] = set()
        self.jobs = JobFeed(self.sessions, cfg)
        #: Creation to emit of live deliveries (``webapp.notifications.latency``).
        self.latency = latency_histogram()
        self.listener: Listener | None = None
        #: Without Redis, on SQLite: notices commits of other processes between polls.
        self.watch: WalWatch | None = None
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
            begin_read_only(db.session, each_statement=True)
            start = db.session.scalar(select(func.max(Activity.id))) or 0
            url = db.engine.url
            db.session.remove()
        self.tail = LogTail(start, gap_wait=self.gap_wait, gap_ttl=self.gap_ttl)
        if self.app.config.get("REDIS_URL"):
            self.listener = Listener(self.app, self.wake, self.read_changed, self.job_changed)
            self.listener.start()
        else:
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
            if self.sessions.connected(user_id):
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
                or any(s.pending for s in self.sessions)
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
            self.sessions.add(sub)
            self.sessions.set_system(sub, system)
        self._wake.set()

    def disconnect(self, sid: str) -> None:
        with self.lock:
            self.sessions.remove(sid)

    def resume(self, sid: str, after: int, system: bool | None) -> bool:
        """Send what this session missed after ``after``, then live rows. False if unknown."""
        # The lock first, then a connection: waiting handlers must not hold pool connections.
        with self.lock, self.app.app_context():
            sub = self.sessions.get(sid)
            if sub is None:
                return False
            begin_read_only(db.session, each_statement=True)
            try:
                if system is not None:
                    self.sessions.set_system(sub, system)
                sub.pending = None
                self.send(self._make_ready(sub, after))
            finally:
                db.session.remove()
        return True

    def send(self, sends: list[Send]) -> None:
        """Emit a plan, in order, straight to this process's sessions: never through the
        message queue."""
        for sid, event, payload in sends:
            self.server.emit(event, payload, to=sid, namespace=NAMESPACE, ignore_queue=True)

    def _make_ready(self, sub: Subscriber, after: int) -> list[Send]:
        backlog = delivery.backlog(self.sessions, sub, after, self._tail(), self.backlog_limit)
        return backlog + self.jobs.current(sub)

    # The tailer.

    def step(self) -> bool:
        """Read, release and send what is due; True if more rows are waiting to be read."""
        with self.app.app_context():
            begin_read_only(db.session, each_statement=True)
            try:
                with self.lock:
                    return self._step_locked()
            finally:
                db.session.remove()

    def _tail(self) -> LogTail:
        if self.tail is None:
            raise RuntimeError("the fan-out has not started: it has no tail of the log yet")
        return self.tail

    def _step_locked(self) -> bool:
        tail = self._tail()
        rows = delivery.read_after(tail.read_max)
        tail.add(rows)
        gap_ids = tail.due_gaps()
        late = tail.fill(delivery.read_ids(gap_ids)) if gap_ids else []
        released = tail.take()
        if released or late:
            self._end_revoked([*released, *late])
            sends = delivery.deliver(self.sessions, released, late)
            self.send(sends)
            observe_deliveries(self.latency, sends, [*released, *late])
        arrived = [
            sub
            for sub in self.sessions
            if sub.pending is not None and self.server.manager.is_connected(sub.sid, NAMESPACE)
        ]
        # A login session may have ended between the connect handler's check and now.
        live = live_session_ids([sub.session_id for sub in arrived])
        for sub in arrived:
            if sub.session_id not in live:
                self.server.disconnect(sub.sid, namespace=NAMESPACE, ignore_queue=True)
                continue
            if sub.pending is None:  # (arrived holds only sessions with a resume pending)
                continue
            after, error = sub.pending
            sub.pending = None
            errors: list[Send] = [(sub.sid, "error", {"message": error})] if error else []
            self.send(errors + self._make_ready(sub, after))
        self.send(delivery.unread_sends(self.sessions, self.dirty_unread))
        self.dirty_unread.clear()
        self.send(self.jobs.step(poll=self.listener is None))
        return len(rows) == delivery.BATCH

    def _end_revoked(self, rows: list[Any]) -> None:
        """Disconnect the sockets of the login sessions a ``session.revoked`` row ended."""
        for row in rows:
            if row.key != REVOKED or not self.sessions.connected(row.user_id):
                continue
            ended = set(row.value.get("sessions", ())) if isinstance(row.value, dict) else set()
            for sub in self.sessions.of_user(row.user_id):
                if sub.session_id in ended:
                    self.server.disconnect(sub.sid, namespace=NAMESPACE, ignore_queue=True)


def fanout_for(app: Flask) -> Fanout | None:
    return app.extensions.get("beacon.fanout")


@activity_committed.connect
def _wake_on_commit(sender: Any, **kwargs: Any) -> None:
    """In-process commits wake every running fan-out at once (no poll delay)."""
    for fan in list(_running):
        fan.wake()


@read_state_changed.connect
def _on_read_state(sender: Any, user_id: int, **kwargs: Any) -> None:
    app = this_app() if has_app_context() else None
    for fan in list(_running):
        if app is None or fan.app is app:
            fan.read_changed(user_id)


def _on_job_changed(sender: Any, job: dict[str, Any], owner_id: int | None, **kwargs: Any) -> None:
    """In the process that changed a job: hand it to this app's fan-outs, and to the other
    processes through Redis (a web process gets its own message back; repeats are skipped)."""
    if owner_id is None:
        return
    for fan in list(_running):
        if fan.app is sender:
            fan.job_changed(owner_id, job)
    if isinstance(sender, Flask):
        hint(sender, JOBS, {"owner_id": owner_id, "job": job})


job_status_changed.connect(_on_job_changed, weak=False)
