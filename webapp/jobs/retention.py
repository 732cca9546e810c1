"""Retention of job statuses: finished ones that ended more than JOB_RETENTION_DAYS ago are
deleted from whichever store the app uses, except the newest failure of each task.

A status also expires ``expires_in`` seconds after its last write (its task's choice, an hour
by default), in both stores, whatever this setting says: retention bounds how long a finished
status may be kept, for tasks whose ``expires_in`` is longer; it never keeps one longer.
"""

from __future__ import annotations

import datetime as dt

from webapp.activity.retention import register_retention
from webapp.jobs.backend import get_store


def purge_finished_jobs(cutoff: dt.datetime, batch_size: int) -> int:
    """Delete this app's finished job statuses that ended before ``cutoff`` (the newest failure
    of each task kept), ``batch_size`` at a time. Returns how many went."""
    return get_store().purge_finished(cutoff, batch_size)


register_retention("jobs", "JOB_RETENTION_DAYS", purge_finished_jobs)
