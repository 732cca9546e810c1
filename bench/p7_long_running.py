"""P7: what long-running work costs: the heartbeat of a running action (lease renewal and the
cancel poll), the reaper's pass with 10,000 actions running, and cancel latency.

* Renewal: one pass for the runs of a process (one UPDATE ... RETURNING for all of them)
  against a raw UPDATE of the same rows by primary key, committed; a pass comes every
  ``BEACON_ACTION_LEASE / 3`` seconds, so its writes per action per minute follow.
* Cancel poll: one pass (one SELECT for the operations of all the runs) against a raw
  single-row SELECT by primary key; a pass comes every ``BEACON_CANCEL_POLL`` seconds.
* Reaper: ``reap_expired_actions`` with 10,000 actions running under live leases (nothing to
  reap: the pass every consumer makes every minute) against the raw indexed count of expired
  leases it must at least make.
* Cancel latency: from ``cancel_job`` / ``cancel_operation`` returning to the run having ended
  (job: ``cancelled`` stored; operation: the action's run returned), for a job writing progress
  every 10 ms and an action calling ``check_cancelled()`` every 10 ms, run by a worker thread
  here; against ``BEACON_CANCEL_POLL``, the interval the running side looks at.
"""

from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
import uuid
from types import SimpleNamespace

import sqlalchemy as sa

from bench.backends import app_for, pg_url
from bench.harness import Results, Row, paired, temp_dir

RUNNING = 10_000
RUNS_PER_PROCESS = (1, 100)
CANCELS = 9
POLL = 0.1  # BEACON_CANCEL_POLL for the latency figures (the default is 0.5 s)


def wait_for_cancel(action) -> None:
    """The benchmark's long action: looks for its cancel every 10 ms, for up to 30 s."""
    for _ in range(3000):
        action.check_cancelled()
        time.sleep(0.01)


_JOB = []


def _job_task():
    if not _JOB:
        from webapp.jobs import tracked_task

        @tracked_task(name="bench.progress_until_cancelled", retries=0, throttle_interval=0.05)
        def progress_until_cancelled(*, status) -> None:
            for _ in range(3000):
                status.progress.increment()
                time.sleep(0.01)

        _JOB.append(progress_until_cancelled)
    return _JOB[0]


def _fill_running(count: int) -> list[tuple[int, int, str]]:
    """``count`` operations, each with one action running under a live lease (copies of one
    started the public way); their (operation id, action id, lease token)."""
    from webapp.database import utcnow
    from webapp.extensions import db
    from webapp.operations import Action, Operation, start_operation

    template = start_operation("bench.running", {"n": 0}, {"main": [wait_for_cancel]}, delay=3600)
    op_row = dict(
        db.session.execute(sa.select(Operation.__table__).where(Operation.id == template.id))
        .mappings()
        .one()
    )
    act_row = dict(
        db.session.execute(sa.select(Action.__table__).where(Action.operation_id == template.id))
        .mappings()
        .one()
    )
    db.session.rollback()
    first = op_row["id"] + 1
    act_first = act_row["id"] + 1
    expires = utcnow() + dt.timedelta(hours=1)
    ops, acts, held = [], [], []
    for k in range(count):
        token = f"bench-{uuid.uuid4().hex}"
        ops.append(
            {
                **op_row,
                "id": first + k,
                "params_hash": uuid.uuid4().hex,  # one row per (name, params)
                "state": "running",
                "next_action_id": act_first + k,
            }
        )
        acts.append(
            {
                **act_row,
                "id": act_first + k,
                "operation_id": first + k,
                "state": "running",
                "lease_holder": token,
                "lease_expires_at": expires,
            }
        )
        held.append((first + k, act_first + k, token))
    with db.engine.begin() as conn:
        for start in range(0, count, 1000):
            conn.execute(Operation.__table__.insert(), ops[start : start + 1000])
            conn.execute(Action.__table__.insert(), acts[start : start + 1000])
    return held


