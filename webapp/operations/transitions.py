"""Every state change of an operation, each one function and one transaction, with the
Huey tasks beside them: start, claim, complete, fail, reap, cancel (and, in ``rerun``, the
retry and the re-run of a finished operation, built from the same pieces).

An action run takes the action's lease with one conditional UPDATE: only a pending or
waiting action that is its operation's next action, and is due, can be taken, so two
consumers never run it at once and a stray or duplicate task does nothing. The lease lasts
``BEACON_ACTION_LEASE`` seconds and is renewed while the action runs (``leases``). Each write
a run makes afterwards is conditional on its lease token: the end of a run whose lease was
taken over (its consumer stalled for the whole lease) is refused, and the refusal recorded.
A cancelled operation takes no more transitions: its running action, when it ends, is only
settled (completed or cancelled), and nothing runs after it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from flask import current_app
from huey import crontab
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.activity import WriteTransaction, periodic_task, record_activity, write_transaction
from webapp.database import begin_write, check_id, utcnow
from webapp.extensions import db, huey
from webapp.heartbeat import Duty, Heartbeat
from webapp.operations import leases, steps
from webapp.operations.context import ActionContext, ActionRef
from webapp.operations.leases import lease_seconds
from webapp.operations.models import (
    ACTIVE_STATES,
    CANCELLED,
    COMPLETED,
    FAILED,
    LOST,
    MAIN,
    PENDING,
    RUNNING,
    WAITING,
    Action,
    Operation,
    short_name,
)
from webapp.operations.signals import announce
from webapp.operations.spec import OperationSpec, callable_for, check_start
from webapp.queue import PRIORITIES

log = logging.getLogger(__name__)

#: Huey priority of action runs.
ACTION_PRIORITY = PRIORITIES["medium"]
#: How many expired actions one reaper pass handles at most.
REAP_BATCH = 200


# -- start: an operation made to run ---------------------------------------------------------


ActionEntry = Callable[..., Any] | str | tuple[Callable[..., Any] | str, Mapping[str, Any]]


def start_operation(
    name: str,
    globals: Mapping[str, Any] | None = None,  # noqa: A002 - the contract's name
    branches: Mapping[str, Sequence[ActionEntry]] | None = None,
    *,
    delay: float | None = None,
    eta: dt.datetime | None = None,
    owner_id: int | None = None,
    idempotency_key: str | None = None,
    retries: int = 3,
    retry_delay: float = 10,
    timeout: float | None = None,
) -> Operation:
    """Create an operation and enqueue its first action; return it (or the existing one).

    ``branches`` maps branch names to lists of actions; ``main`` is required and runs first.
    An action is a module-level callable taking the action object (or a class with a
    ``call(action)`` classmethod), or its import path, or ``(action, {"perform_at": when})``.
    The first action is enqueued now, after ``delay`` seconds, or at ``eta`` (aware datetime).
    Each action is attempted ``retries + 1`` times, ``retry_delay`` seconds apart, before the
    operation fails. ``timeout``: seconds an attempt of each action may run (an action's own
    ``(action, {"timeout": s})`` wins); past it the attempt fails with Huey's TaskTimeout.

    Idempotent: the same name + globals + branches returns the existing operation, whatever
    its state; with an ``idempotency_key``, the same name + key does (and reusing a key with
    other globals or branches raises ValueError). Everything is checked before anything is
    written: bad input raises ValueError naming the problem.
    """
    spec = check_start(
        name,
        globals,
        branches,
        delay=delay,
        eta=eta,
        owner_id=owner_id,
        idempotency_key=idempotency_key,
        retries=retries,
        retry_delay=retry_delay,
        now=utcnow(),
        timeout=timeout,
    )
    begin_write(db.session)  # it reads, then writes what it read
    _check_owner(spec.owner_id)
    existing = _find_existing(spec)
    if existing is not None:
        return _detached(existing)
    try:
        with db.session.begin_nested():
            op = _insert(spec)
    except IntegrityError:
        # Another process started the same operation between our look-up and insert.
        existing = _find_existing(spec)
        if existing is None:
            raise
        return _detached(existing)
    activity(op, "started", True, f"Operation {op.name} started")
    first = op.actions[0]  # main's first action: its next one
    op = _detached(op)  # committed: now the first run may begin
    enqueue_action(first.id, eta_for(first.perform_at, op.start_at))
    announce(op.id, op.state, op.name)
    return op


def _check_owner(owner_id: int | None) -> None:
    if owner_id is None:
        return
    from webapp.accounts.models import User

    if db.session.get(User, owner_id) is None:
        raise ValueError(f"owner_id {owner_id} is not a user")


def _find_existing(spec: OperationSpec) -> Operation | None:
    query = select(Operation).where(Operation.name == spec.name)
    if spec.idempotency_key is None:
        query = query.where(
            Operation.params_hash == spec.params_hash, Operation.idempotency_key.is_(None)
        )
    else:
        query = query.where(Operation.idempotency_key == spec.idempotency_key)
    op = db.session.execute(query.options(selectinload(Operation.actions))).scalar_one_or_none()
    if op is not None and op.params_hash != spec.params_hash:
        raise ValueError(
            f"idempotency_key {spec.idempotency_key!r} already started operation {op.id} "
            f"({op.name}) with other globals or branches"
        )
    return op


def _insert(spec: OperationSpec) -> Operation:
    now = utcnow()
    op = Operation(
        name=spec.name,
        globals=spec.globals,
        params_hash=spec.params_hash,
        idempotency_key=spec.idempotency_key,
        owner_id=spec.owner_id,
        retries=spec.retries,
        retry_delay=spec.retry_delay,
        start_at=spec.start_at,
        state=PENDING,
    )
    op.actions = [
        Action(
            branch=a.branch,
            position=a.position,
            name=a.path,
            perform_at=a.perform_at,
            timeout=a.timeout,
            state=PENDING,
            attempts_left=spec.retries + 1,
        )
        for a in spec.actions
    ]
    first = op.actions[0]  # main's first action: check_branches puts it first
    for name, value in queued(first.perform_at, op.start_at, now).items():
        setattr(first, name, value)
    op.state = first.state
    db.session.add(op)
    db.session.flush()
    op.next_action_id = first.id
    db.session.flush()
    return op


def eta_for(perform_at: dt.datetime | None, start_at: dt.datetime | None) -> dt.datetime | None:
    """When an action may run: the later of its perform_at and its operation's start time
    (either may be None)."""
    times = [t for t in (perform_at, start_at) if t is not None]
    return max(times) if times else None


def queued(
    perform_at: dt.datetime | None, start_at: dt.datetime | None, now: dt.datetime
) -> dict[str, Any]:
    """The columns of an action made its operation's next one: pending (or waiting until its
    perform_at), no holder, and the deadline by which it must have started, or the reaper
    enqueues it again."""
    eta = eta_for(perform_at, start_at)
    return {
        "state": WAITING if perform_at is not None and perform_at > now else PENDING,
        "lease_holder": None,
        "lease_expires_at": max(now, eta or now) + lease_seconds(),
    }


@dataclass(frozen=True)
class OperationSubject:
    """An operation as the subject of its activities, without loading it."""

    id: int
    name: str
    owner_id: int | None
    activity_subject_type: ClassVar[str] = "operation"

    @classmethod
    def of_run(cls, action: ActionContext) -> OperationSubject:
        """The operation of a running action."""
        return cls(action.operation_id, action.operation_name, action.owner_id)

    @property
    def activity_subject_id(self) -> str:
        return str(self.id)

    @property
    def activity_user_id(self) -> int | None:
        return self.owner_id


#: One activity of a transition: (key, value, message, system).
Record = tuple[str, Any, str, bool]
#: The action a transition enqueues next, and when it may run.
RunNext = tuple[int, dt.datetime | None]


def commit_transition(
    op: OperationSubject,
    state: str,
    writes: Sequence[tuple[Any, Mapping[str, Any]]],
    records: Sequence[Record] = (),
    run_next: RunNext | None = None,
) -> bool:
    """The one shape of a transition: its conditional writes and its activities in one
    transaction, then the next action enqueued and ``operation_changed`` sent. A write whose
    condition no longer holds matches no row: then nothing is written and it returns False."""
    with write_transaction() as tx:
        for statement, values in writes:
            if tx.execute(statement, values).rowcount != 1:
                tx.rollback()
                return False
        for key, value, message, system in records:
            activity(op, key, value, message, system=system, tx=tx)
    if run_next is not None:
        enqueue_action(*run_next)
    announce(op.id, state, op.name)
    return True


def _detached(op: Operation) -> Operation:
    """An operation handed back: detached, with its actions, its read ended."""
    op.actions  # noqa: B018 - loaded before detaching
    db.session.expunge(op)
    db.session.commit()
    return op


def load_operation(op_id: int) -> Operation:
    """The operation as committed, detached with its actions."""
    op = db.session.execute(
        select(Operation)
        .where(Operation.id == op_id)
        .options(selectinload(Operation.actions))
        .execution_options(populate_existing=True)
    ).scalar_one()
    return _detached(op)


def enqueue_action(action_id: int, eta: dt.datetime | None = None) -> None:
    """One run of the action-runner task for this action, now or at ``eta``."""
    if eta is not None and eta > utcnow():
        run_action.schedule(args=(action_id,), eta=eta)
    else:
        run_action(action_id)


def activity(
    op: Any,
    key: str,
    value: Any,
    message: str,
    *,
    system: bool = False,
    tx: WriteTransaction | None = None,
) -> None:
    """An ``operation.<key>`` activity for the owner of ``op`` (an Operation, or anything
    with its ``owner_id`` and activity identity), inside the caller's transaction: the
    session's, or ``tx``."""
    args = (f"operation.{key}", value, message[:2000])
    options = {"subject": op, "user_id": op.owner_id, "system": system}
    if tx is not None:
        tx.record(*args, **options)
    else:
        record_activity(*args, **options, commit=False)


