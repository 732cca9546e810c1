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
import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import func, select

from webapp.activity import Activity, activity_committed
from webapp.activity.queries import alerts_resolved_by
from webapp.extensions import db
from webapp.notifications import feed
from webapp.notifications.signals import read_state_changed
from webapp.notifications.tail import LogTail

log = logging.getLogger(__name__)

NAMESPACE = "/notifications"
#: Rows read per query while catching up.
BATCH = 500
#: Ids remembered per session to keep a repeated resume (or a late row) from duplicating.
SENT_MEMORY = 10_000

#: Light columns read for every row: enough to route it and to spot alert resolutions.
ROUTE_COLUMNS = (
    Activity.id,
    Activity.user_id,
    Activity.private,
    Activity.system,
    Activity.truthy,
    Activity.subject_type,
    Activity.subject_id,
    Activity.base_key,
    Activity.action_required,
)


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
    system: bool = False
    ready: bool = False
    #: Rows up to here came from the backlog (or the client had them); live rows start above.
    after: int = 0
    #: Set on connect, until the tailer sees the connection established: (after, error).
    pending: tuple[int, str | None] | None = None
    sent: RecentIds = field(default_factory=RecentIds)


def readonly_session() -> None:
    """Make this app context's session read-only (SQLite: a plain deferred BEGIN)."""
    db.session.connection(execution_options={"sqlite_readonly": True})


_running: weakref.WeakSet[Fanout] = weakref.WeakSet()
_start_lock = threading.Lock()


