"""Long-running actions: the lease is renewed while an action runs, so the reaper never
resumes a live run; cancel_operation stops an operation mid-action; a timeout fails the
attempt, which is retried."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start, wait_for_state
from tests.support.queue import running_consumer, wait_until
from webapp.operations import cancel_operation, reap_expired_actions, retry_operation

#: Short enough that 5 leases pass in 7.5 s; long enough that the first renewal is never late:
#: the heartbeat thread an earlier test left running (its app's lease: 60 s) takes up to one
#: of that app's cancel polls (0.5 s) to adopt this app's intervals.
LEASE = 1.5


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_ACTION_LEASE": LEASE, "BEACON_CANCEL_POLL": 0.1}


@contextlib.contextmanager
def reaping(app, every: float = 0.25) -> Iterator[None]:
    """The reaper running every ``every`` seconds, in a thread of its own, until the end."""
    stop = threading.Event()

    def loop() -> None:
        with app.app_context():
            while not stop.wait(every):
                reap_expired_actions()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_an_action_running_five_leases_long_runs_once_and_completes(app, ctx, log):
    op_id = start(
        "t.long",
        {"log": str(log), "seconds": 5 * LEASE},
        {"main": [A.step_a, A.sleep_seconds, A.step_c]},
    )
    with reaping(app), running_consumer():
        op = wait_for_state(op_id, "completed")
    assert calls(log) == ["a", "long-start", "long-end", "c"]
    assert action_of(op, "sleep_seconds").attempts_count == 1


def test_an_operation_cancelled_mid_action_runs_nothing_after_and_refuses_retry(ctx, log):
    op_id = start(
        "t.cancel", {"log": str(log)}, {"main": [A.step_a, A.work_until_cancelled, A.step_c]}
    )
    with running_consumer():
        wait_until(lambda: "work-start" in calls(log), message="the long action to start")
        asked = time.monotonic()
        op = cancel_operation(op_id)
        assert op.state == "cancelled"
        wait_until(
            lambda: action_of(fresh(op_id), "work_until_cancelled").state == "cancelled",
            message="the running action to stop",
        )
        took = time.monotonic() - asked
        time.sleep(0.3)
    op = fresh(op_id)
    assert took < 1.0
    assert calls(log) == ["a", "work-start"]
    assert [a.state for a in op.actions] == ["completed", "cancelled", "pending"]
    with pytest.raises(ValueError, match="cancelled"):
        retry_operation(op_id)
    with pytest.raises(ValueError, match="finished"):
        cancel_operation(op_id)
    keys = [a.key for a in op.activities()]
    assert "operation.cancelled" in keys


def test_a_queued_operation_cancelled_never_runs(ctx, log):
    op_id = start("t.cancel-queued", {"log": str(log)}, {"main": [A.step_a]}, delay=60)
    op = cancel_operation(op_id, by_user_id=None)
    assert op.state == "cancelled" and op.actions[0].state == "cancelled"
    assert reap_expired_actions() == 0


def test_a_timed_out_action_is_failed_and_retried(ctx, log):
    op_id = start(
        "t.timeout",
        {"log": str(log), "seconds": 0.5},
        {"main": [(A.sleep_seconds, {"timeout": 0.2})]},
        retries=1,
        retry_delay=0,
    )
    with running_consumer(workers=2):
        op = wait_for_state(op_id, "failed")
        wait_until(lambda: calls(log).count("long-end") == 2, message="both runs to return")
    action = op.actions[0]
    assert sorted(calls(log)) == ["long-end"] * 2 + ["long-start"] * 2
    assert action.attempts_count == 2 and "TaskTimeout" in action.error_message


def test_an_action_that_never_looks_is_failed_at_its_timeout_and_retried_at_once(ctx, log):
    """A thread cannot be stopped: the attempt is failed at its timeout all the same, its
    retry runs on another worker while it goes on, and its late end is refused, recorded."""
    op_id = start(
        "t.stuck",
        {"log": str(log), "seconds": 3.0},
        {"main": [(A.stuck_on_first_attempt, {"timeout": 0.3})]},
        retries=1,
        retry_delay=0,
    )
    with running_consumer(workers=2):
        op = wait_for_state(op_id, "completed", timeout=30)
        assert calls(log) == ["stuck-start", "second attempt"]  # the first still sleeps
        wait_until(lambda: "stuck-end" in calls(log), message="the stuck run to return")
        wait_until(
            lambda: "operation.lease_lost" in [a.key for a in fresh(op_id).activities()],
            message="its late end to be refused",
        )
    op = fresh(op_id)
    assert op.actions[0].attempts_count == 2 and op.state == "completed"
    failed = [a for a in op.activities() if a.key == "operation.action_failed"]
    assert len(failed) == 1 and "TaskTimeout" in failed[0].message


def test_a_timeout_option_of_the_operation_applies_to_each_action(ctx, log):
    op_id = start("t.timeouts", {"log": str(log)}, {"main": [A.step_a, A.step_b]}, timeout=30)
    assert [a.timeout for a in fresh(op_id).actions] == [30.0, 30.0]
    with pytest.raises(ValueError, match="timeout"):
        start("t.bad", {}, {"main": [A.step_a]}, timeout=0)


@pytest.mark.slow
def test_sigkill_mid_action_is_resumed_after_the_lease_window_not_before(
    ctx, backend, processes, log, tmp_path
):
    lease = 1.5
    env = {**backend.env(), "BEACON_ACTION_LEASE": str(lease)}
    op_id = start(
        "t.kill", {"log": str(log), "seconds": 5 * lease}, {"main": [A.sleep_seconds, A.step_c]}
    )
    doomed = processes.consumer(env, workers=1, log=tmp_path / "doomed.log")
    wait_until(lambda: "long-start" in calls(log), message="the long action to start")
    time.sleep(2 * lease)  # renewed meanwhile: never reaped while it runs
    assert reap_expired_actions() == 0
    processes.kill(doomed, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: reap_expired_actions() == 1, timeout=3 * lease, message="the reaper")
    waited = time.monotonic() - killed_at
    # Renewed every third of the lease: at least two thirds of it were left at the kill.
    assert waited >= lease * 2 / 3 - 0.1, f"resumed {waited:.2f} s after the kill"
    processes.consumer(env, workers=1, log=tmp_path / "survivor.log")
    op = wait_for_state(op_id, "completed", timeout=30)
    assert calls(log) == ["long-start", "long-start", "long-end", "c"]
    assert action_of(op, "sleep_seconds").attempts_count == 2


@pytest.mark.slow
def test_in_a_consumer_process_a_long_action_runs_once_and_a_cancel_stops_it(
    app, ctx, backend, processes, log, tmp_path
):
    env = {**backend.env(), "BEACON_ACTION_LEASE": str(LEASE), "BEACON_CANCEL_POLL": "0.1"}
    long_op = start(
        "t.long-process",
        {"log": str(log), "seconds": 5 * LEASE},
        {"main": [A.step_a, A.sleep_seconds, A.step_c]},
    )
    with reaping(app):
        processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
        op = wait_for_state(long_op, "completed", timeout=30)
    assert calls(log) == ["a", "long-start", "long-end", "c"]
    assert action_of(op, "sleep_seconds").attempts_count == 1

    cancel_log = tmp_path / "cancel.log"
    op_id = start(
        "t.cancel-process", {"log": str(cancel_log)}, {"main": [A.work_until_cancelled, A.step_c]}
    )
    wait_until(lambda: "work-start" in calls(cancel_log), message="the long action to start")
    asked = time.monotonic()
    cancel_operation(op_id)
    wait_until(
        lambda: action_of(fresh(op_id), "work_until_cancelled").state == "cancelled",
        message="the running action to stop",
    )
    assert time.monotonic() - asked < 1.0
    time.sleep(0.3)
    assert calls(cancel_log) == ["work-start"]
    assert [a.state for a in fresh(op_id).actions] == ["cancelled", "pending"]
