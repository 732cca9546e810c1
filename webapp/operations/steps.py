"""The statements of the operation transitions, built once with bound parameters.

Every transition after ``start`` is one transaction of these conditional statements: the
operation row first (the one lock order every writer follows), then its action; a condition
that no longer holds (the lease was lost, another reaper came first) matches no row, and the
transition writes nothing. Core statements on the tables: building an ORM statement, or
loading ORM objects, costs several times what the database does for a short action.

Parameter names never repeat a column's name: a constant in ``values()`` is bound under its
column's name, and a parameter of that name would silently replace it. A value a transition
sets is bound as ``set_<column>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from webapp.database import UTCDateTime
from webapp.operations.models import (
    ACTIVE_STATES,
    CANCELLED,
    COMPLETED,
    FAILED,
    PENDING,
    RUNNING,
    WAITING,
    Action,
    Attempt,
    Operation,
)

OPERATION = Operation.__table__
ACTION = Action.__table__
ATTEMPT = Attempt.__table__

#: Which action row a transition may change: ``lease``, while ``token`` holds its lease;
#: ``seen``, while its state and lease deadline are still those the transition read;
#: ``open``, while it is not completed (a completed action never runs again).
GUARDS = {
    "open": lambda: [ACTION.c.state != COMPLETED],
    "lease": lambda: [ACTION.c.state == RUNNING, ACTION.c.lease_holder == bindparam("token")],
    "seen": lambda: [
        ACTION.c.state == bindparam("seen_state"),
        ACTION.c.lease_expires_at.is_not_distinct_from(
            bindparam("seen_expiry", type_=UTCDateTime())
        ),
    ],
}


def _now() -> BindParameter[Any]:
    return bindparam("now", type_=UTCDateTime())


def _set(table: Table, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns}


def _columns(table: Table, names: str) -> list[Any]:
    """These columns of ``table`` (names separated by spaces)."""
    return [table.c[name] for name in names.split()]


def params(**values: Any) -> dict[str, Any]:
    """``set_<column>`` parameters for the columns a transition sets."""
    return {f"set_{name}": value for name, value in values.items()}


#: Which operation row a transition may change, besides ``aid`` being its next action:
#: ``active`` while it has work to do (a cancelled operation takes no more transitions);
#: ``failed`` while it is failed (a retry); ``cancelled`` once it is (a run settled after).
OPERATION_GUARDS = {
    "active": lambda: OPERATION.c.state.in_(ACTIVE_STATES),
    "failed": lambda: OPERATION.c.state == FAILED,
    "cancelled": lambda: OPERATION.c.state == CANCELLED,
}


@lru_cache(maxsize=32)
def set_operation(columns: tuple[str, ...], guard: str = "active") -> Update:
    """Set ``columns`` of operation ``op_id`` while ``aid`` is its next action and its
    ``guard`` holds (see ``OPERATION_GUARDS``)."""
    return (
        update(OPERATION)
        .where(
            OPERATION.c.id == bindparam("op_id"),
            OPERATION.c.next_action_id == bindparam("aid"),
            OPERATION_GUARDS[guard](),
        )
        .values(updated_at=_now(), **_set(OPERATION, columns))
    )


@lru_cache(maxsize=32)
def set_action(guard: str, columns: tuple[str, ...]) -> Update:
    """Set ``columns`` of action ``aid`` while its ``guard`` holds (see ``GUARDS``)."""
    return (
        update(ACTION)
        .where(ACTION.c.id == bindparam("aid"), *GUARDS[guard]())
        .values(**_set(ACTION, columns))
    )


def operation_write(
    values: Mapping[str, Any], *, guard: str = "active", **keys: Any
) -> tuple[Update, dict[str, Any]]:
    """The statement and parameters that set ``values`` on the operation, under ``guard``."""
    return set_operation(tuple(sorted(values)), guard), {**keys, **params(**values)}


def action_write(
    guard: str, values: Mapping[str, Any], **keys: Any
) -> tuple[Update, dict[str, Any]]:
    """The statement and parameters that set ``values`` on an action, under ``guard``."""
    return set_action(guard, tuple(sorted(values))), {**keys, **params(**values)}


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
        .returning(*_columns(OPERATION, "id name owner_id globals start_at retry_delay"))
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
def operation_actions() -> Select:
    """What the action is told about its operation's actions (jumps, the next action)."""
    names = "id branch position name state perform_at attempts_count attempts_left timeout"
    return (
        select(*_columns(ACTION, names))
        .where(ACTION.c.operation_id == bindparam("op_id"))
        .order_by(ACTION.c.id)
    )


@lru_cache(maxsize=1)
def action_and_operation() -> Select:
    """An action with what a transition that starts from it reads of its operation."""
    return select(
        *_columns(
            ACTION,
            "state lease_expires_at attempts_left attempts_count perform_at name started_at "
            "lease_holder",
        ),
        OPERATION.c.id.label("op_id"),
        OPERATION.c.name.label("op_name"),
        OPERATION.c.state.label("op_state"),
        *_columns(OPERATION, "owner_id next_action_id start_at retries"),
    ).where(ACTION.c.id == bindparam("aid"), OPERATION.c.id == ACTION.c.operation_id)


