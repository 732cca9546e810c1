"""P3: one no-op operation action step (dequeue, claim, run, record completion, enqueue the
next) against one raw Huey no-op task round trip (dequeue, run, enqueue the next) through the
same storage. Both sides are driven by the same deterministic loop in this thread: dequeue one
task, execute it, until the queue is empty (no consumer polling delays in either figure)."""

from __future__ import annotations

import time
import uuid

from bench.backends import app_for, pg_url, redis_url
from bench.harness import Results, Row, paired, temp_dir

#: Operations (and raw chains) per measurement, and actions (tasks) in each.
CHAINS = 10
STEPS = 10


def noop(action) -> None:
    """The benchmark's action: does nothing."""


_RAW = []


def _raw_task():
    """The baseline's task, registered once on Beacon's Huey instance."""
    if not _RAW:
        from webapp.extensions import huey

        @huey.task(name="bench.raw_noop")
        def raw_noop(left: int) -> None:
            # Like an action step, a raw task enqueues the next one of its chain.
            if left > 1:
                raw_noop(left - 1)

        _RAW.append(raw_noop)
    return _RAW[0]


def _drain(expected: int) -> int:
    from webapp.extensions import huey

    ran = 0
    while True:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        ran += 1
    if ran != expected:
        raise RuntimeError(f"ran {ran} tasks, expected {expected}")
    return ran


def _measure(results: Results, kind: str, queue: str, redis: bool) -> None:
    from webapp.extensions import db, huey
    from webapp.operations import Operation, start_operation

    with temp_dir() as tmp, app_for(kind, tmp, redis=redis) as app, app.app_context():
        huey.flush()
        raw_noop = _raw_task()

        def raw() -> float:
            for _ in range(CHAINS):
                raw_noop(STEPS)
            start = time.perf_counter()
            _drain(CHAINS * STEPS)
            return (time.perf_counter() - start) * 1000 / (CHAINS * STEPS)

        def beacon() -> float:
            ids = []
            for _ in range(CHAINS):
                op = start_operation(
                    "bench.noop",
                    globals={"run": uuid.uuid4().hex},
                    branches={"main": [noop] * STEPS},
                    retries=0,
                )
                ids.append(op.id)
            start = time.perf_counter()
            _drain(CHAINS * STEPS)
            elapsed = time.perf_counter() - start
            states = {db.session.get(Operation, i).state for i in ids}
            db.session.rollback()
            if states != {"completed"}:
                raise RuntimeError(f"operations ended {states}, expected completed")
            return elapsed * 1000 / (CHAINS * STEPS)

        base, ours = paired(raw, beacon)
        results.add(
            Row(
                "P3",
                f"{kind}+{queue}",
                "no-op action step ÷ raw Huey no-op task round trip",
                ours,
                base,
                "ms/step",
                "<= 2.0",
                ours / base <= 2.0,
                higher_is_better=False,
            )
        )


def run(results: Results) -> None:
    _measure(results, "sqlite", "SqliteHuey", redis=False)
    if redis_url():
        kind = "postgresql" if pg_url() else "sqlite"
        _measure(results, kind, "Redis", redis=True)
    else:
        results.notes.append("P3: the Redis queue needs TEST_REDIS_URL (unset).")