def _read(action_id: int) -> Any:
    """An action and what its transitions read of its operation (see ``steps``)."""
    return db.session.execute(steps.action_and_operation(), {"aid": action_id}).first()


# -- after a run: completed, failed, or reaped -------------------------------------------------


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


def complete_action(action: ActionContext, token: str) -> bool:
    """Record a completed run, its globals and the next-action pointer in one transaction,
    then enqueue the next action. False if the lease was lost (another run took over) or the
    operation was cancelled.

    While this run holds the lease no other action of the operation runs, so the actions as
    the claim read them still hold: the next action is chosen from them.
    """
    now = utcnow()
    current = next(a for a in action.actions if a.id == action.id)
    jump = action.jump_target
    if jump is not None and jump.state == COMPLETED:
        jump = None  # jump_to refuses completed targets; never run an action twice
    nxt = next_after(action.actions, current, jump)
    op = OperationSubject.of_run(action)
    keys: dict[str, Any] = {"op_id": op.id, "aid": action.id, "now": now, "token": token}
    moved: dict[str, Any] = {"next_action_id": nxt.id if nxt is not None else None}
    if action.changes:
        moved["globals"] = action.globals
    records: list[Record] = [
        ("action_completed", True, f"{op.name}: {current.short_name} completed", True)
    ]
    writes = []
    if nxt is None:
        state, run_next = COMPLETED, None
        moved.update(state=COMPLETED, completed_at=now)
        records.append(("completed", True, f"Operation {op.name} completed", False))
    else:
        again = queued(nxt.perform_at, action.start_at, now)
        state, run_next = again["state"], (nxt.id, eta_for(nxt.perform_at, action.start_at))
        moved["state"] = state
        writes.append(steps.action_write("open", again, aid=nxt.id))
    writes[:0] = [
        steps.operation_write(moved, **keys),
        (steps.complete_action(), {**keys, "jump_id": jump.id if jump is not None else None}),
    ]
    writes.append(_attempt(action, token, now, COMPLETED))
    return commit_transition(op, state, writes, records, run_next)


