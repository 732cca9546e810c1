"""Every attempt of every action is recorded when it ends: its times, how it ended (completed,
failed, cancelled, lost), the consumer that ran it and its error; the rows go with their
operation."""

from __future__ import annotations

import datetime as dt
import os
import socket

import pytest
from sqlalchemy import delete, select

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start
from tests.support.queue import drain, running_consumer, wait_until
from webapp.extensions import db, huey
from webapp.operations import Attempt, Operation, cancel_operation, reap_expired_actions
from webapp.operations.transitions import claim_action


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_CANCEL_POLL": 0.1}


def attempts(action_id: int) -> list[Attempt]:
    """The stored attempts of an action, oldest first, detached."""
    db.session.rollback()
    rows = list(
        db.session.execute(
            select(Attempt).where(Attempt.action_id == action_id).order_by(Attempt.id)
        ).scalars()
    )
    db.session.expunge_all()
    db.session.rollback()
    return rows


def this_process() -> str:
    """The start of the lease tokens of runs in this process: ``host:pid:``."""
    return f"{socket.gethostname()}:{os.getpid()}:"


def test_a_retried_action_leaves_one_row_per_attempt_with_outcome_and_holder(ctx, log):
    op_id = start(
        "t.attempts",
        {"log": str(log), "fail_times": 2},
        {"main": [A.step_a, A.fail_until, A.step_c]},
        retries=2,
        retry_delay=0,
    )
    drain()
    op = fresh(op_id)
    assert op.state == "completed" and calls(log) == ["a", "f", "f", "f", "c"]
    rows = attempts(action_of(op, "fail_until").id)
    assert [(r.attempt, r.outcome) for r in rows] == [
        (1, "failed"),
        (2, "failed"),
        (3, "completed"),
    ]
    assert [r.error for r in rows] == [
        "RuntimeError: planned failure 1",
        "RuntimeError: planned failure 2",
        None,
    ]
    assert all(r.holder.startswith(this_process()) for r in rows)
    assert len({r.holder for r in rows}) == 3  # each run its own lease token
    assert all(r.started_at <= r.ended_at for r in rows)
    assert rows[-1].ended_at == action_of(op, "fail_until").completed_at


def test_every_action_that_ran_has_its_attempt(ctx, log):
    op_id = start("t.attempts", {"log": str(log)}, {"main": [A.step_a, A.step_b]})
    drain()
    op = fresh(op_id)
    for action in op.actions:
        [row] = attempts(action.id)
        assert (row.attempt, row.outcome, row.error) == (1, "completed", None)
        assert row.started_at == action.started_at and row.ended_at == action.completed_at


def test_a_run_whose_consumer_died_is_recorded_as_lost_when_reaped(ctx, log):
    op_id = start("t.lost", {"log": str(log)}, {"main": [A.step_a]}, retries=1)
    huey.flush()  # the consumer took the task with it
    first = fresh(op_id).actions[0]
    assert claim_action(first.id, "dead-host:41:7:0badc0de") is not None
    running = fresh(op_id).actions[0]
    assert attempts(first.id) == []  # a running attempt is its action row
    assert reap_expired_actions(now=running.lease_expires_at + dt.timedelta(seconds=1)) == 1
    [lost] = attempts(first.id)
    assert (lost.attempt, lost.outcome, lost.holder) == (1, "lost", "dead-host:41:7:0badc0de")
    assert lost.started_at == running.started_at and "lease expired" in lost.error
    drain()
    assert [r.outcome for r in attempts(first.id)] == ["lost", "completed"]


def test_a_run_stopped_by_a_cancel_is_recorded_as_cancelled(ctx, log):
    op_id = start("t.cancel", {"log": str(log)}, {"main": [A.work_until_cancelled, A.step_c]})
    with running_consumer():
        wait_until(lambda: "work-start" in calls(log), message="the long action to start")
        cancel_operation(op_id)
        wait_until(lambda: fresh(op_id).actions[0].state == "cancelled", message="the run to stop")
    [row] = attempts(fresh(op_id).actions[0].id)
    assert row.outcome == "cancelled" and "OperationCancelled" in row.error


def test_attempts_are_deleted_with_their_operation(ctx, log):
    op_id = start("t.gone", {"log": str(log)}, {"main": [A.step_a]})
    drain()
    action_id = fresh(op_id).actions[0].id
    assert len(attempts(action_id)) == 1
    db.session.execute(delete(Operation).where(Operation.id == op_id))
    db.session.commit()
    assert attempts(action_id) == []
