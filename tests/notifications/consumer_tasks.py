"""Tasks for the notification tests, also imported by a standalone consumer through
BEACON_EXTRA_TASK_MODULES=tests.notifications.consumer_tasks."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from webapp.activity import record_activity
from webapp.extensions import huey
from webapp.jobs import tracked_task


@huey.task()
def record_burst(user_id: int, count: int, interval: float = 0.0) -> int:
    """Record ``count`` activities for ``user_id``; each value holds the wall time just before
    its ``record_activity`` call (for latency measurements)."""
    for n in range(count):
        record_activity("burst.recorded", {"n": n, "t": time.time()}, user_id=user_id)
        if interval:
            time.sleep(interval)
    return count


@tracked_task(throttle_interval=0.05)
def count_up(total: int, pause: float = 0.0, *, status) -> int:
    """A tracked job that counts to ``total``, pausing between steps."""
    status.progress.total = total
    for _ in range(total):
        status.progress.increment()
        if pause:
            time.sleep(pause)
    return total


GATES: defaultdict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(0))


@tracked_task()
def held(key: str, *, status) -> str:
    """A tracked job that stays working (at 1 of 2) until the test opens its gate."""
    status.progress.total = 2
    status.progress.value = 1
    if not GATES[key].acquire(timeout=20):
        raise TimeoutError(f"gate {key!r} was never opened")
    status.progress.finish()
    return key
