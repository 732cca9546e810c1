"""Operation, Action and Attempt: a multi-step job, its steps with their states and leases, and
the attempts of each step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from webapp.activity import ActivityStatusable
from webapp.database import JSONType, Model, UTCDateTime, json_contains, utcnow

PENDING = "pending"
RUNNING = "running"
WAITING = "waiting"
COMPLETED = "completed"
FAILED = "failed"
#: Stopped by cancel_operation: final (an operation), or not to run (its next action).
CANCELLED = "cancelled"

#: Operation and action states, in the order the admin lists them.
STATES = (PENDING, WAITING, RUNNING, COMPLETED, FAILED, CANCELLED)
#: States of an operation that still has work to do.
ACTIVE_STATES = (PENDING, WAITING, RUNNING)
#: States of an operation that may be re-run from one of its steps (``rerun_action``).
FINISHED_STATES = (COMPLETED, FAILED)

#: How an attempt ended: ``completed``, ``failed`` (it raised, or ran past its timeout),
#: ``cancelled`` (its operation was), ``lost`` (its lease expired while it ran: its consumer
#: died, and the reaper took it back).
LOST = "lost"
OUTCOMES = (COMPLETED, FAILED, CANCELLED, LOST)

MAIN = "main"


def short_name(path: str) -> str:
    """An action's callable's own name, without its module (``module:name`` → ``name``)."""
    return path.rpartition(":")[2]


class Operation(ActivityStatusable, Model):
    """One run of a multi-step job: its globals, its state, and a pointer to the next action.

    Its activities (``operation.started``, ...) are those of the subject ``operation:<id>``,
    owned by ``owner_id``: ``op.activities()``, ``op.last_error("operation.failed")``.
    """

    __tablename__ = "operation"
    __table_args__ = (
        # Idempotency: one operation per name + params, or per name + explicit key. Two
        # partial indexes because NULL never collides in a unique index.
        Index(
            "uq_operation_name_params",
            "name",
            "params_hash",
            unique=True,
            sqlite_where=text("idempotency_key IS NULL"),
            postgresql_where=text("idempotency_key IS NULL"),
        ),
        Index(
            "uq_operation_name_key",
            "name",
            "idempotency_key",
            unique=True,
            sqlite_where=text("idempotency_key IS NOT NULL"),
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
        Index("ix_operation_state_id", "state", "id"),
        Index("ix_operation_owner_id_id", "owner_id", "id"),
        Index("ix_operation_created_at", "created_at"),
        # Retention keeps the newest failure of each name: a later one is looked up here.
        Index(
            "ix_operation_failed_name",
            "name",
            "failed_at",
            sqlite_where=text("state = 'failed'"),
            postgresql_where=text("state = 'failed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    globals: Mapped[dict] = mapped_column(JSONType, default=dict)
    params_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    # No foreign key: operation -> action -> operation would be a cycle that complicates
    # inserts and drops; the runner only ever sets it to one of this operation's actions.
    next_action_id: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    retries: Mapped[int] = mapped_column(Integer, default=3)
    retry_delay: Mapped[float] = mapped_column(default=10.0)
    start_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    actions: Mapped[list[Action]] = relationship(
        back_populates="operation",
        order_by="Action.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def activity_user_id(self) -> int | None:
        """Whose feed the operation's activities go to."""
        return self.owner_id

    @property
    def next_action(self) -> Action | None:
        """The action that runs next (None when completed)."""
        if self.next_action_id is None:
            return None
        return next((a for a in self.actions if a.id == self.next_action_id), None)

    def get(self, key: str, default: Any = None) -> Any:
        """A value of the operation's globals."""
        return (self.globals or {}).get(key, default)

    @classmethod
    def globals_contains(cls, mapping: Mapping[str, Any]) -> ColumnElement[bool]:
        """SQL: the globals contain ``mapping``, as jsonb ``@>`` says, on PostgreSQL and
        SQLite alike (``webapp.database.json_contains``); values it cannot match raise
        ValueError."""
        return json_contains(cls.__table__.c.globals, mapping, "globals")

    def __repr__(self) -> str:
        return f"<Operation {self.id} {self.name} {self.state}>"


class Action(Model):
    """One step of an operation: a callable stored by import path, on a branch, at a position."""

    __tablename__ = "operation_action"
    __table_args__ = (
        Index(
            "uq_operation_action_branch_position", "operation_id", "branch", "position", unique=True
        ),
        # The reaper's scan: running or queued actions whose lease (or start deadline) expired.
        Index("ix_operation_action_state_lease", "state", "lease_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("operation.id", ondelete="CASCADE"))
    branch: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default=PENDING)
    perform_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Seconds an attempt may run before it fails with a timeout (None: no limit).
    timeout: Mapped[float | None] = mapped_column(Float)
    attempts_count: Mapped[int] = mapped_column(Integer, default=0)
    # Attempts left before the operation fails; reset by retry_operation and rerun_action.
    attempts_left: Mapped[int] = mapped_column(Integer, default=1)
    error_message: Mapped[str | None] = mapped_column(Text)
    stack_trace: Mapped[str | None] = mapped_column(Text)
    errored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Who runs it and until when. For a queued action, lease_expires_at is the deadline by
    # which it must have started; past it, the reaper enqueues it again.
    lease_holder: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The path taken: 1, 2, 3... in completion order, and where a completed action jumped.
    run_order: Mapped[int | None] = mapped_column(Integer)
    jumped_to_id: Mapped[int | None] = mapped_column(Integer)

    operation: Mapped[Operation] = relationship(back_populates="actions")

    @property
    def short_name(self) -> str:
        """The callable's own name, without its module."""
        return short_name(self.name)

    def __repr__(self) -> str:
        return f"<Action {self.id} {self.branch}[{self.position}] {self.short_name} {self.state}>"


class Attempt(Model):
    """One finished attempt of an action: when it ran, how it ended, who ran it.

    Written by the transition that ends the attempt, in its transaction (a completion, a
    failure, a cancelled run settled, a lease reaped); an attempt still running is the
    action row itself (``started_at``, ``lease_holder``). Deleted with its action, which is
    deleted with its operation (the database cascades both).
    """

    __tablename__ = "operation_attempt"
    __table_args__ = (Index("ix_operation_attempt_action_id_id", "action_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("operation_action.id", ondelete="CASCADE"))
    #: 1, 2, 3...: the action's ``attempts_count`` when this attempt began.
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    #: The run's lease token: ``host:pid:thread:nonce`` of the consumer that ran it.
    holder: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def duration(self) -> dt.timedelta:
        return self.ended_at - self.started_at

    def __repr__(self) -> str:
        return f"<Attempt {self.id} action={self.action_id} #{self.attempt} {self.outcome}>"