def _ms(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def _heartbeat(results: Results, kind: str, runs: dict) -> None:
    """Rows for one renewal pass and one cancel poll pass over ``runs`` (token -> run)."""
    from flask import current_app

    from webapp.database import utcnow
    from webapp.extensions import db
    from webapp.operations import Action, Operation
    from webapp.operations.leases import renew, watch_cancels

    actions, operations = Action.__table__, Operation.__table__
    ids = [run.id for run in runs.values()]
    later = utcnow() + dt.timedelta(hours=1)  # keeps the leases live, as a renewal does

    def raw_update() -> None:
        with db.engine.begin() as conn:
            conn.execute(
                actions.update().where(actions.c.id.in_(ids)).values(lease_expires_at=later)
            )

    def raw_select() -> None:
        with db.engine.connect() as conn:
            conn.execute(sa.select(operations.c.state).where(operations.c.id == 1)).all()

    def renewal() -> None:
        renewed = renew(runs)
        if renewed != len(runs):
            raise RuntimeError(f"renewed {renewed} of {len(runs)} leases")

    config = current_app.config
    passes = 60 / (config["BEACON_ACTION_LEASE"] / 3)
    polls = 60 / config["BEACON_CANCEL_POLL"]
    rows = [
        (
            f"lease renewal pass, {len(runs)} run(s) of a process ÷ raw UPDATE of their rows by "
            f"id, committed ({passes:g} passes/min: {passes / len(runs):g} statements per action "
            "per minute)",
            raw_update,
            renewal,
        ),
        (
            f"cancel poll pass, {len(runs)} run(s) of a process ÷ raw 1-row SELECT ({polls:g} "
            "reads/min per process)",
            raw_select,
            lambda: watch_cancels(runs),
        ),
    ]
    for what, baseline, ours_fn in rows:
        base, ours = paired(lambda f=baseline: _ms(f), lambda f=ours_fn: _ms(f))
        results.add(
            Row("P7", kind, what, ours, base, "ms/pass", "<= 3.0", ours / base <= 3.0,
                higher_is_better=False)
        )  # fmt: skip


def _heartbeat_and_reaper(results: Results, kind: str) -> None:
    from webapp.database import utcnow
    from webapp.extensions import db
    from webapp.operations import Action, reap_expired_actions

    with temp_dir() as tmp, app_for(kind, tmp) as app, app.app_context():
        held = _fill_running(RUNNING)
        table = Action.__table__
        for per_process in RUNS_PER_PROCESS:
            # What the heartbeat reads and sets of a run (its ActionContext).
            runs = {
                token: SimpleNamespace(
                    id=action_id, operation_id=op_id, lease_lost=False, cancel_requested=False
                )
                for op_id, action_id, token in held[:per_process]
            }
            _heartbeat(results, kind, runs)

        def raw_expired_count() -> None:
            with db.engine.connect() as conn:
                conn.execute(
                    sa.select(sa.func.count()).where(
                        table.c.state.in_(("pending", "waiting", "running")),
                        table.c.lease_expires_at < utcnow(),
                    )
                ).scalar()

        def reaper_pass() -> None:
            if reaped := reap_expired_actions():
                raise RuntimeError(f"reaped {reaped} actions holding live leases")

        base, ours = paired(lambda: _ms(raw_expired_count), lambda: _ms(reaper_pass))
        results.add(
            Row(
                "P7",
                kind,
                f"reaper pass, {RUNNING:,} actions running (none expired) ÷ raw indexed count "
                "of expired leases",
                ours,
                base,
                "ms/pass",
                "<= 3.0",
                ours / base <= 3.0,
                higher_is_better=False,
            )
        )


def _latency(start_run, cancel, ended) -> float:
    """ms from ``cancel()`` returning to ``ended()``, for a run ``start_run()`` set going."""
    from webapp.extensions import huey

    done = threading.Event()
    app = huey.flask_app

    def worker() -> None:
        with app.app_context():
            task = huey.dequeue()
            huey.execute(task)
        done.set()

    ident = start_run()
    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    time.sleep(0.3)  # well into its run
    cancel(ident)
    asked = time.perf_counter()
    if not done.wait(30):
        raise RuntimeError("the run did not end within 30 s of its cancel")
    thread.join()
    took = (time.perf_counter() - asked) * 1000
    if not ended(ident):
        raise RuntimeError(f"run {ident} did not end cancelled")
    return took


def _cancel_latency(results: Results, kind: str) -> None:
    from webapp.extensions import db, huey
    from webapp.jobs import JobStatus, cancel_job
    from webapp.operations import Operation, cancel_operation, start_operation

    with temp_dir() as tmp, app_for(kind, tmp) as app, app.app_context():
        app.config["BEACON_CANCEL_POLL"] = POLL
        huey.flush()
        job = _job_task()

        def job_state(job_id: str) -> bool:
            return JobStatus.get(job_id).status == "cancelled"

        def op_state(op_id: int) -> bool:
            state = db.session.get(Operation, op_id).state
            db.session.rollback()
            return state == "cancelled"

        def start_op() -> int:
            op = start_operation(
                "bench.cancel", {"run": uuid.uuid4().hex}, {"main": [wait_for_cancel]}
            )
            db.session.rollback()
            return op.id

        figures = {
            "job": [_latency(lambda: job().id, cancel_job, job_state) for _ in range(CANCELS)],
            "operation": [_latency(start_op, cancel_operation, op_state) for _ in range(CANCELS)],
        }
        for what, values in figures.items():
            median = statistics.median(values)
            results.add(
                Row(
                    "P7",
                    kind,
                    f"{what} cancel latency, median of {CANCELS} (worst {max(values):.0f} ms) "
                    f"÷ cancel poll interval ({POLL * 1000:.0f} ms)",
                    median,
                    POLL * 1000,
                    "ms",
                    "<= 2.0",
                    median / (POLL * 1000) <= 2.0,
                    higher_is_better=False,
                )
            )


def run(results: Results) -> None:
    kinds = ["sqlite", "postgresql"] if pg_url() else ["sqlite"]
    for kind in kinds:
        _heartbeat_and_reaper(results, kind)
        _cancel_latency(results, kind)
    if not pg_url():
        results.notes.append("P7: PostgreSQL needs TEST_DATABASE_URL (unset).")
