"""Failed actions: what is recorded, Huey's retries, and retrying from the failed action."""

from __future__ import annotations

import pytest

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start, wait_for_state
from tests.support.queue import running_consumer
from webapp.extensions import db
from webapp.operations import rerun_action, retry_operation


def run_until(op_id: int, *states: str):
    with running_consumer(workers=2):
        return wait_for_state(op_id, *states)


def failing_op(log, fail_times: int = 1, retries: int = 0) -> int:
    return start(
        "t.fail",
        {"log": str(log), "fail_times": fail_times},
        {"main": [A.step_a, A.fail_until, A.step_c]},
        retries=retries,
        retry_delay=0,
    )


def test_failed_action_records_error_trace_time_and_attempts(ctx, log):
    op = run_until(failing_op(log), "failed")
    failed = action_of(op, "fail_until")
    assert failed.state == "failed"
    assert failed.error_message == "RuntimeError: planned failure 1"
    assert "Traceback" in failed.stack_trace and "fail_until" in failed.stack_trace
    assert failed.errored_at is not None and failed.attempts_count == 1
    assert op.state == "failed" and op.failed_at is not None
    assert op.next_action_id == failed.id
    assert calls(log) == ["a", "f"]


def test_huey_retries_a_failing_action_until_it_succeeds(ctx, log):
    op = run_until(failing_op(log, fail_times=2, retries=2), "completed")
    done = action_of(op, "fail_until")
    assert calls(log) == ["a", "f", "f", "f", "c"]
    assert done.attempts_count == 3
    assert done.error_message is None and done.stack_trace is None


def test_operation_fails_when_retries_are_exhausted(ctx, log):
    op = run_until(failing_op(log, fail_times=10, retries=1), "failed")
    assert calls(log) == ["a", "f", "f"]
    assert action_of(op, "fail_until").attempts_count == 2


def test_retry_resumes_from_failed_action_without_rerunning_completed_ones(ctx, log):
    op_id = failing_op(log)
    with running_consumer(workers=2):
        wait_for_state(op_id, "failed")
        retry_operation(op_id)
        db.session.rollback()
        op = wait_for_state(op_id, "completed")
    assert calls(log) == ["a", "f", "f", "c"]
    assert action_of(op, "step_a").attempts_count == 1
    assert action_of(op, "fail_until").attempts_count == 2


def test_rerun_action_resumes_the_failed_action(ctx, log):
    op_id = failing_op(log)
    with running_consumer(workers=2):
        failed_id = action_of(wait_for_state(op_id, "failed"), "fail_until").id
        rerun_action(failed_id)
        db.session.rollback()
        wait_for_state(op_id, "completed")
    assert calls(log) == ["a", "f", "f", "c"]


def test_jump_in_a_failing_action_does_not_apply(ctx, log):
    branches = {"main": [A.jump_then_fail_once, A.step_b], "side": [A.side_x]}
    op_id = start("t.jumpfail", {"log": str(log)}, branches, retries=0)
    op = run_until(op_id, "failed")
    failed = action_of(op, "jump_then_fail_once")
    assert op.next_action_id == failed.id and failed.jumped_to_id is None
    assert calls(log) == ["jf"]


def test_jump_applies_when_the_retried_action_completes(ctx, log):
    branches = {"main": [A.jump_then_fail_once, A.step_b], "side": [A.side_x]}
    op_id = start("t.jumpfail", {"log": str(log)}, branches, retries=0)
    with running_consumer(workers=2):
        wait_for_state(op_id, "failed")
        retry_operation(op_id)
        db.session.rollback()
        wait_for_state(op_id, "completed")
    assert calls(log) == ["jf", "jf", "x", "b"]


def test_set_in_a_failing_action_is_not_saved(ctx, log):
    op_id = start("t.setfail", {"log": str(log)}, {"main": [A.set_then_fail]}, retries=0)
    op = run_until(op_id, "failed")
    assert "lost" not in op.globals


def test_jump_to_unknown_branch_fails_the_action_naming_it(ctx, log):
    op_id = start(
        "t.badjump", {"log": str(log), "jump": "nowhere"}, {"main": [A.jump_by_global]}, retries=0
    )
    op = run_until(op_id, "failed")
    assert action_of(op, "jump_by_global").error_message == (
        "ValueError: jump_to: unknown branch 'nowhere'"
    )


def test_jump_to_completed_action_fails_the_action_naming_it(ctx, log):
    target = ["main", "tests.operations.actions:step_a"]
    op_id = start(
        "t.backjump",
        {"log": str(log), "jump": target},
        {"main": [A.step_a, A.jump_by_global]},
        retries=0,
    )
    op = run_until(op_id, "failed")
    message = action_of(op, "jump_by_global").error_message
    assert "tests.operations.actions:step_a" in message and "already completed" in message
    assert calls(log) == ["a", "j"]


@pytest.mark.parametrize("state", ["pending", "completed"])
def test_retry_refuses_an_operation_that_has_not_failed(ctx, log, state):
    op_id = start("t.noretry", {"log": str(log)}, {"main": [A.step_a]})
    if state == "completed":
        run_until(op_id, "completed")
    with pytest.raises(ValueError, match=f"operation {op_id} is {state}, not failed"):
        retry_operation(op_id)


def test_retry_refuses_an_unknown_operation(ctx):
    with pytest.raises(ValueError, match="unknown operation 999"):
        retry_operation(999)


def test_a_completed_action_runs_again_only_by_an_explicit_rerun(ctx, log):
    op_id = start("t.norerun", {"log": str(log)}, {"main": [A.step_a]})
    op = run_until(op_id, "completed")
    with pytest.raises(ValueError, match="is completed, not failed"):
        retry_operation(op_id)
    assert fresh(op_id).actions[0].attempts_count == 1
    rerun_action(op.actions[0].id)  # see test_rerun.py
    db.session.rollback()
    assert run_until(op_id, "completed").actions[0].attempts_count == 2
    assert calls(log) == ["a", "a"]


def test_idempotency_key_is_the_same_for_every_attempt(ctx, log):
    op_id = start("t.key", {"log": str(log)}, {"main": [A.record_key_fail_once]}, retry_delay=0)
    op = run_until(op_id, "completed")
    key = f"{op_id}:{op.actions[0].id}"
    assert calls(log) == [f"key:{key}", f"key:{key}"]


def test_jump_to_itself_fails_the_action(ctx, log):
    op_id = start("t.selfjump", {"log": str(log)}, {"main": [A.jump_to_self]}, retries=0)
    op = run_until(op_id, "failed")
    assert op.actions[0].error_message == (
        "ValueError: jump_to: tests.operations.actions:jump_to_self cannot jump to itself"
    )


def test_values_set_by_a_completed_action_survive_a_later_failure(ctx, log):
    op_id = start(
        "t.keep",
        {"log": str(log), "fail_times": 9},
        {"main": [A.set_values, A.fail_until]},
        retries=0,
    )
    op = run_until(op_id, "failed")
    assert op.globals["counter"] == 1 and op.globals["note"] == {"by": "set_values"}
