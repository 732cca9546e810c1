"""Periodic tasks run once per tick, however many consumers have periodic tasks on.

Every consumer's scheduler asks each minute which periodic tasks are due (Huey's
``read_periodic``); Beacon's Huey answers only those it *claimed*: a row per task and
scheduled minute, inserted if absent. The first consumer to ask for a tick enqueues the task,
the others find the row and skip it, so no deployment has to remember to turn periodic tasks
on in one consumer only. Claims older than a day are dropped as new ones are made.

A paused task (``PeriodicPause``, paused and resumed by ``webapp.activity.pause_periodic`` /
``resume_periodic``) is not claimed: the same statement that finds it paused notes the tick
it missed, so its resume runs it once. Every scheduler reads the pause with the claim, at
every tick: a pause reaches every consumer at the next tick after it commits.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import Boolean, ForeignKey, String, delete, select, update
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


class PeriodicPause(Model):
    """A periodic task paused (or resumed) by an admin: while ``paused``, no consumer enqueues
    it and a run enqueued before the pause does nothing; ``missed_tick`` is the latest tick
    that came due meanwhile (the resume runs the task once if there is one)."""

    __tablename__ = "periodic_pause"

    task: Mapped[str] = mapped_column(String(255), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    paused_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resumed_by: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    missed_tick: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<PeriodicPause {self.task} {'paused' if self.paused else 'running'}>"


def tick_of(when: dt.datetime) -> dt.datetime:
    """The scheduled minute a time falls in, as aware UTC (Huey's clock is naive UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(second=0, microsecond=0)


def hold_paused(tasks: list[str], when: dt.datetime) -> set[str]:
    """The paused ones among these tasks, each noted as having missed the tick of ``when``:
    one UPDATE that writes nothing when none is paused (joins the session's transaction)."""
    stmt = (
        update(PeriodicPause)
        .where(PeriodicPause.paused.is_(True), PeriodicPause.task.in_(tasks))
        .values(missed_tick=tick_of(when))
        .returning(PeriodicPause.task)
        .execution_options(synchronize_session=False)
    )
    return set(db.session.scalars(stmt))


def pause_states() -> dict[str, PeriodicPause]:
    """Every task ever paused, by name (paused now or resumed since)."""
    return {row.task: row for row in db.session.scalars(select(PeriodicPause))}


def claim_ticks(tasks: list[str], when: dt.datetime) -> set[str]:
    """Claim these tasks for the minute of ``when``, paused ones excepted; the names this
    caller won (commits)."""
    tick = tick_of(when)
    holder = f"{socket.gethostname()}:{os.getpid()}"
    try:
        paused = hold_paused(tasks, when)
        unpaused = [name for name in tasks if name not in paused]
        won: set[str] = set()
        if unpaused:
            stmt = (
                upsert(PeriodicClaim)
                .values([{"task": name, "tick": tick, "claimed_by": holder} for name in unpaused])
                .on_conflict_do_nothing()
                .returning(PeriodicClaim.task)
            )
            won = set(db.session.scalars(stmt))
        db.session.execute(delete(PeriodicClaim).where(PeriodicClaim.tick < tick - KEEP))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return won
