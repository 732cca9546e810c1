"""Tracked tasks the job tests run, in-process and in a standalone consumer
(``BEACON_EXTRA_TASK_MODULES=tests.jobs.sample_jobs``).

Jobs that must pause wait on a semaphore of ``GATES`` (in-process consumers only): the test
releases one permit per step it wants the job to take.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from huey.exceptions import CancelExecution

from webapp.jobs import tracked_task

GATES: defaultdict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(0))
SEEN: list[dict] = []


def wait_gate(key: str) -> None:
    if not GATES[key].acquire(timeout=20):
        raise TimeoutError(f"gate {key!r} was never opened")


@tracked_task(throttle_interval=0.01)
def count_in_worker_threads(per_thread: int, *, status) -> None:
    """Progress moved from two threads of the job's own, with no app context of theirs: one
    ``threading.Thread`` and one ``ThreadPoolExecutor`` worker."""
    status.progress.total = 2 * per_thread

    def count() -> None:
        for _ in range(per_thread):
            status.progress.increment()

    thread = threading.Thread(target=count)
    with ThreadPoolExecutor(max_workers=1) as pool:
        thread.start()
        pool.submit(count).result()
    thread.join()


@tracked_task()
def add_numbers(a: int, b: int, *, status) -> int:
    return a + b


@tracked_task(includes=("exception", "serialized_job"))
def explode(message: str, *, status) -> None:
    raise ValueError(message)


@tracked_task()
def explode_quietly(message: str, *, status) -> None:
    raise ValueError(message)


@tracked_task()
def gated(key: str, *, status) -> str:
    status["step"] = "waiting"
    wait_gate(key)
    status["step"] = "done"
    return key


@tracked_task(retries=2, includes=("exception",))
def fail_each_attempt(key: str, *, status) -> None:
    wait_gate(key)
    raise RuntimeError(f"attempt {status.attempts} failed")


@tracked_task()
def swallow_error(*, status) -> str:
    try:
        raise KeyError("lost")
    except KeyError:
        return "handled"


@tracked_task(retries=3, includes=("exception",))
def cancel_without_retry(*, status) -> None:
    raise CancelExecution(retry=False)


@tracked_task(throttle_interval=10)
def count_to(n: int, *, status) -> None:
    status.progress.total = n
    for _ in range(n):
        status.progress.increment()
    SEEN.append({"stored_before_end": status.store.read(status.id)["progress"]})


@tracked_task(context=True)
def with_context(*, status, task) -> str:
    return task.id


@tracked_task(priority="high")
def high_job(label: str, *, status) -> str:
    SEEN.append({"label": label})
    return label


@tracked_task(priority="low")
def low_job(label: str, *, status) -> str:
    SEEN.append({"label": label})
    return label


@tracked_task()
def sleep_job(seconds: float, *, status) -> str:
    status["step"] = "sleeping"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
    return "slept"


@tracked_task(retries=1)
def sleep_job_with_retry(seconds: float, *, status) -> int:
    status["step"] = "sleeping"
    if status.attempts == 1:  # only the first run is slow enough to be killed mid-job
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.05)
    return status.attempts


@tracked_task(retries=1, retry_delay=60)
def retry_later(*, status) -> None:
    raise RuntimeError("try again in a minute")


@tracked_task(throttle_interval=0.05)
def count_until_stopped(key: str, *, status) -> None:
    """Progress every 10 ms for up to 30 s, with no cancel check of its own; ``key`` is
    released once it started."""
    GATES[key].release()
    for _ in range(3000):
        status.progress.increment()
        time.sleep(0.01)


@tracked_task(throttle_interval=0.05)
def count_for_a_minute(*, status) -> None:
    """Progress every 10 ms for up to a minute, with no cancel check of its own (for a
    consumer in another process: no gate)."""
    for _ in range(6000):
        status.progress.increment()
        time.sleep(0.01)


@tracked_task(retries=1, timeout=0.3)
def sleeps_past_its_timeout(seconds: float, *, status) -> None:
    """Sleeps without checking: its result comes past the timeout, so the attempt fails."""
    time.sleep(seconds)
