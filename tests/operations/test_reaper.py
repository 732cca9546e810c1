"""The reaper resumes actions whose lease expired, and never touches a valid lease.

A run is simulated by taking the lease the way the runner does (claim_action) and not
finishing it, as a consumer killed mid-action would; ``now`` is passed to the reaper instead
of waiting for the lease to run out.
"""

from __future__ import annotations

import datetime as dt

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start
from tests.support.queue import drain
from webapp.extensions import huey
from webapp.operations import reap_expired_actions
from webapp.operations.transitions import claim_action, complete_action

SECOND = dt.timedelta(seconds=1)


def started_op(log) -> tuple[int, int]:
    """An operation whose first action is 'running' in a consumer that went away."""
    op_id = start("t.reap", {"log": str(log)}, {"main": [A.step_a, A.step_b]}, retries=1)
    huey.flush()  # the consumer took the task with it
    first = fresh(op_id).actions[0].id
    assert claim_action(first, "dead-consumer") is not None
    return op_id, first


def test_reaper_leaves_a_valid_lease_alone(ctx, log):
    op_id, first = started_op(log)
    assert reap_expired_actions() == 0
    action = fresh(op_id).actions[0]
    assert (action.state, action.lease_holder) == ("running", "dead-consumer")
    assert huey.pending_count() == 0


def test_reaper_resumes_an_action_whose_lease_expired(ctx, log):
    op_id, first = started_op(log)
    expiry = fresh(op_id).actions[0].lease_expires_at
    assert reap_expired_actions(now=expiry + SECOND) == 1
    action = fresh(op_id).actions[0]
    assert (action.state, action.lease_holder) == ("pending", None)
    assert "lease expired" in action.error_message
    drain()
    op = fresh(op_id)
    assert op.state == "completed"
    assert action_of(op, "step_a").attempts_count == 2
    assert calls(log) == ["a", "b"]


def test_reaper_fails_an_action_that_had_no_attempts_left(ctx, log):
    op_id = start("t.reap", {"log": str(log)}, {"main": [A.step_a]}, retries=0)
    huey.flush()
    assert claim_action(fresh(op_id).actions[0].id, "dead-consumer") is not None
    expiry = fresh(op_id).actions[0].lease_expires_at
    assert reap_expired_actions(now=expiry + SECOND) == 1
    op = fresh(op_id)
    assert (op.state, op.actions[0].state) == ("failed", "failed")
    assert huey.pending_count() == 0


def test_reaper_enqueues_an_action_that_was_never_picked_up(ctx, log):
    op_id = start("t.lost", {"log": str(log)}, {"main": [A.step_a]})
    huey.flush()  # the enqueue was lost
    deadline = fresh(op_id).actions[0].lease_expires_at
    assert reap_expired_actions(now=deadline - SECOND) == 0
    assert reap_expired_actions(now=deadline + SECOND) == 1
    drain()
    assert fresh(op_id).state == "completed"
    assert calls(log) == ["a"]


def test_second_claim_of_a_running_action_is_refused(ctx, log):
    op_id, first = started_op(log)
    assert claim_action(first, "another-consumer") is None
    assert fresh(op_id).actions[0].lease_holder == "dead-consumer"


def test_late_completion_by_a_reaped_run_records_nothing(ctx, log):
    op_id, first = started_op(log)
    expiry = fresh(op_id).actions[0].lease_expires_at
    reap_expired_actions(now=expiry + SECOND)
    stale = claim_action(first, "new-consumer")
    assert stale is not None
    assert complete_action(stale, "dead-consumer") is False
    assert fresh(op_id).actions[0].lease_holder == "new-consumer"
