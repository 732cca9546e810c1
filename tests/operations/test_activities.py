"""Every step records an activity for the owner; operation_changed follows every commit."""

from __future__ import annotations

import threading

from sqlalchemy import select, text

from tests.operations import actions as A
from tests.operations.helpers import start, wait_for_state
from tests.support.queue import running_consumer
from webapp.activity import Activity
from webapp.extensions import db
from webapp.operations import operation_changed


def activities_of(op_id: int) -> list[tuple[str, object, bool, int | None, str]]:
    rows = db.session.execute(
        select(Activity)
        .where(Activity.subject_type == "operation", Activity.subject_id == str(op_id))
        .order_by(Activity.id)
    ).scalars()
    out = [(a.key, a.value, a.system, a.user_id, a.message) for a in rows]
    db.session.rollback()
    return out


def test_completed_operation_records_started_actions_and_completed_for_owner(ctx, log, subscriber):
    op_id = start(
        "billing.fulfil", {"log": str(log)}, {"main": [A.step_a, A.step_b]}, owner_id=subscriber.id
    )
    with running_consumer(workers=1):
        wait_for_state(op_id, "completed")
    rows = activities_of(op_id)
    assert [(key, value, system) for key, value, system, _, _ in rows] == [
        ("operation.started", True, False),
        ("operation.action_completed", True, True),
        ("operation.action_completed", True, True),
        ("operation.completed", True, False),
    ]
    assert {user for *_, user, _ in rows} == {subscriber.id}
    assert all("billing.fulfil" in message for *_, message in rows)


def test_failed_operation_records_action_failed_and_failed_for_owner(ctx, log, subscriber):
    op_id = start(
        "billing.fulfil",
        {"log": str(log), "fail_times": 5},
        {"main": [A.fail_until]},
        owner_id=subscriber.id,
        retries=1,
        retry_delay=0,
    )
    with running_consumer(workers=1):
        wait_for_state(op_id, "failed")
    rows = activities_of(op_id)
    assert [(key, value, system) for key, value, system, _, _ in rows] == [
        ("operation.started", True, False),
        ("operation.action_failed", False, True),
        ("operation.action_failed", False, True),
        ("operation.failed", False, False),
    ]
    assert "billing.fulfil" in rows[-1][4] and "RuntimeError: planned failure" in rows[-1][4]
    assert {user for *_, user, _ in rows} == {subscriber.id}


def test_operation_changed_is_sent_after_each_commit_with_the_committed_state(ctx, log):
    seen: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def receiver(op_id, state, name, **kw):
        # Read through a connection of its own: what other processes see now.
        with db.engine.connect() as conn:
            stored = conn.execute(
                text("SELECT state FROM operation WHERE id = :id"), {"id": op_id}
            ).scalar_one()
            conn.rollback()
        with lock:
            seen.append((op_id, state, stored))

    operation_changed.connect(receiver)
    try:
        op_id = start("t.signal", {"log": str(log)}, {"main": [A.step_a, A.step_b]})
        with running_consumer(workers=1):
            wait_for_state(op_id, "completed")
    finally:
        operation_changed.disconnect(receiver)
    assert [state for _, state, _ in seen] == [
        "pending",
        "running",
        "pending",
        "running",
        "completed",
    ]
    assert all(state == stored and oid == op_id for oid, state, stored in seen)


def test_failing_operation_changed_receiver_does_not_stop_the_operation(ctx, log):
    def broken(op_id, **kw):
        raise RuntimeError("receiver bug")

    operation_changed.connect(broken)
    try:
        op_id = start("t.signal", {"log": str(log)}, {"main": [A.step_a, A.step_b]})
        with running_consumer(workers=1):
            op = wait_for_state(op_id, "completed")
    finally:
        operation_changed.disconnect(broken)
    assert [a.attempts_count for a in op.actions] == [1, 1]


def test_operation_reads_its_own_activities(ctx, log, subscriber):
    op_id = start("t.mixin", {"log": str(log)}, {"main": [A.step_a]}, owner_id=subscriber.id)
    with running_consumer(workers=1):
        op = wait_for_state(op_id, "completed")
    assert op.last_success("operation.completed").user_id == subscriber.id
    assert op.last_error("operation.failed") is None
