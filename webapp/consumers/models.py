"""The consumer table: one row per Huey consumer process, its heartbeat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import JSONType, Model, UTCDateTime

ALIVE = "alive"
STOPPED = "stopped"  # its workers stopped (a graceful stop)
GONE = "gone"  # silent past BEACON_CONSUMER_GONE_AFTER: killed, or its machine is away


class ConsumerProcess(Model):
    """A consumer process as its last heartbeat described it."""

    __tablename__ = "consumer"

    #: ``host:pid:started`` (milliseconds since the epoch): a restarted process is a new row.
    id: Mapped[str] = mapped_column(String(300), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    workers: Mapped[int] = mapped_column(Integer)
    worker_type: Mapped[str] = mapped_column(String(20))
    periodic: Mapped[bool] = mapped_column(Boolean)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: What each busy worker ran at the last heartbeat: [{worker, task, task_id, since}].
    running: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)

    __table_args__ = (Index("ix_consumer_last_seen_at", "last_seen_at"),)

    def state(self, now: dt.datetime, gone_after: float) -> str:
        """alive, stopped (gracefully) or gone (silent for ``gone_after`` seconds)."""
        if self.stopped_at is not None:
            return STOPPED
        silent = (now - self.last_seen_at).total_seconds()
        return GONE if silent > gone_after else ALIVE

    def __repr__(self) -> str:
        return f"<ConsumerProcess {self.id} workers={self.workers}>"
