"""Beacon scaled out on PostgreSQL + Redis: two web processes and two standalone consumers,
with operations, events and tracked jobs running at once, and users connected to either web
process. Nothing runs twice, nothing is lost, nobody gets anyone else's activities."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import make_user
from tests.reliability import workload as W
from tests.reliability.cluster import WebProcess, scalar, visible_ids, worker_env
from tests.support.queue import wait_until
from webapp.activity import Activity
from webapp.events import EventMessage, queue_event
from webapp.extensions import db
from webapp.jobs import JobStatus
from webapp.operations import Action, Operation, start_operation

pytestmark = [pytest.mark.slow, pytest.mark.backends("pg_redis")]

USERS = 5
OPERATIONS = 20
EVENTS = 200
JOBS = 50
PRIORITY_CYCLE = ("high", "medium", "low")
#: Operation n jumps from ``fork`` to this branch (None: it carries on along main).
FORKS = ("red", "blue", None)
BRANCHES = {
    "main": [W.step, W.fork, W.finish],
    "red": [W.side, W.step],
    "blue": [W.side],
}


def start_workload(app, people, log) -> list[str]:
    """20 operations, 200 events and 50 tracked jobs, owned round-robin; the jobs' ids."""
    with app.app_context():
        for n in range(OPERATIONS):
            start_operation(
                "reliability.topology",
                globals={"log": str(log), "n": n, "fork": FORKS[n % len(FORKS)]},
                branches=BRANCHES,
                owner_id=people[n % len(people)].id,
                retries=0,
            )
        for n in range(EVENTS):
            queue_event(
                "reliability",
                PRIORITY_CYCLE[n % 3],
                owner_id=people[n % len(people)].id,
                log=str(log),
                n=n,
            )
        return [
            W.reliability_job(str(log), 5, owner_id=people[n % len(people)].id).id
            for n in range(JOBS)
        ]


def jobs_finished(app, job_ids: list[str]) -> bool:
    with app.app_context():
        return all((st := JobStatus.get(i)) is not None and st.is_completed for i in job_ids)


def test_two_web_processes_and_two_consumers_run_everything_once_and_deliver_it_all(
    app, backend, processes, tmp_path
):
    people = [make_user(app, f"user{i}@example.com") for i in range(USERS)]
    env = worker_env(backend.env())
    webs = [WebProcess(processes, env, tmp_path / f"web{i}.log") for i in range(2)]
    for i in range(2):
        processes.consumer(env, workers=2, log=tmp_path / f"consumer{i}.log")
    for web in webs:
        web.wait_ready()
    # Each user on one web process; the first one on both.
    sockets = {p.id: [webs[i % 2].socket(p)] for i, p in enumerate(people)}
    sockets[people[0].id].append(webs[1].socket(people[0]))
    every = [s for socks in sockets.values() for s in socks]
    wait_until(lambda: all(s.of("unread") for s in every), message="every session to be ready")
    start_id = scalar(app, select(func.coalesce(func.max(Activity.id), 0)))
    log = tmp_path / "runs.log"

    job_ids = start_workload(app, people, log)

    wait_until(
        lambda: (
            scalar(app, select(func.count()).where(Operation.state == "completed")) == OPERATIONS
        ),
        timeout=180,
        interval=0.5,
        message="every operation to complete",
    )
    wait_until(
        lambda: scalar(app, select(func.count()).where(EventMessage.status == "done")) == EVENTS,
        timeout=180,
        interval=0.5,
        message="every event to be processed",
    )
    wait_until(lambda: jobs_finished(app, job_ids), timeout=120, interval=0.5, message="jobs")

    with app.app_context():
        completed = set(
            db.session.scalars(select(Action.id).where(Action.state == "completed")).all()
        )
        attempts = set(db.session.scalars(select(Action.attempts_count).distinct()).all())
        event_attempts = set(db.session.scalars(select(EventMessage.attempts).distinct()).all())
    action_runs = W.run_counts(log, "action")
    assert {int(i) for i in action_runs} == completed
    assert set(action_runs.values()) == {1}
    assert attempts <= {0, 1}  # 0: the branch not taken
    event_runs = W.run_counts(log, "event")
    assert len(event_runs) == EVENTS and set(event_runs.values()) == {1}
    assert event_attempts == {1}
    job_runs = W.run_counts(log, "job")
    assert set(job_runs) == set(job_ids) and set(job_runs.values()) == {1}

    for person in people:
        expected = visible_ids(app, person.id, start_id)
        # Each operation's start and end, each event, each job's end.
        assert len(expected) == (OPERATIONS * 2 + EVENTS + JOBS) // USERS
        for sock in sockets[person.id]:
            sock.wait_for_ids(len(expected), timeout=60)
            assert sock.ids() == expected, f"user {person.id}"
    print(
        f"\n[topology] {OPERATIONS} operations ({len(completed)} actions), {EVENTS} events, "
        f"{JOBS} jobs over 2 web processes and 2 consumers; "
        f"{sum(len(visible_ids(app, p.id, start_id)) for p in people)} activities delivered"
    )
