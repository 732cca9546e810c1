"""Tasks for the notification tests, also imported by a standalone consumer through
BEACON_EXTRA_TASK_MODULES=tests.notifications.consumer_tasks."""

from __future__ import annotations

import time

from webapp.activity import record_activity
from webapp.extensions import huey


@huey.task()
def record_burst(user_id: int, count: int, interval: float = 0.0) -> int:
    """Record ``count`` activities for ``user_id``; each value holds the wall time just before
    its ``record_activity`` call (for latency measurements)."""
    for n in range(count):
        record_activity("burst.recorded", {"n": n, "t": time.time()}, user_id=user_id)
        if interval:
            time.sleep(interval)
    return count
