"""The statements of an action step, built once with bound parameters.

Parameter names never repeat a column's name: a constant in ``values()`` is bound under its
column's name, and a parameter of that name would silently replace it.

A step is the hottest path of the Operations domain: claim (two conditional UPDATEs and one
read, one transaction), then completion (three UPDATEs and the activity INSERTs, one
transaction). Core statements on the tables, executed on the session's connection: building
an ORM statement, or loading ORM objects, cost several times what the database does for a
short action.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Update, bindparam, func, or_, select, update

from webapp.database import UTCDateTime
from webapp.operations.models import (
    ACTIVE_STATES,
    COMPLETED,
    PENDING,
    RUNNING,
    WAITING,
    Action,
    Operation,
)

OPERATION = Operation.__table__
ACTION = Action.__table__


def _now():
    return bindparam("now", type_=UTCDateTime())


@lru_cache(maxsize=1)
def claim_operation() -> Update:
    """Mark the operation running, if ``aid`` is its next action and it is due. Locks the
    operation row first (on PostgreSQL): the one lock order every writer follows."""
    owner = select(ACTION.c.operation_id).where(ACTION.c.id == bindparam("aid"))
    return (
        update(OPERATION)
        .where(
            OPERATION.c.id == owner.scalar_subquery(),
            OPERATION.c.next_action_id == bindparam("aid"),
            OPERATION.c.state.in_(ACTIVE_STATES),
            or_(OPERATION.c.start_at.is_(None), OPERATION.c.start_at <= _now()),
        )
        .values(state=RUNNING, updated_at=_now())
        .returning(
            OPERATION.c.id,
            OPERATION.c.name,
            OPERATION.c.owner_id,
            OPERATION.c.globals,
            OPERATION.c.start_at,
        )
    )


@lru_cache(maxsize=1)
def claim_action() -> Update:
    """Take the lease on ``aid`` if it is pending (or waiting) and due."""
    return (
        update(ACTION)
        .where(
            ACTION.c.id == bindparam("aid"),
            ACTION.c.state.in_((PENDING, WAITING)),
            or_(ACTION.c.perform_at.is_(None), ACTION.c.perform_at <= _now()),
        )
        .values(
            state=RUNNING,
            lease_holder=bindparam("token"),
            lease_expires_at=bindparam("expires", type_=UTCDateTime()),
            started_at=_now(),
            attempts_count=ACTION.c.attempts_count + 1,
            attempts_left=ACTION.c.attempts_left - 1,
        )
    )


@lru_cache(maxsize=1)
def operation_actions():
    """What the action is told about its operation's actions (jumps, the next action)."""
    return (
        select(
            ACTION.c.id,
            ACTION.c.branch,
            ACTION.c.position,
            ACTION.c.name,
            ACTION.c.state,
            ACTION.c.perform_at,
            ACTION.c.attempts_count,
        )
        .where(ACTION.c.operation_id == bindparam("op_id"))
        .order_by(ACTION.c.id)
    )


@lru_cache(maxsize=2)
def advance_operation(with_globals: bool) -> Update:
    """Point the operation at its next action (or end it), while ``aid`` is still its next
    one; with ``with_globals``, the globals the action changed as well."""
    values = {
        "state": bindparam("state_after"),
        "next_action_id": bindparam("next_id"),
        "completed_at": bindparam("op_completed_at", type_=UTCDateTime()),
        "updated_at": _now(),
    }
    if with_globals:
        values["globals"] = bindparam("op_globals", type_=OPERATION.c.globals.type)
    return (
        update(OPERATION)
        .where(OPERATION.c.id == bindparam("op_id"), OPERATION.c.next_action_id == bindparam("aid"))
        .values(**values)
    )


@lru_cache(maxsize=1)
def complete_action() -> Update:
    """Record the completion of ``aid`` if ``token`` still holds its lease."""
    last = (
        select(func.coalesce(func.max(ACTION.c.run_order), 0) + 1)
        .where(ACTION.c.operation_id == bindparam("op_id"))
        .scalar_subquery()
    )
    return (
        update(ACTION)
        .where(
            ACTION.c.id == bindparam("aid"),
            ACTION.c.state == RUNNING,
            ACTION.c.lease_holder == bindparam("token"),
        )
        .values(
            state=COMPLETED,
            completed_at=_now(),
            lease_holder=None,
            lease_expires_at=None,
            error_message=None,
            stack_trace=None,
            errored_at=None,
            run_order=last,
            jumped_to_id=bindparam("jump_id"),
        )
    )


@lru_cache(maxsize=1)
def queue_action() -> Update:
    """Make ``next_id`` the next action: pending (or waiting), with its start deadline."""
    return (
        update(ACTION)
        .where(ACTION.c.id == bindparam("next_id"))
        .values(
            state=bindparam("state_after"),
            lease_holder=None,
            lease_expires_at=bindparam("deadline", type_=UTCDateTime()),
        )
    )
