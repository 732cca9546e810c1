"""Retention deletes operations that finished before the cutoff, with their actions, keeping
the newest failure of each name and everything unfinished."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import event, func, select

from webapp.database import utcnow
from webapp.extensions import db
from webapp.operations import Action, Operation
from webapp.operations.retention import purge_finished_operations

NOW = utcnow()
CUTOFF = NOW - dt.timedelta(days=90)
END_COLUMN = {"completed": "completed_at", "failed": "failed_at", "cancelled": "cancelled_at"}


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def operation(state: str, created: float, ended: float | None = None, name: str = "billing.charge"):
    """An operation created ``created`` days ago (ended ``ended`` days ago, by its state's own
    end time), with one action; its id."""
    op = Operation(
        name=name,
        globals={},
        params_hash=uuid.uuid4().hex,
        state=state,
        created_at=days_ago(created),
    )
    if ended is not None:
        setattr(op, END_COLUMN[state], days_ago(ended))
    action = Action(branch="main", position=0, name="tests.operations.actions:ok", state=state)
    op.actions.append(action)
    db.session.add(op)
    db.session.commit()
    return op.id


def remaining() -> set[int]:
    db.session.rollback()
    return set(db.session.scalars(select(Operation.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_operations_finished_before_the_cutoff_are_deleted(ctx):
    completed = operation("completed", created=120, ended=119)
    cancelled = operation("cancelled", created=120, ended=100)
    older_failure = operation("failed", created=130, ended=130)
    newest_failure = operation("failed", created=95, ended=95)
    assert purge_finished_operations(CUTOFF, 1000) == 3
    assert remaining() == {newest_failure}
    assert {completed, cancelled, older_failure}.isdisjoint(remaining())


def test_deleted_operations_take_their_actions_with_them(ctx):
    operation("completed", created=120, ended=119)
    kept = operation("completed", created=5, ended=4)
    purge_finished_operations(CUTOFF, 1000)
    assert set(db.session.scalars(select(Action.operation_id))) == {kept}
    assert count(Action) == 1


def test_recently_finished_operations_stay(ctx):
    ids = {
        operation("completed", created=10, ended=9),
        operation("cancelled", created=10, ended=1),
        operation("failed", created=3, ended=2, name="other.name"),
    }
    assert purge_finished_operations(CUTOFF, 1000) == 0
    assert remaining() == ids


def test_an_operation_created_long_ago_that_finished_recently_stays(ctx):
    late = operation("completed", created=400, ended=2)
    assert purge_finished_operations(CUTOFF, 1000) == 0
    assert remaining() == {late}


def test_unfinished_operations_older_than_the_cutoff_stay(ctx):
    ids = {operation(state, created=365) for state in ("pending", "waiting", "running")}
    assert purge_finished_operations(CUTOFF, 1000) == 0
    assert remaining() == ids


def test_the_newest_failure_of_each_name_stays_however_old(ctx):
    operation("failed", created=300, ended=300, name="a.job")
    newest_a = operation("failed", created=301, ended=200, name="a.job")
    only_b = operation("failed", created=400, ended=400, name="b.job")
    assert purge_finished_operations(CUTOFF, 1000) == 1
    assert remaining() == {newest_a, only_b}


def test_an_older_failure_goes_once_a_newer_one_exists_even_if_recent(ctx):
    operation("failed", created=200, ended=200)
    recent = operation("failed", created=1, ended=1)
    assert purge_finished_operations(CUTOFF, 1000) == 1
    assert remaining() == {recent}


def test_failures_ended_at_the_same_instant_keep_exactly_one(ctx):
    first = operation("failed", created=200, ended=200)
    second = operation("failed", created=200, ended=200)
    assert purge_finished_operations(CUTOFF, 1000) == 1
    assert remaining() == {max(first, second)}


def test_each_batch_is_its_own_transaction(ctx):
    for _ in range(5):
        operation("completed", created=200, ended=199)
    commits = []

    def committed(session) -> None:
        commits.append(session)

    session = db.session()
    event.listen(session, "after_commit", committed)
    try:
        assert purge_finished_operations(CUTOFF, 2) == 5
    finally:
        event.remove(session, "after_commit", committed)
    # Three batches (2, 2, 1), then the empty look that ends the purge.
    assert len(commits) == 4
    assert remaining() == set()
