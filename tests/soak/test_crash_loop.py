"""A consumer SIGKILLed again and again, at random moments, while operations run.

30 times: start an operation of 5 actions, let a standalone consumer start it, kill the consumer
with SIGKILL at a random moment, start a new one. The reaper (run here, as the periodic task
would) resumes what the dead consumers held. Every operation completes, and no action ran
again once it had completed.
"""

from __future__ import annotations

import random
import signal
import time

import pytest
from sqlalchemy import func, select

from tests.reliability import workload as W
from tests.reliability.cluster import worker_env
from tests.support.queue import wait_until
from webapp.extensions import db
from webapp.operations import Action, Operation, reap_expired_actions, start_operation

# PostgreSQL + Redis: where many consumers share a queue that hands each task out once, so
# a killed consumer takes its task with it. (The embedded default's kill-and-reap is proved in
# tests/operations/test_consumers.py; make soak has ten minutes for everything.)
pytestmark = [pytest.mark.soak, pytest.mark.slow, pytest.mark.backends("pg_redis")]

CRASHES = 30
#: Lease of an action: above its longest run, short enough that the reaper resumes soon.
LEASE = 2.0
ACTIONS = [W.step, W.fork, W.side, W.finish, W.step]


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_ACTION_LEASE": LEASE}


def reap(app) -> int:
    with app.app_context():
        return reap_expired_actions()


def completed_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Operation.state == "completed"))


def unfinished(app) -> str:
    """The operations not completed, with their actions, for the failure message."""
    with app.app_context():
        rows = db.session.execute(
            select(Operation.id, Operation.state, Action.id, Action.state, Action.attempts_count)
            .join(Action, Action.operation_id == Operation.id)
            .where(Operation.state != "completed")
            .order_by(Action.id)
        ).all()
        db.session.rollback()
    return "\n".join(f"op {r[0]} {r[1]}: action {r[2]} {r[3]} x{r[4]}" for r in rows)


def first_action_started(log, action_ids: set[int]) -> bool:
    return any(int(i) in action_ids for i, _, _ in W.runs(log, "action"))


def test_operations_complete_and_completed_actions_never_rerun_across_30_consumer_kills(
    app, backend, processes, tmp_path
):
    rng = random.Random(12)  # noqa: S311 - reproducible kill moments, not security
    env = worker_env(backend.env(), BEACON_ACTION_LEASE=LEASE)
    log = tmp_path / "runs.log"
    consumer = processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
    for n in range(CRASHES):
        with app.app_context():
            op = start_operation(
                "reliability.crash",
                globals={"log": str(log), "n": n, "pause": 0.3},
                branches={"main": ACTIONS},
                # A run its consumer took down counts as an attempt: enough for every kill.
                retries=CRASHES,
                retry_delay=0,
            )
            first = op.actions[0].id
        # Kill at a random moment of the operation's run (its actions take 0 to 0.3 s each).
        wait_until(
            lambda first=first: reap(app) >= 0 and first_action_started(log, {first}),
            timeout=60,
            interval=0.1,
            message=f"operation {n} to start",
        )
        time.sleep(rng.uniform(0, 1.2))
        processes.kill(consumer, signal.SIGKILL)
        consumer = processes.consumer(env, workers=2, log=tmp_path / f"consumer{n}.log")

    try:
        wait_until(
            lambda: reap(app) >= 0 and completed_count(app) == CRASHES,
            timeout=120,
            interval=0.2,
            message="every operation to complete",
        )
    except AssertionError:
        raise AssertionError(f"operations left unfinished:\n{unfinished(app)}") from None
    with app.app_context():
        actions = db.session.execute(
            select(Action.id, Action.state, Action.attempts_count, Action.completed_at)
        ).all()
    starts: dict[str, list[tuple[int, float]]] = {}
    for action_id, attempt, at in W.runs(log, "action"):
        starts.setdefault(action_id, []).append((attempt, at))
    interrupted = 0
    for action_id, state, attempts, completed_at in actions:
        runs = starts[str(action_id)]
        assert state == "completed"
        # Each run claimed an attempt of its own (a run killed between its claim and its
        # first line leaves a gap), the last one completed it...
        logged = [a for a, _ in runs]
        assert logged == sorted(set(logged)) and logged[-1] == attempts, (action_id, logged)
        # ...and none started after it completed.
        assert max(at for _, at in runs) <= completed_at.timestamp(), action_id
        interrupted += attempts > 1
    assert len(actions) == CRASHES * len(ACTIONS)
    print(
        f"\n[crash loop {backend.name}] {CRASHES} consumers SIGKILLed, {CRASHES} operations "
        f"completed, {interrupted} actions interrupted mid-run and resumed, none re-run"
    )
