"""The SQL store's tables: one row per job, one row per custom field of a job.

Custom fields live in their own table, one row per (job, name), rather than in a JSON column:
setting a field is then a single-row upsert (``INSERT .. ON CONFLICT (job_id, name) DO
UPDATE``), atomic on SQLite and PostgreSQL alike, and two writers of different fields touch
different rows, so neither can overwrite the other's value. A JSON column patched with
``json_set``/``jsonb_set`` in one UPDATE would be atomic too, but needs a dialect-specific
expression and path quoting for every field name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import JSONType, Model, UTCDateTime, utcnow


class JobStatusRow(Model):
    """A job's status, progress and times (custom fields are ``JobStatusField`` rows)."""

    __tablename__ = "job_status"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task: Mapped[str] = mapped_column(String(255), default="")
    owner_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(20))
    progress: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by cancel_job: the job stops at its next progress or status write.
    cancel_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(Integer)
    # The lease of a running job: refreshed by its consumer; NULL when no consumer holds it.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Where the observed rate is measured from (estimated finish time).
    rate_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    rate_base: Mapped[int] = mapped_column(BigInteger, default=0)
    expires_in: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The serialized Huey task, so that a job whose consumer died can be queued again.
    task_data: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        Index("ix_job_status_owner_enqueued", "owner_id", "enqueued_at"),
        Index("ix_job_status_enqueued_at", "enqueued_at"),
        Index("ix_job_status_heartbeat_at", "heartbeat_at"),
        Index("ix_job_status_expires_at", "expires_at"),
        # Retention keeps the newest failure of each task: a later one is looked up here.
        Index(
            "ix_job_status_failed_task",
            "task",
            "finished_at",
            sqlite_where=text("status = 'failed'"),
            postgresql_where=text("status = 'failed'"),
        ),
    )

    def __repr__(self) -> str:
        return f"<JobStatusRow {self.id} {self.task} {self.status}>"


class JobStatusField(Model):
    """One custom field of a job's status (a JSON value)."""

    __tablename__ = "job_status_field"

    job_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("job_status.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)

    def __repr__(self) -> str:
        return f"<JobStatusField {self.job_id} {self.name}>"