def _attempt(
    action: ActionContext, token: str, now: dt.datetime, outcome: str, error: str | None = None
) -> tuple[Any, dict[str, Any]]:
    """The attempt row of a run that ends now (its transaction's last write)."""
    return steps.attempt_write(
        aid=action.id,
        attempt=action.attempt,
        started=action.started_at,
        now=now,
        outcome=outcome,
        token=token,
        error=error,
    )


def fail_action(
    action: ActionContext, token: str, error: str, trace: str
) -> tuple[bool, float] | None:
    """Record a failed attempt: error, trace, time. The operation fails when no attempts are
    left. Returns (final, retry_delay), or None if the lease was lost or the operation was
    cancelled."""
    now = utcnow()
    final = action.attempts_left <= 0
    retry_at = now + dt.timedelta(seconds=action.retry_delay)
    op = OperationSubject.of_run(action)
    keys: dict[str, Any] = {"op_id": op.id, "aid": action.id, "now": now, "token": token}
    failed = {
        "state": FAILED if final else PENDING,
        "error_message": error,
        "stack_trace": trace,
        "errored_at": now,
        "lease_holder": None,
        # Not final: Huey retries after retry_delay; the deadline lets the reaper step in if
        # that retry is lost with its consumer.
        "lease_expires_at": None if final else retry_at + lease_seconds(),
    }
    writes = [
        steps.operation_write(_failed_operation(final, now), **keys),
        steps.action_write("lease", failed, **keys),
        _attempt(action, token, now, FAILED, error),
    ]
    records = _failure(op, short_name(action.name), action.attempt, error, final)
    if commit_transition(op, FAILED if final else PENDING, writes, records):
        return final, action.retry_delay
    return None


