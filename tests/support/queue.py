"""Running Huey tasks in tests: deterministically in-process, or with a real consumer."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from huey.consumer import Consumer

from webapp.extensions import huey
from webapp.queue import start_beside_host


def drain(max_tasks: int = 1000, include_scheduled: bool = True) -> int:
    """Execute queued (and due scheduled) tasks in this thread until none are left."""
    ran = 0
    while ran < max_tasks:
        if include_scheduled:
            for task in huey.read_schedule(huey.now()):
                huey.enqueue(task)
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1
    raise AssertionError(f"queue did not drain after {max_tasks} tasks")


@contextlib.contextmanager
def running_consumer(workers: int = 2, periodic: bool = False) -> Iterator[Consumer]:
    """A real Huey consumer (worker + scheduler threads) for the duration of the block."""
    consumer = huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.01,
        backoff=1.1,
        max_delay=0.05,
        scheduler_interval=1,
        check_worker_health=False,
    )
    start_beside_host(consumer)
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)


def wait_until(
    predicate: Callable[[], object],
    timeout: float = 15.0,
    interval: float = 0.02,
    message: str = "condition",
) -> object:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
