"""P2: job progress. Unthrottled ``status.progress.increment()`` against a raw Redis HINCRBY
on the same connection; and with ``throttle_interval=0.1`` how many store writes 10,000
increments make."""

from __future__ import annotations

import math
import time
import uuid

from bench.backends import app_for, redis_url
from bench.harness import Results, Row, median_of, paired, rate, temp_dir

INCREMENTS = 2000
THROTTLED = 10_000
INTERVAL = 0.1
#: The throttled increments are paced over this long, so the run spans several intervals.
PACED_OVER = 1.0


class CountingStore:
    """The app's own store, with every ``write`` counted and timed."""

    def __init__(self, store) -> None:
        self.store = store
        self.times: list[float] = []

    def write(self, job_id, change, *, returning=False):
        self.times.append(time.monotonic())
        return self.store.write(job_id, change, returning=returning)

    def __getattr__(self, name):
        return getattr(self.store, name)


def _working_status(throttle_interval: float, store=None):
    """A status as a tracked job gets it: queued, then working, owned by a user."""
    from webapp.database import utcnow
    from webapp.jobs import JobStatus
    from webapp.jobs.backend import get_store
    from webapp.jobs.store import Write

    store = store or get_store()
    job_id = uuid.uuid4().hex
    now = utcnow()
    store.write(
        job_id,
        Write(
            now=now,
            expires_in=600,
            task="bench.export",
            owner_id=1,
            values={"status": "queued"},
            create_only=True,
        ),
    )
    store.write(
        job_id,
        Write(
            now=now,
            expires_in=600,
            task="bench.export",
            owner_id=1,
            values={"status": "working", "total": THROTTLED},
            attempt=True,
            rebase=True,
        ),
    )
    return JobStatus(
        job_id, store.read(job_id), store=store, throttle_interval=throttle_interval, expires_in=600
    )


def _unthrottled(results: Results) -> None:
    from webapp.jobs.backend import get_store

    with temp_dir() as tmp, app_for("sqlite", tmp, redis=True) as app, app.app_context():
        store = get_store()
        status = _working_status(0.0)
        client = store.redis  # the store's own client: the same connection pool and socket
        key = store.key(status.id)

        def raw() -> None:
            for _ in range(INCREMENTS):
                client.hincrby(key, "progress", 1)

        def beacon() -> None:
            for _ in range(INCREMENTS):
                status.progress.increment()

        base, ours = paired(lambda: rate(INCREMENTS, raw), lambda: rate(INCREMENTS, beacon))
        results.add(
            Row(
                "P2",
                "redis",
                "progress.increment() unthrottled ÷ HINCRBY",
                ours,
                base,
                "ops/s",
                ">= 0.5",
                ours / base >= 0.5,
            )
        )


def _throttled(results: Results, kind: str, redis: bool) -> None:
    from webapp.jobs.backend import get_store

    with temp_dir() as tmp, app_for("sqlite", tmp, redis=redis) as app, app.app_context():
        gaps: list[float] = []
        ratios: list[float] = []
        lost: list[int] = []

        def once() -> float:
            counting = CountingStore(get_store())
            status = _working_status(INTERVAL, counting)
            counting.times.clear()
            start = time.monotonic()
            step = PACED_OVER / THROTTLED
            for i in range(THROTTLED):
                # Paced increments (a busy wait: sleeping is far coarser than 100 µs).
                while time.monotonic() - start < i * step:
                    pass
                status.progress.increment()
            elapsed = time.monotonic() - start
            writes = len(counting.times)
            status.flush()  # the job's end: whatever is pending is stored
            stored = status.reload().record["progress"]
            lost.append(THROTTLED - stored)
            # At one write per interval, a run of T seconds holds at most floor(T / i) + 1.
            allowed = math.floor(elapsed / INTERVAL) + 1
            ratios.append(writes / allowed)
            t = counting.times[:writes]
            gaps.append(min((b - a for a, b in zip(t, t[1:], strict=False)), default=math.inf))
            return writes

        writes = median_of(once)
        ratio = sorted(ratios)[len(ratios) // 2]
        allowed = writes / ratio if ratio else float("nan")
        ok = max(ratios) <= 1 and min(gaps) >= INTERVAL and not any(lost)
        results.add(
            Row(
                "P2",
                kind,
                f"throttle_interval=0.1: store writes per {THROTTLED:,} "
                f"increments over {PACED_OVER:.0f} s (baseline: one per interval)",
                writes,
                allowed,
                "writes",
                "<= 1 write per interval",
                ok,
                higher_is_better=False,
                notes=f"shortest gap between writes {min(gaps) * 1000:.0f} ms; "
                f"increments lost: {max(lost)}",
            )
        )


def run(results: Results) -> None:
    _throttled(results, "sqlite", redis=False)
    if redis_url():
        _unthrottled(results)
        _throttled(results, "redis", redis=True)
    else:
        results.notes.append("P2: the unthrottled figure needs Redis (TEST_REDIS_URL unset).")
