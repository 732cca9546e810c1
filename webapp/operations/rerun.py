"""A finished operation made to run again: retried from its failed action, or re-run from any
of its completed or failed actions, its globals edited first.

Like every transition, a re-run is one transaction of conditional writes: the operation must
still be as it was read (finished, with the same ``updated_at``), so two admins re-running it
at once, or a cancel in between, leave one of them refused and nothing changed. The actions
completed before the chosen one (in run order) stay completed and never run again; the chosen
one becomes the next action, and every action completed after it (and the failed one) is
pending again, so the engine's own rules (next on its branch, ``jump_to``, back to main)
decide what runs after it. A finished operation runs nothing, so none of its actions runs
twice at once. This is the only way a completed action runs again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import NoResultFound

from webapp.database import check_id, utcnow
from webapp.extensions import db
from webapp.operations import steps
from webapp.operations.models import COMPLETED, FAILED, FINISHED_STATES, PENDING, Action, Operation
from webapp.operations.spec import changed_keys, check_globals
from webapp.operations.transitions import (
    OperationSubject,
    commit_transition,
    eta_for,
    load_operation,
    queued,
)


def retry_operation(op_id: int) -> Operation:
    """Resume a failed operation from its failed action (completed actions never run again),
    with a fresh set of attempts. ValueError if there is no such operation or it is not failed.
    """
    check_id(op_id, "operation id")
    op = _load(op_id, f"unknown operation {op_id}")
    failed = op.next_action
    if op.state != FAILED or failed is None or failed.state != FAILED:
        raise ValueError(f"operation {op_id} is {op.state}, not failed: nothing to retry")
    return _rerun(op, failed, None)


def rerun_action(
    action_id: int,
    *,
    globals: Mapping[str, Any] | None = None,  # noqa: A002 - the operation's name for them
) -> Operation:
    """Run a finished (completed or failed) operation again from one of its completed or
    failed actions, with a fresh set of attempts; return the operation.

    ``globals`` (checked as start_operation checks them) replace the operation's globals
    first, in the same transaction; None keeps them. The actions completed before this one
    stay completed; this one runs next, and what follows it runs as the engine decides (see
    the module docstring). ValueError, and nothing changed, for bad globals, an unknown
    action, an operation that has not finished (pending, waiting, running) or was cancelled,
    an action that neither completed nor failed, or an operation changed meanwhile.
    """
    check_id(action_id, "action id")
    new_globals = None if globals is None else check_globals(globals)
    op_id = db.session.execute(
        select(Action.operation_id).where(Action.id == action_id)
    ).scalar_one_or_none()
    if op_id is None:
        db.session.rollback()
        raise ValueError(f"unknown action {action_id}")
    op = _load(op_id, f"unknown action {action_id}")
    chosen = next(a for a in op.actions if a.id == action_id)
    if op.state not in FINISHED_STATES:
        raise ValueError(
            f"operation {op.id} is {op.state}: only a completed or failed operation can be "
            "re-run from a step"
        )
    if chosen.state not in (COMPLETED, FAILED):
        raise ValueError(
            f"action {action_id} ({chosen.short_name}) is {chosen.state}: only a completed "
            "or failed action can be re-run from"
        )
    return _rerun(op, chosen, new_globals)


def _load(op_id: int, unknown: str) -> Operation:
    """The operation as committed, detached with its actions (ValueError ``unknown`` if none)."""
    try:
        return load_operation(op_id)
    except NoResultFound:
        db.session.rollback()
        raise ValueError(unknown) from None


@dataclass(frozen=True)
class RerunPlan:
    """What a re-run from one action does to its operation's actions."""

    #: Completed before it (in run order): they stay completed and do not run.
    kept: list[Action]
    #: The chosen action, then those made pending again (completed after it, and the failed
    #: one): they run again as the path reaches them.
    again: list[Action]


def rerun_plan(op: Operation, chosen: Action) -> RerunPlan:
    """Which actions a re-run of ``op`` from ``chosen`` keeps, and which it runs again."""
    done = sorted((a for a in op.actions if a.state == COMPLETED), key=lambda a: a.run_order or 0)
    if chosen.state == FAILED:
        return RerunPlan(done, [chosen])
    after = chosen.run_order or 0
    kept = [a for a in done if a.id != chosen.id and (a.run_order or 0) < after]
    later = [a for a in done if a.id != chosen.id and (a.run_order or 0) > after]
    failed = [a for a in op.actions if a.state == FAILED]
    return RerunPlan(kept, [chosen, *later, *failed])


def _rerun(op: Operation, chosen: Action, new_globals: dict | None) -> Operation:
    """The transition: the operation running again from ``chosen``, or ValueError."""
    now = utcnow()
    again = queued(chosen.perform_at, op.start_at, now)
    fresh = {
        "attempts_left": op.retries + 1,
        "run_order": None,
        "jumped_to_id": None,
        "completed_at": None,
    }
    moved: dict[str, Any] = {"state": again["state"]}
    if new_globals is not None:
        moved["globals"] = new_globals
    keys: dict[str, Any] = {"op_id": op.id, "aid": chosen.id, "now": now}
    writes = [
        steps.rerun_write(moved, **keys, seen_state=op.state, seen_updated=op.updated_at),
        steps.action_write(
            "seen",
            {**again, **fresh},
            aid=chosen.id,
            seen_state=chosen.state,
            seen_expiry=chosen.lease_expires_at,
        ),
    ]
    pending = {"state": PENDING, "lease_holder": None, "lease_expires_at": None, **fresh}
    writes.extend(
        steps.action_write(
            "seen", pending, aid=a.id, seen_state=a.state, seen_expiry=a.lease_expires_at
        )
        for a in rerun_plan(op, chosen).again[1:]
    )
    changed = changed_keys(op.globals or {}, new_globals) if new_globals is not None else []
    edit = f"; globals changed: {', '.join(changed)}" if changed else ""
    if chosen.state == FAILED:
        record = ("retried", True, f"Operation {op.name} retried from {chosen.short_name}{edit}")
    else:
        record = ("rerun", True, f"Operation {op.name} re-run from {chosen.short_name}{edit}")
    done = commit_transition(
        OperationSubject(op.id, op.name, op.owner_id),
        again["state"],
        writes,
        [(*record, False)],
        run_next=(chosen.id, eta_for(chosen.perform_at, op.start_at)),
    )
    if not done:
        what = "retried" if chosen.state == FAILED else "re-run"
        raise ValueError(f"operation {op.id} changed while it was {what}: nothing was changed")
    return load_operation(op.id)
