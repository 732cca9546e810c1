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

from webapp.database import JSONType, Model, UTCDateTime, utcnow

#: Byte-order collation on PostgreSQL so key-prefix ranges match exactly (see validation).
KeyString = String(255).with_variant(String(255, collation="C"), "postgresql")


class ImmutableActivityError(RuntimeError):
    """Raised when code tries to change or delete an Activity row."""


class Activity(Model):
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


class PeriodicOutcome(Model):
    """The newest success (``outcome`` true) and the newest error (false) of each periodic
    task: a copy of those activities' columns, one row per task and outcome, so the health
    overview reads one small table instead of looking up two rows per task in the log.

    Kept by triggers on ``activity`` (below), in the transaction that inserts or deletes the
    activity, whatever writes it (``record_activity``, the ORM, a bulk load):
    ``rebuild_periodic_outcomes`` fills it from the log (the migration's backfill). Its
    ``value`` is ``outcome`` itself: an activity has an outcome only when its value is exactly
    True or False.
    """

    __tablename__ = "periodic_outcome"

    #: The task's name (the activity's ``subject_id``; its ``subject_type`` is "periodic_task").
    task: Mapped[str] = mapped_column(String(255), primary_key=True)
    outcome: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    activity_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    key: Mapped[str] = mapped_column(KeyString)
    message: Mapped[str | None] = mapped_column(Text)


# Its triggers are on activity: that table is created first, and dropped after it.
PeriodicOutcome.__table__.add_is_dependent_on(Activity.__table__)


class ActivityDeletePermit(Model):
    """A row here, inside the retention task's own transaction, is what lets it delete."""

    __tablename__ = "activity_delete_permit"

    id: Mapped[int] = mapped_column(primary_key=True)


@event.listens_for(Activity, "before_update")
def _refuse_update(mapper: Any, connection: Any, target: Activity) -> None:
    raise ImmutableActivityError(f"Activity {target.id} ({target.key}) is immutable")


@event.listens_for(Activity, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, target: Activity) -> None:
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


def _on(table: Any, when: str, sqlite: list[str], postgresql: list[str]) -> None:
    """Run these statements on ``table``'s ``when`` (``after_create``, ``before_drop``)."""
    for dialect, statements in (("sqlite", sqlite), ("postgresql", postgresql)):
        for statement in statements:
            event.listen(table, when, DDL(statement).execute_if(dialect=dialect))


_on(Activity.__table__, "after_create", SQLITE_TRIGGERS, POSTGRES_TRIGGERS)


# The newest success and error of each periodic task (``PeriodicOutcome``), kept by the
# database in the transaction that writes the activity. An insert moves the row forward only
# to a newer id (concurrent PostgreSQL transactions may commit out of id order); deleting the
# activity a row copies (retention) copies the newest remaining one instead. Only periodic
# task outcomes run more than the trigger's condition.

PERIODIC_OUTCOME_SQLITE_TRIGGERS = [
    """CREATE TRIGGER activity_periodic_outcome AFTER INSERT ON activity
    WHEN NEW.subject_type = 'periodic_task' AND NEW.outcome IS NOT NULL
    BEGIN
      INSERT INTO periodic_outcome (task, outcome, activity_id, created_at, key, message)
      VALUES (NEW.subject_id, NEW.outcome, NEW.id, NEW.created_at, NEW.key, NEW.message)
      ON CONFLICT (task, outcome) DO UPDATE SET activity_id = excluded.activity_id,
        created_at = excluded.created_at, key = excluded.key, message = excluded.message
      WHERE excluded.activity_id > periodic_outcome.activity_id;
    END""",
    """CREATE TRIGGER activity_periodic_outcome_gone AFTER DELETE ON activity
    WHEN OLD.subject_type = 'periodic_task' AND OLD.outcome IS NOT NULL AND EXISTS (
      SELECT 1 FROM periodic_outcome p
      WHERE p.task = OLD.subject_id AND p.outcome = OLD.outcome AND p.activity_id = OLD.id
    )
    BEGIN
      DELETE FROM periodic_outcome WHERE task = OLD.subject_id AND outcome = OLD.outcome;
      INSERT INTO periodic_outcome (task, outcome, activity_id, created_at, key, message)
      SELECT subject_id, outcome, id, created_at, key, message FROM activity
      WHERE subject_type = 'periodic_task' AND subject_id = OLD.subject_id
        AND outcome = OLD.outcome
      ORDER BY id DESC LIMIT 1;
    END""",
]

