"""After an action runs: record its outcome and move the operation on, in one transaction.

Each write to the action is a conditional UPDATE on the lease holder's token: a run whose
lease was taken over (its consumer looked dead) records nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from sqlalchemy import select, update

from webapp.activity import write_transaction
from webapp.database import utcnow
from webapp.extensions import db
from webapp.operations import steps
from webapp.operations.context import ActionContext, ActionRef
from webapp.operations.models import (
    COMPLETED,
    FAILED,
    MAIN,
    PENDING,
    RUNNING,
    Action,
    Operation,
)
from webapp.operations.service import (
    activity,
    commit_step,
    enqueue_action,
    eta_for,
    lease_seconds,
    lock_operation,
    make_next,
    queued_state,
)
from webapp.operations.signals import announce

log = logging.getLogger(__name__)

#: An Action row, or an ActionRef: what the choice of the next action reads.
Step = TypeVar("Step", Action, ActionRef)


def next_after(actions: Sequence[Step], current: Step, jump: Step | None) -> Step | None:
    """The jump target if it jumped; else the next incomplete action on its branch; else the
    first incomplete action on main; None when the operation is done."""
    if jump is not None:
        return jump
    open_ = sorted(
        (a for a in actions if a.state != COMPLETED and a.id != current.id),
        key=lambda a: a.position,
    )
    same = [a for a in open_ if a.branch == current.branch and a.position > current.position]
    if same:
        return same[0]
    return next((a for a in open_ if a.branch == MAIN), None)


def _held(action_id: int, token: str):
    return update(Action).where(
        Action.id == action_id, Action.state == RUNNING, Action.lease_holder == token
    )


@dataclass(frozen=True)
class OperationSubject:
    """An operation as the subject of its activities, without loading it."""

    id: int
    name: str
    owner_id: int | None
    activity_subject_type: ClassVar[str] = "operation"

    @property
    def activity_subject_id(self) -> str:
        return str(self.id)

    @property
    def activity_user_id(self) -> int | None:
        return self.owner_id


def complete_action(action: ActionContext, token: str) -> bool:
    """Record a completed run, its globals and the next-action pointer in one transaction,
    then enqueue the next action. False if the lease was lost (another run took over).

    While this run holds the lease no other action of the operation runs, so the actions as
    the claim read them still hold: the next action is chosen from them.
    """
    now = utcnow()
    actions = action.actions
    current = next(a for a in actions if a.id == action.id)
    jump = action.jump_target
    if jump is not None and jump.state == COMPLETED:
        jump = None  # jump_to refuses completed targets; never run an action twice
    nxt = next_after(actions, current, jump)
    if nxt is None:
        state, deadline = COMPLETED, None
    else:
        state, deadline = queued_state(nxt.perform_at, action.start_at, now)
    params = {
        "op_id": action.operation_id,
        "aid": action.id,
        "now": now,
        "token": token,
        "state_after": state,
        "next_id": nxt.id if nxt is not None else None,
        "op_completed_at": now if nxt is None else None,
        "jump_id": jump.id if jump is not None else None,
        "deadline": deadline,
    }
    if action.changes:
        params["op_globals"] = action.globals
    op = OperationSubject(action.operation_id, action.operation_name, action.owner_id)
    with write_transaction() as tx:
        done = (
            tx.execute(steps.advance_operation(bool(action.changes)), params).rowcount == 1
            and tx.execute(steps.complete_action(), params).rowcount == 1
        )
        if not done:
            tx.rollback()
            log.warning("action %s lost its lease before completing; not recorded", action.id)
            return False
        if nxt is not None:
            tx.execute(steps.queue_action(), params)
        message = f"{op.name}: {current.short_name} completed"
        activity(op, "action_completed", True, message, system=True, tx=tx)
        if nxt is None:
            activity(op, "completed", True, f"Operation {op.name} completed", tx=tx)
    if nxt is not None:
        enqueue_action(nxt.id, eta_for(nxt.perform_at, action.start_at))
    announce(op.id, state, op.name)
    return True


def fail_action(
    action: ActionContext, token: str, error: str, trace: str
) -> tuple[bool, float] | None:
    """Record a failed attempt: error, trace, time. The operation fails when no attempts are
    left. Returns (final, retry_delay), or None if the lease was lost."""
    now = utcnow()
    op = lock_operation(action.operation_id)
    row = db.session.get(Action, action.id, populate_existing=True)
    final = row.attempts_left <= 0
    retry_at = now + dt.timedelta(seconds=op.retry_delay)
    done = db.session.execute(
        _held(action.id, token)
        .values(
            state=FAILED if final else PENDING,
            error_message=error,
            stack_trace=trace,
            errored_at=now,
            lease_holder=None,
            # Not final: Huey retries after retry_delay; the deadline lets the reaper step in
            # if that retry is lost with its consumer.
            lease_expires_at=None if final else retry_at + lease_seconds(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.rollback()
        log.warning("action %s lost its lease before failing; not recorded", action.id)
        return None
    _record_failure(op, row, error, final, now)
    retry_delay = op.retry_delay
    commit_step(op)
    return final, retry_delay


def _record_failure(op: Operation, row: Action, error: str, final: bool, now) -> None:
    attempt = row.attempts_count
    activity(
        op,
        "action_failed",
        False,
        f"{op.name}: {row.short_name} failed (attempt {attempt}): {error}",
        system=True,
    )
    if final:
        op.state = FAILED
        op.failed_at = now
        activity(op, "failed", False, f"Operation {op.name} failed at {row.short_name}: {error}")
    else:
        op.state = PENDING


def reap_action(action_id: int, seen_expiry: dt.datetime, now: dt.datetime) -> bool:
    """Resume one action whose lease (or start deadline) expired: back to pending and
    enqueued again; a running one that had no attempts left fails. False if another reaper or
    a runner changed it since it was seen."""
    op_id = db.session.scalar(select(Action.operation_id).where(Action.id == action_id))
    op = lock_operation(op_id)
    row = db.session.get(Action, action_id, populate_existing=True)
    if (
        op.next_action_id != action_id
        or row.lease_expires_at != seen_expiry
        or row.state not in (PENDING, RUNNING, "waiting")
    ):
        db.session.rollback()
        return False
    was_running = row.state == RUNNING
    if was_running:
        error = "lease expired while running: its consumer stopped before the action finished"
        row.error_message, row.stack_trace, row.errored_at = error, None, now
        final = row.attempts_left <= 0
        row.lease_holder = None
        if final:
            row.state = FAILED
            row.lease_expires_at = None
        _record_failure(op, row, error, final, now)
        if final:
            commit_step(op)
            return True
    make_next(op, row, now)
    commit_step(op, row)
    return True
