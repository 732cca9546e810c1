"""Read state: a per-user "read up to" cursor plus per-item read marks.

"Mark all read" moves the cursor (one row per user); reading single items adds marks above
the cursor. Marks at or below the cursor say nothing new and are removed when it moves.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import Model, UTCDateTime, utcnow

#: Activity ids are BIGINT on PostgreSQL (INTEGER on SQLite, its 64-bit rowid).
ActivityId = BigInteger().with_variant(Integer, "sqlite")


class ReadCursor(Model):
    """Everything of this user's with an id up to ``last_read_id`` is read."""

    __tablename__ = "read_cursor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    last_read_id: Mapped[int] = mapped_column(ActivityId, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ReadCursor user={self.user_id} up to {self.last_read_id}>"


class ActivityRead(Model):
    """One activity this user has read (above their cursor).

    No foreign key to ``activity``: the log's retention deletes rows in bulk, and a mark of a
    deleted row is harmless (it is dropped when the cursor passes it).
    """

    __tablename__ = "activity_read"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[int] = mapped_column(ActivityId, primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ActivityRead user={self.user_id} activity={self.activity_id}>"