PERIODIC_OUTCOME_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION activity_periodic_outcome() RETURNS trigger AS $$
    BEGIN
      INSERT INTO periodic_outcome AS p (task, outcome, activity_id, created_at, key, message)
      VALUES (NEW.subject_id, NEW.outcome, NEW.id, NEW.created_at, NEW.key, NEW.message)
      ON CONFLICT (task, outcome) DO UPDATE SET activity_id = excluded.activity_id,
        created_at = excluded.created_at, key = excluded.key, message = excluded.message
      WHERE excluded.activity_id > p.activity_id;
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER activity_periodic_outcome AFTER INSERT ON activity FOR EACH ROW
    WHEN (NEW.subject_type = 'periodic_task' AND NEW.outcome IS NOT NULL)
    EXECUTE FUNCTION activity_periodic_outcome()""",
    """CREATE OR REPLACE FUNCTION activity_periodic_outcome_gone() RETURNS trigger AS $$
    BEGIN
      DELETE FROM periodic_outcome p
      WHERE p.task = OLD.subject_id AND p.outcome = OLD.outcome AND p.activity_id = OLD.id;
      IF FOUND THEN
        INSERT INTO periodic_outcome (task, outcome, activity_id, created_at, key, message)
        SELECT a.subject_id, a.outcome, a.id, a.created_at, a.key, a.message FROM activity a
        WHERE a.subject_type = 'periodic_task' AND a.subject_id = OLD.subject_id
          AND a.outcome = OLD.outcome
        ORDER BY a.id DESC LIMIT 1;
      END IF;
      RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER activity_periodic_outcome_gone AFTER DELETE ON activity FOR EACH ROW
    WHEN (OLD.subject_type = 'periodic_task' AND OLD.outcome IS NOT NULL)
    EXECUTE FUNCTION activity_periodic_outcome_gone()""",
]

#: Removes them again (the migration's downgrade, and before the table is dropped).
PERIODIC_OUTCOME_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS activity_periodic_outcome",
    "DROP TRIGGER IF EXISTS activity_periodic_outcome_gone",
]
PERIODIC_OUTCOME_POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS activity_periodic_outcome ON activity",
    "DROP TRIGGER IF EXISTS activity_periodic_outcome_gone ON activity",
    "DROP FUNCTION IF EXISTS activity_periodic_outcome()",
    "DROP FUNCTION IF EXISTS activity_periodic_outcome_gone()",
]

_outcomes = PeriodicOutcome.__table__
_on(_outcomes, "after_create", PERIODIC_OUTCOME_SQLITE_TRIGGERS, PERIODIC_OUTCOME_POSTGRES_TRIGGERS)
_on(_outcomes, "before_drop", PERIODIC_OUTCOME_SQLITE_DROP, PERIODIC_OUTCOME_POSTGRES_DROP)


#: What the triggers keep ``periodic_outcome`` at, computed from the log: each periodic task's
#: newest activity with outcome true and with outcome false (the migration's backfill).
PERIODIC_OUTCOME_REBUILD = [
    "DELETE FROM periodic_outcome",
    """INSERT INTO periodic_outcome (task, outcome, activity_id, created_at, key, message)
    SELECT subject_id, outcome, id, created_at, key, message FROM activity
    WHERE id IN (
      SELECT max(id) FROM activity
      WHERE subject_type = 'periodic_task' AND outcome IS NOT NULL
      GROUP BY subject_id, outcome
    )""",
]


def rebuild_periodic_outcomes(connection: Any) -> None:
    """Fill ``periodic_outcome`` from the log, in the caller's transaction (after rows were
    loaded with the triggers off, or to repair it)."""
    for statement in PERIODIC_OUTCOME_REBUILD:
        connection.execute(text(statement))
