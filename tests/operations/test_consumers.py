"""Real ``huey_consumer tasks.huey`` processes: duplicate tasks and a consumer killed mid-action.

Test actions append to a file (see actions.py), so calls are counted across processes.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.operations import actions as A
from tests.operations.actions import calls
from tests.operations.helpers import action_of, fresh, start, wait_for_state
from tests.support.queue import wait_until
from webapp.extensions import huey
from webapp.operations import reap_expired_actions, run_action

#: The crash test's lease: long enough for the quick actions, short enough not to wait long.
SHORT_LEASE = 1.0

pytestmark = pytest.mark.slow


def consumer_env(backend, lease: float) -> dict[str, str]:
    return {**backend.env(), "BEACON_ACTION_LEASE": str(lease)}


def blocking_op(log: Path, flag: Path) -> int:
    return start(
        "t.consumers",
        {"log": str(log), "flag": str(flag)},
        {"main": [A.step_a, A.block_until_flag, A.step_c]},
    )


def test_action_enqueued_twice_runs_once_with_two_consumers(ctx, backend, processes, log, tmp_path):
    flag = tmp_path / "flag"
    op_id = blocking_op(log, flag)
    env = consumer_env(backend, lease=60)
    for i in range(2):
        processes.consumer(env, workers=1, log=tmp_path / f"consumer{i}.log")
    wait_until(lambda: "slow-start" in calls(log), message="the blocking action to start")
    slow_id = action_of(fresh(op_id), "block_until_flag").id
    run_action(slow_id)  # a duplicate, while the first run holds the lease
    wait_until(lambda: huey.pending_count() == 0, message="both consumers to take a task")
    flag.touch()
    wait_for_state(op_id, "completed")
    assert calls(log) == ["a", "slow-start", "slow-effect", "c"]


def test_consumer_killed_mid_action_is_resumed_by_the_reaper(
    ctx, backend, processes, log, tmp_path
):
    flag = tmp_path / "flag"
    op_id = blocking_op(log, flag)
    env = consumer_env(backend, lease=SHORT_LEASE)
    doomed = processes.consumer(env, workers=2, log=tmp_path / "doomed.log")
    wait_until(lambda: "slow-start" in calls(log), message="the blocking action to start")
    processes.kill(doomed, signal.SIGKILL)
    slow = action_of(fresh(op_id), "block_until_flag")
    assert slow.state == "running"
    flag.touch()  # the resumed run may finish

    wait_until(lambda: reap_expired_actions() == 1, message="the lease to expire and be reaped")
    processes.consumer(env, workers=2, log=tmp_path / "survivor.log")
    op = wait_for_state(op_id, "completed")

    # Completed actions ran once; the killed one started twice and took effect once.
    assert calls(log) == ["a", "slow-start", "slow-start", "slow-effect", "c"]
    assert [a.attempts_count for a in op.actions] == [1, 2, 1]
