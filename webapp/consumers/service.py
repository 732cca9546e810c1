"""What the queues page shows: the queue's depth, from Huey's own API, and the consumers as
their heartbeats describe them."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from webapp.consumers.models import ALIVE, ConsumerProcess
from webapp.database import utcnow
from webapp.extensions import db, huey
from webapp.queue import PRIORITIES

#: Tasks read to count the queue by priority (``huey.pending(limit)``): past it, the page
#: says its split covers the first ones only (the total is always exact).
PRIORITY_SAMPLE = 5000

_NAMES = {value: name for name, value in PRIORITIES.items()}
NORMAL = "normal"  # no priority: operation actions, jobs


@dataclass(frozen=True)
class QueueDepth:
    """The queue now: ``pending`` in all, split by priority (of the first ``sampled``),
    and ``scheduled`` (waiting for their time: retries, ETAs)."""

    pending: int
    scheduled: int
    by_priority: dict[str, int] = field(default_factory=dict)
    sampled: int = 0

    @property
    def partial(self) -> bool:
        """The split by priority covers only the first ``sampled`` pending tasks."""
        return self.sampled < self.pending

    def to_dict(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "scheduled": self.scheduled,
            "by_priority": self.by_priority,
            "sampled": self.sampled,
        }


def priority_name(priority: int | None) -> str:
    """``high``, ``medium``, ``low`` for Beacon's priorities, ``normal`` for none."""
    if not priority:
        return NORMAL
    return _NAMES.get(priority, str(priority))


def queue_depth(sample: int = PRIORITY_SAMPLE) -> QueueDepth:
    """How many tasks wait in the queue, by priority, and how many are scheduled."""
    pending = huey.pending_count()
    tasks = huey.pending(limit=sample) if pending else []
    counts = Counter(priority_name(task.priority) for task in tasks)
    order = [*PRIORITIES, NORMAL]
    by_priority = {name: counts.pop(name, 0) for name in order}
    by_priority.update(sorted(counts.items()))
    return QueueDepth(pending, huey.scheduled_count(), by_priority, len(tasks))


@dataclass(frozen=True)
class ConsumerView:
    """A consumer process for the page: its heartbeat and its state now."""

    row: ConsumerProcess
    state: str
    silent: float  # seconds since its last heartbeat

    @property
    def alive(self) -> bool:
        return self.state == ALIVE

    def to_dict(self) -> dict[str, Any]:
        row = self.row
        return {
            "id": row.id,
            "host": row.host,
            "pid": row.pid,
            "workers": row.workers,
            "worker_type": row.worker_type,
            "periodic": row.periodic,
            "started_at": row.started_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
            "state": self.state,
            "running": row.running,
        }


def consumer_list(now: dt.datetime | None = None) -> list[ConsumerView]:
    """Every consumer heard from in the last day: alive ones first, newest first."""
    now = now or utcnow()
    gone_after = float(current_app.config["BEACON_CONSUMER_GONE_AFTER"])
    rows = db.session.scalars(
        select(ConsumerProcess).order_by(ConsumerProcess.started_at.desc())
    ).all()
    views = [
        ConsumerView(row, row.state(now, gone_after), (now - row.last_seen_at).total_seconds())
        for row in rows
    ]
    return sorted(views, key=lambda v: not v.alive)  # stable: newest first within each
