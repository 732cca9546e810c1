"""Periodic tasks run once per tick, however many consumers have periodic tasks on.

Every consumer's scheduler asks each minute which periodic tasks are due (Huey's
``read_periodic``); Beacon's Huey answers only those it *claimed*: a row per task and
scheduled minute, inserted if absent. The first consumer to ask for a tick enqueues the task,
the others find the row and skip it, so no deployment has to remember to turn periodic tasks
on in one consumer only. Claims older than a day are dropped as new ones are made.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import String, delete
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Model, UTCDateTime, db, upsert, utcnow

KEEP = dt.timedelta(days=1)


class PeriodicClaim(Model):
    """Who enqueued a periodic task for a scheduled minute (one row per task and minute)."""

    __tablename__ = "periodic_claim"

    task: Mapped[str] = mapped_column(String(255), primary_key=True)
    tick: Mapped[dt.datetime] = mapped_column(UTCDateTime, primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(255))
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PeriodicClaim {self.task} at {self.tick:%Y-%m-%d %H:%M} by {self.claimed_by}>"


def tick_of(when: dt.datetime) -> dt.datetime:
    """The scheduled minute a time falls in, as aware UTC (Huey's clock is naive UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(second=0, microsecond=0)


def claim_ticks(tasks: list[str], when: dt.datetime) -> set[str]:
    """Claim these tasks for the minute of ``when``; the names this caller won (commits)."""
    tick = tick_of(when)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    stmt = (
        upsert(PeriodicClaim)
        .values([{"task": name, "tick": tick, "claimed_by": holder} for name in tasks])
        .on_conflict_do_nothing()
        .returning(PeriodicClaim.task)
    )
    try:
        won = set(db.session.scalars(stmt))
        db.session.execute(delete(PeriodicClaim).where(PeriodicClaim.tick < tick - KEEP))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return won
