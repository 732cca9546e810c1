"""Leases of running jobs: how a job whose consumer died stops being ``working``.

A job takes a lease when it starts (``heartbeat_at`` in SQL, a score in ``jobs:working`` in
Redis). While any job runs in a process, or any consumer worker is up in it, a monitor thread
there renews the leases of its running jobs every ``BEACON_JOB_HEARTBEAT`` seconds, and reaps:
a working job whose lease was not renewed for ``BEACON_JOB_HEARTBEAT_TIMEOUT`` seconds lost
its consumer (SIGKILL, OOM, power), so it is marked ``interrupted`` and queued again if it has
retries left. Reaping is a conditional write, so many consumers reaping at once interrupt each
job once. The periodic ``jobs_housekeeping`` task reaps too, for processes without a monitor.

The monitor is a thread, not the consumer's own loop: a job busy on the CPU still has its
lease renewed (threads share the process, and the GIL is released regularly).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from flask import current_app

from webapp.database import utcnow
from webapp.extensions import huey
from webapp.jobs.backend import get_store
from webapp.jobs.lifecycle import interrupt
from webapp.jobs.status import JobStatus
from webapp.jobs.store import JobStore

log = logging.getLogger(__name__)


def reap(store: JobStore | None = None, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Interrupt the working jobs whose lease expired; returns how many this call ended."""
    store = store or get_store()
    now = now or utcnow()
    before = now - dt.timedelta(seconds=current_app.config["BEACON_JOB_HEARTBEAT_TIMEOUT"])
    return sum(interrupt(store, job_id, before) for job_id in store.stale(before, limit))


class Monitor:
    """Renews this process's leases and reaps, on a thread that runs while it has work."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, JobStatus] = {}
        self._consumers = 0
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def track(self, status: JobStatus) -> None:
        """A job started in this process: renew its lease until ``untrack``."""
        with self._lock:
            self._running[status.id] = status
            self._ensure_thread()

    def untrack(self, status: JobStatus) -> None:
        with self._lock:
            self._running.pop(status.id, None)

    def consumer_started(self) -> None:
        """A consumer worker started here (Huey startup hook): reap while it runs."""
        with self._lock:
            self._consumers += 1
            self._ensure_thread()

    def consumer_stopped(self) -> None:
        with self._lock:
            self._consumers = max(0, self._consumers - 1)
        self._wake.set()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="beacon-job-leases", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(_interval())
            self._wake.clear()
            with self._lock:
                if not self._running and not self._consumers:
                    self._thread = None
                    return
                leases = {job_id: st.expires_in for job_id, st in self._running.items()}
            try:
                with huey.app_context():
                    store, now = get_store(), utcnow()
                    store.heartbeat(leases, now)
                    reap(store, now)
            except Exception:
                log.exception("job lease monitor: heartbeat or reaping failed")


def _interval() -> float:
    app = huey.flask_app
    return float(app.config["BEACON_JOB_HEARTBEAT"]) if app is not None else 5.0


#: The monitor of this process.
monitor = Monitor()
