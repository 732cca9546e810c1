"""perform_at: an action whose time is in the future waits for it and never runs early."""

from __future__ import annotations

import datetime as dt

from huey.signals import SIGNAL_COMPLETE

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start, wait_for_state
from tests.support.queue import running_consumer, wait_until
from webapp.database import utcnow
from webapp.extensions import huey
from webapp.operations import run_action


def test_action_runs_no_earlier_than_its_perform_at(ctx, log):
    when = utcnow() + dt.timedelta(seconds=1.5)
    op_id = start("t.at", {"log": str(log)}, {"main": [A.step_a, (A.step_b, {"perform_at": when})]})
    with running_consumer(workers=2):
        waiting = wait_for_state(op_id, "waiting", "completed")
        op = wait_for_state(op_id, "completed")
    assert waiting.state == "waiting"
    assert action_of(op, "step_b").started_at >= when
    assert calls(log) == ["a", "b"]


def test_waiting_action_is_scheduled_for_its_time(ctx, log):
    when = utcnow() + dt.timedelta(hours=1)
    op_id = start("t.at", {"log": str(log)}, {"main": [A.step_a, (A.step_b, {"perform_at": when})]})
    with running_consumer(workers=1):
        op = wait_for_state(op_id, "waiting")
        wait_until(lambda: huey.scheduled_count() == 1, message="the task in the schedule")
    (task,) = huey.scheduled()
    assert task.args == (action_of(op, "step_b").id,)
    assert task.eta.replace(tzinfo=dt.UTC) == when
    assert action_of(op, "step_b").state == "waiting"


def test_early_task_for_a_waiting_action_does_not_run_it(ctx, log):
    when = utcnow() + dt.timedelta(hours=1)
    op_id = start("t.at", {"log": str(log)}, {"main": [A.step_a, (A.step_b, {"perform_at": when})]})
    done: list[str] = []
    handler = huey.signal(SIGNAL_COMPLETE)(lambda signal, task: done.append(task.id))
    try:
        with running_consumer(workers=1):
            b_id = action_of(wait_for_state(op_id, "waiting"), "step_b").id
            early = run_action(b_id)
            wait_until(lambda: early.id in done, message="the early task to finish")
    finally:
        huey.disconnect_signal(handler)
    op = fresh(op_id)
    assert action_of(op, "step_b").state == "waiting"
    assert action_of(op, "step_b").attempts_count == 0
    assert calls(log) == ["a"]