@lru_cache(maxsize=1)
def complete_action() -> Update:
    """Record the completion of ``aid`` if ``token`` still holds its lease; it takes the next
    place in its operation's run order."""
    last = (
        select(func.coalesce(func.max(ACTION.c.run_order), 0) + 1)
        .where(ACTION.c.operation_id == bindparam("op_id"))
        .scalar_subquery()
    )
    return (
        update(ACTION)
        .where(ACTION.c.id == bindparam("aid"), *GUARDS["lease"]())
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
def record_attempt() -> Insert:
    """One finished attempt of ``aid``, ended ``now``. Inline (no RETURNING of an id nothing
    reads), its rowcount kept (SQLAlchemy drops an INSERT's by default, and every write of a
    transition must say it wrote its row)."""
    return (
        insert(ATTEMPT)
        .values(
            action_id=bindparam("aid"),
            attempt=bindparam("attempt_no"),
            started_at=bindparam("started", type_=UTCDateTime()),
            ended_at=_now(),
            outcome=bindparam("attempt_outcome"),
            holder=bindparam("token"),
            error=bindparam("attempt_error"),
        )
        .inline()
        .execution_options(preserve_rowcount=True)
    )


def attempt_write(
    *,
    aid: int,
    attempt: int,
    started: Any,
    now: Any,
    outcome: str,
    token: str | None,
    error: str | None = None,
) -> tuple[Insert, dict[str, Any]]:
    """The statement and parameters that record one finished attempt (a transition's last
    write: the guarded updates before it decide whether it is committed)."""
    values = {
        "aid": aid,
        "attempt_no": attempt,
        "started": started if started is not None else now,
        "now": now,
        "attempt_outcome": outcome,
        "token": token,
        "attempt_error": error,
    }
    return record_attempt(), values


@lru_cache(maxsize=1)
def renew_leases() -> Update:
    """Extend the leases these ``tokens`` still hold on the actions ``ids`` to ``expires``;
    returns their holders. The ids make it a primary-key lookup, however many actions run."""
    return (
        update(ACTION)
        .where(
            ACTION.c.id.in_(bindparam("ids", expanding=True)),
            ACTION.c.state == RUNNING,
            ACTION.c.lease_holder.in_(bindparam("tokens", expanding=True)),
        )
        .values(lease_expires_at=bindparam("expires", type_=UTCDateTime()))
        .returning(ACTION.c.lease_holder)
    )


@lru_cache(maxsize=1)
def cancelled_among() -> Select:
    """Which of the operations ``op_ids`` are cancelled."""
    return select(OPERATION.c.id).where(
        OPERATION.c.id.in_(bindparam("op_ids", expanding=True)), OPERATION.c.state == CANCELLED
    )


@lru_cache(maxsize=1)
def cancel_operation() -> Update:
    """Cancel operation ``op_id`` unless it has finished (completed or cancelled)."""
    return (
        update(OPERATION)
        .where(
            OPERATION.c.id == bindparam("op_id"),
            OPERATION.c.state.in_((*ACTIVE_STATES, FAILED)),
        )
        .values(state=CANCELLED, cancelled_at=_now(), updated_at=_now())
        .returning(*_columns(OPERATION, "name owner_id next_action_id"))
    )


@lru_cache(maxsize=1)
def cancel_next_action() -> Update:
    """The next action of a cancelled operation, if it is not running: it will not run."""
    return (
        update(ACTION)
        .where(ACTION.c.id == bindparam("aid"), ACTION.c.state.in_((PENDING, WAITING, FAILED)))
        .values(state=CANCELLED, lease_holder=None, lease_expires_at=None)
    )


@lru_cache(maxsize=8)
def rerun_operation(columns: tuple[str, ...]) -> Update:
    """Make finished operation ``op_id`` run again from ``aid`` (not completed, not failed,
    ``columns`` set), while it is as the re-run read it: its state and its ``updated_at``."""
    return (
        update(OPERATION)
        .where(
            OPERATION.c.id == bindparam("op_id"),
            OPERATION.c.state == bindparam("seen_state"),
            OPERATION.c.updated_at == bindparam("seen_updated", type_=UTCDateTime()),
        )
        .values(
            next_action_id=bindparam("aid"),
            completed_at=None,
            failed_at=None,
            updated_at=_now(),
            **_set(OPERATION, columns),
        )
    )


def rerun_write(values: Mapping[str, Any], **keys: Any) -> tuple[Update, dict[str, Any]]:
    """The statement and parameters that make a finished operation run again (see
    ``rerun_operation``), setting ``values``."""
    return rerun_operation(tuple(sorted(values))), {**keys, **params(**values)}
