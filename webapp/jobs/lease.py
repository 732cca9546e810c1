"""Leases of running jobs: how a job whose consumer died stops being ``working``.

A job takes a lease when it starts (``heartbeat_at`` in SQL, a score in ``jobs:working`` in
Redis). While any job runs in a process, or any consumer worker is up in it, a monitor thread
there renews the leases of its running jobs every ``BEACON_JOB_HEARTBEAT`` seconds, and reaps:
a working job whose lease was not renewed for ``BEACON_JOB_HEARTBEAT_TIMEOUT`` seconds lost
its consumer (SIGKILL, OOM, power), so it is marked ``interrupted`` and queued again if it has
retries left. Reaping is a conditional write, so many consumers reaping at once interrupt each
job once. The periodic ``jobs_housekeeping`` task reaps too, for processes without a monitor.

The same thread looks for cancel requests (``cancel_job``) of the jobs running here every
``BEACON_CANCEL_POLL`` seconds: their ``status.cancel_requested`` turns True.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping

from flask import current_app

from webapp.database import utcnow
from webapp.extensions import huey
from webapp.heartbeat import Duty, Heartbeat
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


def _renew_and_reap(running: Mapping[str, JobStatus]) -> None:
    store, now = get_store(), utcnow()
    store.heartbeat({job_id: st.expires_in for job_id, st in running.items()}, now)
    reap(store, now)


def _watch_cancels(running: Mapping[str, JobStatus]) -> None:
    if running:
        for job_id in get_store().cancel_requests(running):
            running[job_id].cancel_seen()


def _config(name: str) -> Callable[[], float]:
    return lambda: float(current_app.config[name])


#: The monitor of this process: the running jobs (id -> their JobStatus), their leases renewed
#: and reaped every ``BEACON_JOB_HEARTBEAT`` seconds, their cancel requests looked for every
#: ``BEACON_CANCEL_POLL`` seconds; it reaps while any consumer worker is up here, too.
monitor: Heartbeat[JobStatus] = Heartbeat(
    "beacon-job-leases",
    [
        Duty(_config("BEACON_JOB_HEARTBEAT"), _renew_and_reap),
        Duty(_config("BEACON_CANCEL_POLL"), _watch_cancels),
    ],
    context=huey.app_context,
    keep=lambda: huey.workers.count > 0,
)
