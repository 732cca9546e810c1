"""Waking the fan-out of every web process early, through Redis pub/sub (when REDIS_URL is set).

Only a hint: the database is the source of truth and each fan-out also polls, so a lost
message (Redis restarting, a network blip) only delays delivery. Publishing never breaks the
writer: errors are logged and Redis is skipped for a moment, so a Redis outage costs one short
timeout, not one per commit.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, has_app_context

from webapp.activity import activity_committed
from webapp.database import this_app
from webapp.notifications.signals import read_state_changed

log = logging.getLogger(__name__)

ACTIVITY = "activity"
READS = "reads"
JOBS = "jobs"
#: After a failed publish, skip Redis for this long (seconds).
BREAK_FOR = 2.0


def channel(app: Flask, name: str) -> str:
    return f"{app.config['BEACON_REDIS_PREFIX']}notifications:{name}"


class Publisher:
    """Publishes small JSON hints; a failure opens a short circuit breaker."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.down_until = 0.0
        self.lock = threading.Lock()

    def publish(self, name: str, payload: dict[str, Any]) -> None:
        if time.monotonic() < self.down_until:
            return
        try:
            self.client.publish(name, json.dumps(payload))
        except Exception as exc:  # the writer must never fail because of a hint
            with self.lock:
                if time.monotonic() >= self.down_until:
                    log.warning("notification hint not published (%s); polling covers it", exc)
                self.down_until = time.monotonic() + BREAK_FOR


def publisher(app: Flask) -> Publisher | None:
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    pub = app.extensions.get("beacon.notify_publisher")
    if pub is None:
        pub = app.extensions.setdefault("beacon.notify_publisher", Publisher(url))
    return pub


def hint(app: Flask, name: str, payload: dict[str, Any]) -> None:
    """Publish a hint on this app's channel ``name`` (nothing without Redis)."""
    pub = publisher(app)
    if pub is not None:
        pub.publish(channel(app, name), payload)


@activity_committed.connect
def _publish_activity(sender: Any, activities: list[dict[str, Any]], **kwargs: Any) -> None:
    """After a commit with activities: tell the other processes the newest id."""
    if activities and has_app_context():
        hint(this_app(), ACTIVITY, {"id": activities[-1]["id"]})


@read_state_changed.connect
def _publish_reads(sender: Any, user_id: int, **kwargs: Any) -> None:
    """After a read-state commit: other processes resend that user's unread count."""
    if has_app_context():
        hint(this_app(), READS, {"user_id": user_id})


class Listener:
    """A thread subscribed to the hint channels; reconnects after Redis goes away."""

    def __init__(
        self,
        app: Flask,
        on_activity: Callable[[], None],
        on_reads: Callable[[int], None],
        on_job: Callable[[int, dict[str, Any]], None],
    ) -> None:
        self.url = app.config["REDIS_URL"]
        self.channels = {
            channel(app, ACTIVITY): lambda data: on_activity(),
            channel(app, READS): lambda data: on_reads(int(data["user_id"])),
            channel(app, JOBS): lambda data: on_job(int(data["owner_id"]), dict(data["job"])),
        }
        self.subscribed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_subscribed = on_activity

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="beacon-fanout-redis", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            # Health checks PING an idle subscription, so a silently dropped connection is
            # noticed (and re-made) instead of leaving the fan-out on its slow poll.
            client = redis.Redis.from_url(
                self.url, socket_timeout=5, socket_connect_timeout=1, health_check_interval=15
            )
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(*self.channels)
                self.subscribed = True
                # Anything published while we were away is covered by one immediate read.
                self.on_subscribed()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.25)
                    if message:
                        self._dispatch(message)
            except Exception as exc:  # keep listening; polling covers the gap
                if self.subscribed:
                    log.warning("fan-out lost its Redis subscription (%s); polling", exc)
                self.subscribed = False
                self._stop.wait(1.0)
            finally:
                self.subscribed = False
                client.close()

    def _dispatch(self, message: dict[str, Any]) -> None:
        name = message["channel"]
        name = name.decode() if isinstance(name, bytes) else name
        try:
            self.channels[name](json.loads(message["data"]))
        except (KeyError, TypeError, ValueError):
            log.warning("ignored a malformed notification hint on %s", name)


class WalWatch:
    """The embedded default's wake-up, with no Redis: every commit, from any process, writes
    to the SQLite database's write-ahead log, so a change of the WAL file's size or time says
    there may be new rows. A ``stat`` every few milliseconds costs next to nothing, where a
    query as often would not; the fan-out's ordinary poll still runs behind it."""

    def __init__(self, path: str) -> None:
        self.path = f"{path}-wal"
        self.stamp = self._stamp()

    @classmethod
    def for_url(cls, url: Any) -> WalWatch | None:
        """A watch of this SQLAlchemy URL's database, or None if it is not a SQLite file."""
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return cls(url.database)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def changed(self) -> bool:
        stamp = self._stamp()
        if stamp == self.stamp:
            return False
        self.stamp = stamp
        return True
