"""Actions, events and jobs the reliability tests run, in standalone consumers too
(``BEACON_EXTRA_TASK_MODULES=tests.reliability.workload``).

Each run appends one line to a file named by the caller (an operation's ``log`` global, an
event's ``log`` param, a job's ``log`` argument): ``<kind> <id> <attempt> <wall time>``. Short
appends are atomic, so runs are counted across threads, processes and crashes alike.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path

from webapp.activity import record_activity
from webapp.events import Event
from webapp.extensions import huey
from webapp.jobs import tracked_task


def append(path: str | os.PathLike, *fields: object) -> None:
    with open(path, "a") as f:
        f.write(" ".join(str(x) for x in (*fields, f"{time.time():.6f}")) + "\n")


def runs(path: Path, kind: str) -> list[tuple[str, int, float]]:
    """``(id, attempt, wall time)`` of every run of this kind, in the order they started."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == kind:
            out.append((parts[1], int(parts[2]), float(parts[3])))
    return out


def run_counts(path: Path, kind: str) -> Counter[str]:
    """How many times each id of this kind started."""
    return Counter(run_id for run_id, _, _ in runs(path, kind))


# Operations: every action logs its start, takes a moment (so a kill can land mid-run), and
# may jump to the branch named by the ``fork`` global.


def _work(action) -> None:
    append(action.get("log"), "action", action.action_id, action.attempt)
    pause = action.get("pause", 0)
    if pause:
        time.sleep(random.uniform(0, pause))  # noqa: S311 - test timing, not security


def step(action) -> None:
    _work(action)


def fork(action) -> None:
    _work(action)
    if action.get("fork"):
        action.jump_to(action.get("fork"))


def side(action) -> None:
    _work(action)


def finish(action) -> None:
    _work(action)


# Events: each records one activity for its owner, in the transaction that settles the event.


class ReliabilityEvent(Event):
    """Logs its run and records ``reliability.event`` for its owner."""

    def process(self) -> None:
        append(self.params["log"], "event", self.message.id, self.attempt)
        record_activity(
            "reliability.event",
            {"n": self.params["n"], "priority": self.message.priority},
            user_id=self.owner_id,
            commit=False,
        )


# Jobs: progress in a few steps; the job's end is recorded in its owner's feed by Beacon.


@tracked_task(throttle_interval=0.05)
def reliability_job(log: str, steps: int, *, status) -> int:
    """A tracked job that counts to ``steps``."""
    append(log, "job", status.id, 1)
    status.progress.total = steps
    for _ in range(steps):
        status.progress.increment()
    status["steps"] = steps
    return steps


# Streams: activities recorded at a steady pace, and a job that reports progress as it goes.


@huey.task()
def stream(user_id: int, count: int, interval: float) -> int:
    """Record ``count`` activities for ``user_id``, ``interval`` seconds apart."""
    for n in range(count):
        record_activity("reliability.stream", {"n": n}, user_id=user_id)
        time.sleep(interval)
    return count


@tracked_task()
def paced_job(steps: int, interval: float, *, status) -> int:
    """A tracked job that counts to ``steps``, one step per ``interval`` (each step stored)."""
    status.progress.total = steps
    for _ in range(steps):
        time.sleep(interval)
        status.progress.increment()
    return steps


@huey.task()
def write_for(user_id: int, seconds: float, log: str, label: str, pause: float = 0.0) -> int:
    """Record activities for ``user_id`` for ``seconds``; log how many (as the attempt field)."""
    written = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record_activity("reliability.write", {"writer": label, "n": written}, user_id=user_id)
        written += 1
        if pause:
            time.sleep(pause)
    append(log, "writer", label, written)
    return written
