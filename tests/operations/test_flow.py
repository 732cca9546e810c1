"""Operations through a real consumer: order, branches, jumps, globals, the path taken."""

from __future__ import annotations

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, start, wait_for_state
from tests.support.queue import running_consumer

JUMP = "tests.operations.actions:jump_by_global"


def run_to_end(op_id: int, *states: str):
    with running_consumer(workers=2):
        return wait_for_state(op_id, *(states or ("completed",)))


def test_main_actions_run_in_order_each_once(ctx, log):
    op_id = start("t.seq", {"log": str(log)}, {"main": [A.step_a, A.step_b, A.step_c]})
    op = run_to_end(op_id)
    assert calls(log) == ["a", "b", "c"]
    assert [a.state for a in op.actions] == ["completed"] * 3
    assert op.next_action_id is None and op.completed_at is not None


def test_jump_to_branch_runs_its_first_action_then_returns_to_main(ctx, log):
    branches = {"main": [A.jump_by_global, A.step_b], "side": [A.side_x, A.side_y]}
    op_id = start("t.jump", {"log": str(log), "jump": "side"}, branches)
    run_to_end(op_id)
    assert calls(log) == ["j", "x", "y", "b"]


def test_jump_to_named_action_of_a_branch(ctx, log):
    target = ["side", "tests.operations.actions:side_y"]
    branches = {"main": [A.jump_by_global, A.step_b], "side": [A.side_x, A.side_y]}
    op_id = start("t.jump_action", {"log": str(log), "jump": target}, branches)
    op = run_to_end(op_id)
    assert calls(log) == ["j", "y", "b"]
    assert action_of(op, "side_x", "side").state == "pending"


def test_end_of_side_branch_returns_to_first_incomplete_main_action(ctx, log):
    # main: j jumps to c (skipping b); c ends main; the first incomplete main action is b.
    target = ["main", "tests.operations.actions:step_c"]
    op_id = start(
        "t.rule",
        {"log": str(log), "jump": target},
        {"main": [A.jump_by_global, A.step_b, A.step_c]},
    )
    run_to_end(op_id)
    assert calls(log) == ["j", "c", "b"]


def test_path_taken_records_run_order_and_jumps(ctx, log):
    branches = {"main": [A.jump_by_global, A.step_b], "side": [A.side_x]}
    op_id = start("t.path", {"log": str(log), "jump": "side"}, branches)
    op = run_to_end(op_id)
    path = sorted((a for a in op.actions if a.run_order), key=lambda a: a.run_order)
    assert [(a.branch, a.short_name) for a in path] == [
        ("main", "jump_by_global"),
        ("side", "side_x"),
        ("main", "step_b"),
    ]
    assert path[0].jumped_to_id == path[1].id
    assert path[1].jumped_to_id is None


def test_set_values_are_seen_by_later_actions_and_saved(ctx, log):
    op_id = start(
        "t.globals", {"log": str(log), "counter": 41}, {"main": [A.set_values, A.read_values]}
    )
    op = run_to_end(op_id)
    assert calls(log) == ["set", "read:42:{'by': 'set_values'}"]
    assert op.globals == {"log": str(log), "counter": 42, "note": {"by": "set_values"}}


def test_class_action_with_call_classmethod_runs(ctx, log):
    op_id = start(
        "t.class", {"log": str(log)}, {"main": [A.ClassAction, "tests.operations.actions.step_a"]}
    )
    run_to_end(op_id)
    assert calls(log) == ["class", "a"]