class Fanout:
    """The tailer thread and the sessions of one app in this process."""

    def __init__(self, app: Flask, server: Any) -> None:
        self.app = app
        self.server = server
        cfg = app.config
        self.poll = float(cfg["BEACON_FANOUT_POLL"])
        self.idle_poll = float(cfg.get("BEACON_FANOUT_IDLE_POLL", 1.0))
        self.gap_wait = float(cfg["BEACON_FANOUT_GAP_WAIT"])
        self.gap_ttl = float(cfg.get("BEACON_FANOUT_GAP_TTL", 600.0))
        self.backlog_limit = int(cfg.get("BEACON_FANOUT_BACKLOG", 5000))
        self.lock = threading.RLock()
        self.subscribers: dict[str, Subscriber] = {}
        self.by_user: dict[int, set[str]] = {}
        self.system_room: set[str] = set()
        self.tail: LogTail | None = None
        self.dirty_unread: set[int] = set()
        self.extra_steps: list[Any] = []
        self.listener = None
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
            db.session.remove()
        self.tail = LogTail(start, gap_wait=self.gap_wait, gap_ttl=self.gap_ttl)
        if self.app.config.get("REDIS_URL"):
            from webapp.notifications.wake import Listener

            self.listener = Listener(self.app, self.wake, self.read_changed)
            self.listener.start()
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

    def _interval(self) -> float:
        hinted = self.listener is not None and self.listener.subscribed
        with self.lock:
            busy = (self.tail is not None and self.tail.waiting) or any(
                s.pending for s in self.subscribers.values()
            )
        return self.poll if busy or not hinted else max(self.poll, self.idle_poll)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval())
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
        after: int | None,
        system: bool,
        error: str | None = None,
    ) -> None:
        """Register a session; the tailer makes it ready once the connection is established."""
        with self.lock:
            horizon = self.tail.horizon if self.tail else 0
            sub = Subscriber(sid, user_id, is_admin)
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
        with self.lock:
            sub = self.subscribers.get(sid)
            if sub is None:
                return False
            if system is not None:
                self._set_system(sub, system)
            sub.pending = None
            self._make_ready(sub, after)
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
        rows = db.session.execute(
            select(*ROUTE_COLUMNS)
            .where(Activity.id > tail.read_max)
            .order_by(Activity.id)
            .limit(BATCH)
        ).all()
        tail.add(rows)
        gap_ids = tail.due_gaps()
        late = []
        if gap_ids:
            found = db.session.execute(select(*ROUTE_COLUMNS).where(Activity.id.in_(gap_ids))).all()
            late = tail.fill(found)
        released = tail.take()
        if released or late:
            self._deliver(released, late)
        for sub in list(self.subscribers.values()):
            if sub.pending is not None and self.server.manager.is_connected(sub.sid, NAMESPACE):
                after, error = sub.pending
                sub.pending = None
                if error:
                    self.emit(sub.sid, "error", {"message": error})
                self._make_ready(sub, after)
        for user_id in self.dirty_unread:
            self._send_unread(user_id)
        self.dirty_unread.clear()
        for extra in self.extra_steps:
            extra(self)
        return len(rows) == BATCH

    def _candidates(self, row: Any) -> list[Subscriber]:
        sids = self.by_user.get(row.user_id, ()) if row.user_id is not None else self.system_room
        return [self.subscribers[sid] for sid in sids if self.subscribers[sid].ready]

    def _deliver(self, released: list[Any], late: list[Any]) -> None:
        late_ids = {row.id for row in late}
        plan = []
        for row in [*released, *late]:
            subs = [
                s
                for s in self._candidates(row)
                if feed.is_visible(row, s.user_id, include_system=s.system, is_admin=s.is_admin)
                and row.id not in s.sent
                and (row.id in late_ids or row.id > s.after)
            ]
            if subs:
                plan.append((row.id, subs))
        owners = {uid for uid in self.by_user if self.ready_subscribers(uid)}
        resolutions = self._resolutions([*released, *late], owners)
        if not plan and not resolutions:
            return
        full = self._load([row_id for row_id, _ in plan])
        self._send([(full[i], subs) for i, subs in plan if i in full], resolutions)

    def _load(self, ids: list[int]) -> dict[int, Activity]:
        found: dict[int, Activity] = {}
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            rows = db.session.scalars(select(Activity).where(Activity.id.in_(chunk)))
            found.update((a.id, a) for a in rows)
        return found

    def _resolutions(self, rows: list[Any], owners: set[int]) -> list[tuple[Activity, int]]:
        """(alert, resolver id) for open alerts of these owners that these rows resolved."""
        truthy = [r for r in rows if r.truthy]
        if not truthy or not owners:
            return []
        candidates = set(
            db.session.execute(
                select(Activity.subject_type, Activity.subject_id, Activity.base_key)
                .distinct()
                .where(
                    Activity.action_required.is_not(None),
                    Activity.user_id.in_(owners),
                    Activity.private.is_(False),
                    Activity.base_key.in_({r.base_key for r in truthy}),
                    Activity.id < max(r.id for r in truthy),
                )
            ).all()
        )
        out = []
        for row in truthy:
            if (row.subject_type, row.subject_id, row.base_key) not in candidates:
                continue
            for alert in alerts_resolved_by(row.id):
                if alert.user_id in owners and not alert.private:
                    out.append((alert, row.id))
        return out

    def _send(
        self,
        plan: list[tuple[Activity, list[Subscriber]]],
        resolutions: list[tuple[Activity, int]],
    ) -> None:
        """Emit ``activity`` (+ ``alert``), then ``alert_resolved``, then ``unread``."""
        by_user: dict[int, list[int]] = {}
        for activity, subs in plan:
            for s in subs:
                by_user.setdefault(s.user_id, []).append(activity.id)
        read = {uid: feed.read_ids(uid, ids) for uid, ids in by_user.items()}
        open_alerts = feed.open_alert_ids(a.id for a, _ in plan if a.action_required)
        touched: set[int] = set()
        for activity, subs in plan:
            items: dict[int, dict] = {}
            for s in subs:
                if s.user_id not in items:
                    items[s.user_id] = feed.item_dict(activity, activity.id in read[s.user_id])
                self.emit(s.sid, "activity", items[s.user_id])
                if activity.id in open_alerts:
                    self.emit(s.sid, "alert", items[s.user_id])
                s.sent.add(activity.id)
                if activity.user_id == s.user_id and not activity.system:
                    touched.add(s.user_id)
        for alert, resolver_id in resolutions:
            for s in self.ready_subscribers(alert.user_id):
                self.emit(s.sid, "alert_resolved", {"id": alert.id, "resolved_by": resolver_id})
        for user_id in touched:
            self._send_unread(user_id)

    def _send_unread(self, user_id: int) -> None:
        subs = self.ready_subscribers(user_id)
        if subs:
            count = feed.unread_count(user_id)
            for s in subs:
                self.emit(s.sid, "unread", {"count": count})

    def _make_ready(self, sub: Subscriber, after: int) -> None:
        """Send the backlog ``(after, horizon]`` (minus gaps and rows already sent), in id
        order, then mark the session ready and send the unread count."""
        horizon = self.tail.horizon
        if after < horizon:
            stmt = select(Activity).where(
                feed.visible_condition(
                    sub.user_id, include_system=sub.system, is_admin=sub.is_admin
                ),
                Activity.id > after,
                Activity.id <= horizon,
            )
            gaps = self.tail.unseen_at_or_below(horizon)
            if gaps:
                stmt = stmt.where(Activity.id.not_in(gaps))
            newest = list(
                db.session.scalars(stmt.order_by(Activity.id.desc()).limit(self.backlog_limit + 1))
            )
            if len(newest) > self.backlog_limit:
                skipped = newest.pop()
                self.emit(sub.sid, "backlog_truncated", {"skipped_through": skipped.id})
            rows = [a for a in reversed(newest) if a.id not in sub.sent]
            resolutions = [
                (alert, rid)
                for alert, rid in self._resolutions(rows, {sub.user_id})
                if alert.id <= horizon
            ]
            sub.ready = True
            self._send([(a, [sub]) for a in rows], [])
            for alert, resolver_id in resolutions:
                self.emit(sub.sid, "alert_resolved", {"id": alert.id, "resolved_by": resolver_id})
        sub.ready = True
        sub.after = max(sub.after, after, horizon)
        self._send_unread(sub.user_id)


def fanout_for(app: Flask) -> Fanout | None:
    return app.extensions.get("beacon.fanout")


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
