"""The Activity log: append-only rows, guarded by the ORM and by database triggers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from webapp.database import JSONType, UTCDateTime, utcnow
from webapp.extensions import db

#: Byte-order collation on PostgreSQL so key-prefix ranges match exactly (see validation).
KeyString = String(255).with_variant(String(255, collation="C"), "postgresql")


class ImmutableActivityError(RuntimeError):
    """Raised when code tries to change or delete an Activity row."""


class Activity(db.Model):
    __tablename__ = "activity"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "" for an activity with no subject (never NULL: equality must stay indexable).
    subject_type: Mapped[str] = mapped_column(String(100), default="")
    subject_id: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    key: Mapped[str] = mapped_column(KeyString)
    #: ``key`` without a leading "action.": alerts open and resolve on it.
    base_key: Mapped[str] = mapped_column(KeyString)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    #: True when value is exactly True, False when exactly False, else NULL (success/error).
    outcome: Mapped[bool | None] = mapped_column(Boolean)
    #: Python truthiness of value: a truthy activity resolves open alerts of its key.
    truthy: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str | None] = mapped_column(Text)
    system: Mapped[bool] = mapped_column(Boolean, default=False)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    action_required: Mapped[str | None] = mapped_column(String(64))
    action_url: Mapped[str | None] = mapped_column(String(2048))

    __table_args__ = (
        # The feed: one owner's rows, newest first, keyset-paged by id.
        Index("ix_activity_user_id_id", "user_id", "id"),
        # last_activity / current_statuses / alert resolution: per subject + key, newest first.
        Index("ix_activity_subject_key", "subject_type", "subject_id", "base_key", "id"),
        # last_success / last_error / health: per subject + outcome, newest first.
        Index("ix_activity_subject_outcome", "subject_type", "subject_id", "outcome", "id"),
        # Health charts and retention: one subject type over a time range.
        Index("ix_activity_subject_type_created", "subject_type", "created_at"),
        # Admin search by key prefix (a range on the C-collated key).
        Index("ix_activity_key", "key", "id"),
        # Open alerts of a user: only action-required rows.
        Index(
            "ix_activity_alerts",
            "user_id",
            "id",
            sqlite_where=text("action_required IS NOT NULL"),
            postgresql_where=text("action_required IS NOT NULL"),
        ),
    )

    def __repr__(self) -> str:
        return (
            f"<Activity {self.id} {self.key}={self.value!r} {self.subject_type}:{self.subject_id}>"
        )


class ActivityDeletePermit(db.Model):
    """A row here, inside the retention task's own transaction, is what lets it delete."""

    __tablename__ = "activity_delete_permit"

    id: Mapped[int] = mapped_column(primary_key=True)


@event.listens_for(Activity, "before_update")
def _refuse_update(mapper, connection, target: Activity) -> None:
    raise ImmutableActivityError(f"Activity {target.id} ({target.key}) is immutable")


@event.listens_for(Activity, "before_delete")
def _refuse_delete(mapper, connection, target: Activity) -> None:
    raise ImmutableActivityError(
        f"Activity {target.id} ({target.key}) cannot be deleted except by the retention task"
    )


SQLITE_TRIGGERS = [
    """CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'activity rows are immutable: UPDATE refused'); END""",
    """CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
    WHEN NOT EXISTS (SELECT 1 FROM activity_delete_permit)
    BEGIN SELECT RAISE(ABORT, 'activity rows are deleted only by the retention task'); END""",
]

POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION activity_refuse_update() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'activity rows are immutable: UPDATE refused'; END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER activity_no_update BEFORE UPDATE ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_refuse_update()""",
    """CREATE OR REPLACE FUNCTION activity_refuse_delete() RETURNS trigger AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM activity_delete_permit) THEN
        RAISE EXCEPTION 'activity rows are deleted only by the retention task';
      END IF;
      RETURN OLD;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER activity_no_delete BEFORE DELETE ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_refuse_delete()""",
]

for _statement in SQLITE_TRIGGERS:
    event.listen(Activity.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_TRIGGERS:
    event.listen(
        Activity.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