def _failed_operation(final: bool, now: dt.datetime) -> dict[str, Any]:
    return {"state": FAILED, "failed_at": now} if final else {"state": PENDING}


def _failure(
    op: OperationSubject, short: str, attempt: int, error: str, final: bool
) -> list[Record]:
    records: list[Record] = [
        ("action_failed", False, f"{op.name}: {short} failed (attempt {attempt}): {error}", True)
    ]
    if final:
        records.append(("failed", False, f"Operation {op.name} failed at {short}: {error}", False))
    return records


def reap_action(action_id: int, seen_expiry: dt.datetime, now: dt.datetime) -> bool:
    """Resume one action whose lease (or start deadline) expired: back to pending and
    enqueued again; a running one that had no attempts left fails. False if another reaper or
    a runner changed it since it was seen."""
    row = _read(action_id)
    db.session.rollback()
    if (
        row is None
        or row.next_action_id != action_id
        or row.lease_expires_at != seen_expiry
        or row.state not in (PENDING, RUNNING, WAITING)
    ):
        return False
    op = OperationSubject(row.op_id, row.op_name, row.owner_id)
    keys: dict[str, Any] = {"op_id": op.id, "aid": action_id, "now": now}
    seen = {"seen_state": row.state, "seen_expiry": seen_expiry}
    records: list[Record] = []
    values = queued(row.perform_at, row.start_at, now)
    moved = {"state": values["state"]}
    run_next: RunNext | None = (action_id, eta_for(row.perform_at, row.start_at))
    writes: list[tuple[Any, Mapping[str, Any]]] = []
    if row.state == RUNNING:
        error = "lease expired while running: its consumer stopped before the action finished"
        final = row.attempts_left <= 0
        records = _failure(op, short_name(row.name), row.attempts_count, error, final)
        values.update(error_message=error, stack_trace=None, errored_at=now)
        if final:
            values.update(state=FAILED, lease_expires_at=None)
            moved, run_next = _failed_operation(True, now), None
        lost = steps.attempt_write(
            aid=action_id,
            attempt=row.attempts_count,
            started=row.started_at,
            now=now,
            outcome=LOST,
            token=row.lease_holder,
            error=error,
        )
        writes.append(lost)
    writes[:0] = [
        steps.operation_write(moved, **keys),
        steps.action_write("seen", values, **keys, **seen),
    ]
    return commit_transition(op, moved["state"], writes, records, run_next)


# -- cancel: an operation stopped for good ----------------------------------------------------


def cancel_operation(op_id: int, *, by_user_id: int | None = None) -> Operation:
    """Cancel an operation: it becomes ``cancelled`` (final: retry_operation refuses it), its
    next action does not run (a pending, waiting or failed one is ``cancelled``), and a running
    one sees ``action.cancel_requested`` within ``BEACON_CANCEL_POLL`` seconds; what completed
    stays completed. Records ``operation.cancelled`` for the owner (its value names who
    cancelled it). A finished (completed or cancelled) or unknown operation: ValueError."""
    check_id(op_id, "operation id")
    if by_user_id is not None:
        check_id(by_user_id, "by_user_id")
    with write_transaction() as tx:
        row = tx.execute(steps.cancel_operation(), {"op_id": op_id, "now": utcnow()}).first()
        if row is not None:
            op = OperationSubject(op_id, row.name, row.owner_id)
            if row.next_action_id is not None:
                tx.execute(steps.cancel_next_action(), {"aid": row.next_action_id})
            value = {"by_user_id": by_user_id}
            activity(op, "cancelled", value, f"Operation {op.name} cancelled", tx=tx)
    if row is None:
        state = db.session.execute(
            select(Operation.state).where(Operation.id == op_id)
        ).scalar_one_or_none()
        db.session.rollback()
        if state is None:
            raise ValueError(f"unknown operation {op_id}")
        raise ValueError(f"operation {op_id} is {state}: it has finished, nothing to cancel")
    announce(op_id, CANCELLED, row.name)
    return load_operation(op_id)


