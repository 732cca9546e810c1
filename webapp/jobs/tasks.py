"""The Job status domain's own periodic task: reap lost jobs, purge expired statuses."""

from __future__ import annotations

import datetime as dt

from huey import crontab

from webapp.activity import periodic_task
from webapp.jobs.backend import get_store
from webapp.jobs.lease import reap


@periodic_task(crontab(minute="*/5"), period=dt.timedelta(minutes=5), name="jobs.housekeeping")
def housekeeping() -> dict[str, int]:
    """Interrupt working jobs whose lease expired (a backstop for consumers' own monitors) and
    delete expired statuses (SQL rows; Redis index entries, the hashes expire by themselves)."""
    store = get_store()
    return {"interrupted": reap(store), "purged": store.purge()}
