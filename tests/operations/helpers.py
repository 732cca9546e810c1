"""Reading operations from tests without holding SQLite's write lock, and waiting on them."""

from __future__ import annotations

from tests.support.queue import wait_until
from webapp.extensions import db
from webapp.operations import Action, Operation, start_operation


def fresh(op_id: int) -> Operation:
    """A detached snapshot of the operation and its actions as committed now.

    The read transaction ends before returning: on SQLite every transaction holds the write
    lock, which would stall the consumer while the test looks at the snapshot.
    """
    db.session.rollback()
    op = db.session.get(Operation, op_id, populate_existing=True)
    op.actions  # noqa: B018 - loaded before detaching
    db.session.expunge_all()
    db.session.rollback()
    return op


def start(*args, **kwargs) -> int:
    """start_operation, returning the id with no transaction left open."""
    op_id = start_operation(*args, **kwargs).id
    db.session.rollback()
    return op_id


def action_of(op: Operation, short_name: str, branch: str = "main") -> Action:
    return next(a for a in op.actions if a.short_name == short_name and a.branch == branch)


def wait_for_state(op_id: int, *states: str, timeout: float = 20.0) -> Operation:
    """Poll until the operation is in one of ``states``; return it."""
    return wait_until(
        lambda: (op := fresh(op_id)).state in states and op,
        timeout=timeout,
        message=f"operation {op_id} to be {' or '.join(states)}",
    )