def _settled(
    action: ActionContext, token: str, error: str | None, *, completed: bool = False
) -> str | None:
    """End the run of an action whose operation was cancelled, while it holds the lease:
    ``completed`` (its work is done, and stays recorded) or ``cancelled``; nothing runs after
    it. None if the operation is not cancelled or the lease was lost."""
    now = utcnow()
    op = OperationSubject.of_run(action)
    keys: dict[str, Any] = {"op_id": op.id, "aid": action.id, "now": now, "token": token}
    cancelled = steps.operation_write({}, guard="cancelled", **keys)
    if completed:
        end = (steps.complete_action(), {**keys, "jump_id": None})
        record = ("action_completed", True, f"{op.name}: {action.short_name} completed", True)
    else:
        values: dict[str, Any] = {
            "state": CANCELLED,
            "lease_holder": None,
            "lease_expires_at": None,
        }
        if error is not None:
            values.update(error_message=error, errored_at=now)
        end = steps.action_write("lease", values, **keys)
        record = ("action_cancelled", False, f"{op.name}: {action.short_name} cancelled", True)
    attempt = _attempt(action, token, now, COMPLETED if completed else CANCELLED, error)
    if commit_transition(op, CANCELLED, [cancelled, end, attempt], [record]):
        return COMPLETED if completed else CANCELLED
    return None


def _refused(action: ActionContext, what: str) -> None:
    """Record (system, private) that a run's end was refused: its lease had been taken over."""
    op = OperationSubject.of_run(action)
    message = (
        f"{op.name}: {action.short_name} ended after its lease was lost to another run; "
        f"{what} was not recorded"
    )
    log.warning("action %s: %s", action.id, message)
    record_activity(
        "operation.lease_lost",
        {"action_id": action.id, "attempt": action.attempt},
        message[:2000],
        subject=op,
        user_id=op.owner_id,
        system=True,
        private=True,
    )


# -- the runner: claim, run, and the reaper's pass ----------------------------------------------


def lease_token() -> str:
    """Who holds a lease: host, process, thread, and a nonce for this run."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def claim_action(action_id: int, token: str) -> ActionContext | None:
    """Take the lease on a due action that is its operation's next one; None if not ours."""
    now = utcnow()
    params = {"aid": action_id, "now": now}
    # On PostgreSQL the claim commits without waiting for the disk: a claim lost in a
    # database crash leaves the action pending with its start deadline, and the reaper runs
    # it again, as after a consumer that died mid-run. The completion commits durably.
    with write_transaction(durable=False) as conn:
        op = conn.execute(steps.claim_operation(), params).first()
        claim = {**params, "token": token, "expires": now + lease_seconds()}
        if op is None or conn.execute(steps.claim_action(), claim).rowcount != 1:
            conn.rollback()
            log.info(
                "action %s not taken: not due, not next, or already running or done", action_id
            )
            return None
        # Committed as the block ends, before the action runs: no transaction (on SQLite, no
        # write lock) stays open while it works.
        rows = conn.execute(steps.operation_actions(), {"op_id": op.id}).all()
    me = next(a for a in rows if a.id == action_id)
    action = ActionContext(
        operation_id=op.id,
        operation_name=op.name,
        owner_id=op.owner_id,
        id=me.id,
        branch=me.branch,
        position=me.position,
        name=me.name,
        attempt=me.attempts_count,
        globals_=op.globals or {},
        action_refs=[
            ActionRef(a.id, a.branch, a.position, a.name, a.state, a.perform_at) for a in rows
        ],
        start_at=op.start_at,
        attempts_left=me.attempts_left,
        retry_delay=op.retry_delay,
        timeout=me.timeout,
        started_at=now,
    )
    announce(op.id, RUNNING, op.name)
    return action


