"""Re-running a finished operation from a chosen step, its globals edited first: the step and
what follows it run again, by the engine's own rules; what completed before stays completed;
anything refused changes nothing."""

from __future__ import annotations

import pytest

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start
from tests.support.queue import drain
from webapp.extensions import db, huey
from webapp.operations import cancel_operation, changed_keys, rerun_action, retry_operation


def completed_op(log, **globals_) -> int:
    op_id = start(
        "t.rerun", {"log": str(log), **globals_}, {"main": [A.step_a, A.step_b, A.read_values]}
    )
    drain()
    assert fresh(op_id).state == "completed"
    return op_id


def snapshot(op_id: int) -> tuple:
    """What a refused re-run must leave as it was."""
    op = fresh(op_id)
    actions = [(a.state, a.attempts_count, a.run_order, a.completed_at) for a in op.actions]
    return op.state, op.globals, op.updated_at, actions, len(op.activities()), huey.pending_count()


def test_rerun_from_a_completed_step_runs_it_and_what_follows_with_the_new_globals(ctx, log):
    op_id = completed_op(log, counter=1)
    first_run = fresh(op_id)
    kept = action_of(first_run, "step_a")
    op = rerun_action(action_of(first_run, "step_b").id, globals={"log": str(log), "counter": 5})
    assert op.state == "pending" and op.next_action_id == action_of(first_run, "step_b").id
    drain()
    op = fresh(op_id)
    assert op.state == "completed" and op.globals == {"log": str(log), "counter": 5}
    assert calls(log) == ["a", "b", "read:1:None", "b", "read:5:None"]
    step_a = action_of(op, "step_a")
    assert (step_a.attempts_count, step_a.run_order, step_a.completed_at) == (
        1,
        1,
        kept.completed_at,
    )
    # The path taken is the path as it is now: step_a, then the re-run's step_b and read_values.
    assert [action_of(op, n).run_order for n in ("step_b", "read_values")] == [2, 3]
    assert action_of(op, "step_b").attempts_count == 2
    assert "operation.rerun" in [a.key for a in op.activities()]


def test_rerun_follows_the_jump_the_new_globals_choose(ctx, log):
    branches = {"main": [A.jump_by_global, A.step_b], "x": [A.side_x], "y": [A.side_y]}
    op_id = start("t.rerun-jump", {"log": str(log), "jump": "x"}, branches)
    drain()
    assert calls(log) == ["j", "x", "b"]
    jumper = action_of(fresh(op_id), "jump_by_global").id
    rerun_action(jumper, globals={"log": str(log), "jump": "y"})
    drain()
    op = fresh(op_id)
    assert op.state == "completed" and calls(log) == ["j", "x", "b", "j", "y", "b"]
    assert action_of(op, "side_x", "x").state == "pending"  # not on the new path: not run
    assert action_of(op, "jump_by_global").jumped_to_id == action_of(op, "side_y", "y").id


def test_rerun_of_a_failed_operation_from_an_earlier_step_runs_the_failed_one_too(ctx, log):
    op_id = start(
        "t.rerun-failed",
        {"log": str(log), "fail_times": 1},
        {"main": [A.step_a, A.step_b, A.fail_until, A.step_c]},
        retries=0,
    )
    drain()
    assert fresh(op_id).state == "failed"
    rerun_action(action_of(fresh(op_id), "step_b").id)
    drain()
    op = fresh(op_id)
    assert op.state == "completed" and calls(log) == ["a", "b", "f", "b", "f", "c"]
    assert action_of(op, "step_a").attempts_count == 1
    assert op.failed_at is None and op.completed_at is not None


def test_rerun_from_the_failed_action_with_edited_globals_is_a_retry_with_them(ctx, log):
    op_id = start(
        "t.rerun-failed",
        {"log": str(log), "fail_times": 5},
        {"main": [A.step_a, A.fail_until, A.step_c]},
        retries=0,
    )
    drain()
    failed = action_of(fresh(op_id), "fail_until").id
    rerun_action(failed, globals={"log": str(log), "fail_times": 0})
    drain()
    op = fresh(op_id)
    assert op.state == "completed" and calls(log) == ["a", "f", "f", "c"]
    assert op.get("fail_times") == 0
    assert "operation.retried" in [a.key for a in op.activities()]


def test_retry_operation_still_resumes_from_the_failed_action_only(ctx, log):
    op_id = start(
        "t.retry",
        {"log": str(log), "fail_times": 1},
        {"main": [A.step_a, A.fail_until, A.step_c]},
        retries=0,
    )
    drain()
    retry_operation(op_id)
    drain()
    assert fresh(op_id).state == "completed" and calls(log) == ["a", "f", "f", "c"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (["not", "a", "dict"], "globals must be a dict"),
        ({"x": float("nan")}, "not JSON"),
        ({"x": object()}, "not JSON"),
        ({"x": "y" * (256 * 1024)}, "bytes as JSON"),
    ],
)
def test_rerun_with_bad_globals_is_refused_and_changes_nothing(ctx, log, bad, message):
    op_id = completed_op(log)
    before = snapshot(op_id)
    with pytest.raises(ValueError, match=message):
        rerun_action(action_of(fresh(op_id), "step_b").id, globals=bad)
    assert snapshot(op_id) == before


def test_rerun_of_an_operation_that_has_not_finished_is_refused(ctx, log):
    op_id = start("t.pending", {"log": str(log)}, {"main": [A.step_a, A.step_b]})
    op = fresh(op_id)  # its first action is queued, not run
    assert op.state == "pending"
    before = snapshot(op_id)
    with pytest.raises(ValueError, match="is pending: only a completed or failed operation"):
        rerun_action(action_of(op, "step_a").id)
    assert snapshot(op_id) == before


def test_a_second_rerun_before_the_first_ran_is_refused(ctx, log):
    op_id = completed_op(log)
    step_b = action_of(fresh(op_id), "step_b").id
    rerun_action(step_b)
    before = snapshot(op_id)
    with pytest.raises(ValueError, match="is pending"):
        rerun_action(step_b)
    assert snapshot(op_id) == before
    drain()
    assert calls(log).count("b") == 2  # the first re-run ran once, the second not at all


def test_rerun_of_a_cancelled_operation_is_refused(ctx, log):
    op_id = start("t.cancelled", {"log": str(log)}, {"main": [A.step_a]}, delay=60)
    cancel_operation(op_id)
    db.session.rollback()
    with pytest.raises(ValueError, match="is cancelled"):
        rerun_action(fresh(op_id).actions[0].id)


def test_rerun_from_an_action_that_never_ran_is_refused(ctx, log):
    branches = {"main": [A.step_a], "unused": [A.side_x]}
    op_id = start("t.unused", {"log": str(log)}, branches)
    drain()
    before = snapshot(op_id)
    with pytest.raises(ValueError, match="is pending: only a completed or failed action"):
        rerun_action(action_of(fresh(op_id), "side_x", "unused").id)
    assert snapshot(op_id) == before


def test_rerun_of_an_unknown_action_is_refused(ctx):
    with pytest.raises(ValueError, match="unknown action 987654"):
        rerun_action(987654)


def test_changed_keys_names_added_removed_and_changed_globals():
    old = {"same": 1, "changed": 1, "removed": True, "typed": 1}
    new = {"same": 1, "changed": 2, "added": None, "typed": True}
    assert changed_keys(old, new) == ["added", "changed", "removed", "typed"]
