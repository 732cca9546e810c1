"""Starting, advancing and retrying operations: every state change, in one transaction each."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from webapp.activity import WriteTransaction, record_activity
from webapp.database import utcnow
from webapp.extensions import db
from webapp.operations.models import (
    FAILED,
    PENDING,
    WAITING,
    Action,
    Operation,
)
from webapp.operations.signals import announce
from webapp.operations.spec import OperationSpec, check_start

log = logging.getLogger(__name__)

ActionEntry = Callable[..., Any] | str | tuple[Callable[..., Any] | str, Mapping[str, Any]]


def lease_seconds() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["BEACON_ACTION_LEASE"])


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
) -> Operation:
    """Create an operation and enqueue its first action; return it (or the existing one).

    ``branches`` maps branch names to lists of actions; ``main`` is required and runs first.
    An action is a module-level callable taking the action object (or a class with a
    ``call(action)`` classmethod), or its import path, or ``(action, {"perform_at": when})``.
    The first action is enqueued now, after ``delay`` seconds, or at ``eta`` (aware datetime).
    Each action is attempted ``retries + 1`` times, ``retry_delay`` seconds apart, before the
    operation fails.

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
    )
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
    commit_step(op, op.next_action, detach=True)
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
            state=PENDING,
            attempts_left=spec.retries + 1,
        )
        for a in spec.actions
    ]
    db.session.add(op)
    db.session.flush()
    first = op.actions[0]  # main's first action: check_branches puts it first
    op.next_action_id = first.id
    make_next(op, first, now)
    db.session.flush()
    return op


def eta_of(op: Operation, action: Action) -> dt.datetime | None:
    """When ``action`` may run: its perform_at, and for the first action the start time."""
    return eta_for(action.perform_at, op.start_at)


def eta_for(perform_at: dt.datetime | None, start_at: dt.datetime | None) -> dt.datetime | None:
    """The later of an action's perform_at and its operation's start time (either may be
    None)."""
    times = [t for t in (perform_at, start_at) if t is not None]
    return max(times) if times else None


def queued_state(
    perform_at: dt.datetime | None, start_at: dt.datetime | None, now: dt.datetime
) -> tuple[str, dt.datetime]:
    """The state of an action made next (pending, or waiting until its perform_at) and the
    deadline by which it must have started, or the reaper enqueues it again."""
    state = WAITING if perform_at is not None and perform_at > now else PENDING
    eta = eta_for(perform_at, start_at)
    return state, max(now, eta or now) + lease_seconds()


def make_next(op: Operation, action: Action, now: dt.datetime) -> None:
    """Point ``op`` at ``action``: pending, or waiting until its perform_at."""
    state, deadline = queued_state(action.perform_at, op.start_at, now)
    op.next_action_id = action.id
    op.state = state
    action.state = state
    action.lease_holder = None
    action.lease_expires_at = deadline


def commit_step(op: Operation, run_next: Action | None = None, *, detach: bool = False) -> None:
    """Commit a step, then enqueue ``run_next`` and send ``operation_changed``.

    Everything needed afterwards is read before the commit: touching an expired attribute
    after it would begin a new transaction, which on SQLite holds the write lock. With
    ``detach`` the operation (and its actions) leave the session fully loaded, so the caller
    can read them without a database round trip.
    """
    db.session.flush()
    op_id, state, name = op.id, op.state, op.name
    job = (run_next.id, eta_of(op, run_next)) if run_next is not None else None
    if detach:
        op.actions  # noqa: B018 - loaded before detaching
        db.session.expunge(op)
    db.session.commit()
    if job is not None:
        enqueue_action(*job)
    announce(op_id, state, name)


def _detached(op: Operation) -> Operation:
    """An existing operation handed back: detached, with its actions, its read ended."""
    op.actions  # noqa: B018 - loaded before detaching
    db.session.expunge(op)
    db.session.commit()
    return op


def enqueue_action(action_id: int, eta: dt.datetime | None = None) -> None:
    """One run of the action-runner task for this action, now or at ``eta``."""
    from webapp.operations.runner import run_action  # the runner imports this module

    if eta is not None and eta > utcnow():
        run_action.schedule(args=(action_id,), eta=eta)
    else:
        run_action(action_id)


def lock_operation(op_id: int) -> Operation | None:
    """The operation, fresh from the database and locked (FOR UPDATE on PostgreSQL)."""
    return db.session.execute(
        select(Operation)
        .where(Operation.id == op_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


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


def retry_operation(op_id: int) -> Operation:
    """Resume a failed operation from its failed action (completed actions never run again),
    with a fresh set of attempts. ValueError if there is no such operation or it is not failed.
    """
    if isinstance(op_id, bool) or not isinstance(op_id, int):
        raise ValueError(f"operation id must be an integer, got {op_id!r}")
    op = lock_operation(op_id)
    if op is None:
        db.session.rollback()
        raise ValueError(f"unknown operation {op_id}")
    action = db.session.get(Action, op.next_action_id) if op.next_action_id else None
    if op.state != FAILED or action is None or action.state != FAILED:
        state = op.state
        db.session.rollback()
        raise ValueError(f"operation {op_id} is {state}, not failed: nothing to retry")
    now = utcnow()
    action.attempts_left = op.retries + 1
    op.failed_at = None
    make_next(op, action, now)
    activity(op, "retried", True, f"Operation {op.name} retried from {action.short_name}")
    commit_step(op, action, detach=True)
    return op


def rerun_action(action_id: int) -> Operation:
    """Run one failed action again (the admin page's retry button); see retry_operation."""
    if isinstance(action_id, bool) or not isinstance(action_id, int):
        raise ValueError(f"action id must be an integer, got {action_id!r}")
    action = db.session.get(Action, action_id)
    if action is None:
        raise ValueError(f"unknown action {action_id}")
    if action.state != FAILED:
        raise ValueError(f"action {action_id} is {action.state}, not failed: nothing to re-run")
    return retry_operation(action.operation_id)