def fail_overdue(runs: Mapping[str, ActionContext]) -> None:
    """Fail the attempts of these runs that passed their timeout, whether or not they ever
    look (a thread cannot be stopped from outside): the failure is recorded and the retry
    enqueued now, and the run, when it ends, finds its lease gone and its end refused."""
    for token, action in runs.items():
        if not action.timed_out or action.lease_lost:
            continue
        action.lease_lost = True  # from now on, nothing this run does is applied
        error = f"TaskTimeout: {action.short_name} ran past its timeout of {action.timeout:g} s"
        outcome = fail_action(action, token, error, "")
        if outcome is not None and not outcome[0]:
            run_action.schedule((action.id,), delay=outcome[1])


def _watch(runs: Mapping[str, ActionContext]) -> None:
    leases.watch_cancels(runs)
    fail_overdue(runs)


#: The heartbeat of the runs of this process, by lease token: their leases renewed every
#: third of ``BEACON_ACTION_LEASE``; their cancels looked for, and their timeouts enforced,
#: every ``BEACON_CANCEL_POLL`` seconds.
running: Heartbeat[ActionContext] = Heartbeat(
    "beacon-action-leases",
    [
        Duty(lambda: current_app.config["BEACON_ACTION_LEASE"] / 3, leases.renew),
        Duty(lambda: float(current_app.config["BEACON_CANCEL_POLL"]), _watch),
    ],
    context=huey.app_context,
)


def run(action_id: int, task: Any = None) -> str:
    """Claim, run and record one action: "completed", "cancelled" (its operation was), or
    "skipped" (not ours to run, or its end was refused: the lease was lost). A failed attempt
    raises, after setting whether Huey retries it."""
    token = lease_token()
    action = claim_action(action_id, token)
    if action is None:
        return "skipped"
    running.track(token, action)
    try:
        return _run_claimed(action, token, task)
    finally:
        running.untrack(token)


def _run_claimed(action: ActionContext, token: str, task: Any) -> str:
    try:
        callable_for(action.name)(action)
        if action.timed_out:  # a result past its timeout is not one: the attempt failed
            action.check_cancelled()
    except Exception as exc:
        db.session.rollback()  # whatever the action left unflushed goes with it
        error = "".join(traceback.format_exception_only(exc)).strip()
        outcome = None
        if not action.cancel_requested:
            outcome = fail_action(action, token, error, traceback.format_exc())
        if outcome is None:  # the operation was cancelled, or the lease lost
            ended = _settled(action, token, error)
            if ended is None:
                _refused(action, f"its failure ({error})")
            if task is not None:
                task.retries = 0
            if ended is not None:
                return ended
            raise
        if task is not None:
            # The database decides whether Huey retries, whatever the task was enqueued with.
            final, task.retry_delay = outcome
            task.retries = 0 if final else max(task.retries, 1)
        raise
    if complete_action(action, token) or _settled(action, token, None, completed=True):
        return "completed"
    _refused(action, "its completion")
    return "skipped"


@huey.task(context=True, name="operations.run_action", priority=ACTION_PRIORITY)
def run_action(action_id: int, task: Any = None) -> None:
    """The action-runner task: one run of one action (retries are set per failure)."""
    run(action_id, task)


def reap_expired_actions(now: dt.datetime | None = None) -> int:
    """Resume actions whose lease expired while running (their consumer died), or that were
    never picked up by their deadline; never touches a valid lease. Returns how many."""
    now = now or utcnow()
    seen = db.session.execute(
        select(Action.id, Action.lease_expires_at)
        # Joined by the operation's primary key, so the scan starts from the few expired
        # leases in ix_operation_action_state_lease, not from every active operation.
        .join(
            Operation,
            (Operation.id == Action.operation_id) & (Operation.next_action_id == Action.id),
        )
        .where(
            Action.state.in_((PENDING, WAITING, RUNNING)),
            Action.lease_expires_at < now,
            Operation.state.in_(ACTIVE_STATES),
        )
        .order_by(Action.lease_expires_at)
        .limit(REAP_BATCH)
    ).all()
    db.session.rollback()
    # The query keeps only rows whose deadline is set (NULL < now is never true).
    return sum(reap_action(action_id, expiry, now) for action_id, expiry in seen if expiry)


@periodic_task(crontab(minute="*"), period=dt.timedelta(minutes=1), name="operations.reaper")
def reaper() -> int:
    """Every minute: resume actions whose consumer died (see reap_expired_actions)."""
    return reap_expired_actions()
