"""``JobStore.summary``: statuses per state and the durations of recent completions, on the
SQL store (SQLite, PostgreSQL) and the Redis store; what /metrics reads."""

from __future__ import annotations

import datetime as dt

import pytest

from webapp.database import utcnow
from webapp.jobs import STATUSES, Write, get_store

SECOND = dt.timedelta(seconds=1)


def run(job_id: str, task: str, started: dt.datetime, took: float, status: str = "completed"):
    """A job queued and started at ``started`` that ended ``took`` seconds later."""
    store = get_store()
    store.write(job_id, Write(now=started, expires_in=3600, task=task, values={"status": "queued"}))
    store.write(
        job_id,
        Write(
            now=started, expires_in=3600, values={"status": "working"}, keep={"started_at": started}
        ),
    )
    ended = started + took * SECOND
    store.write(
        job_id, Write(now=ended, expires_in=3600, values={"status": status, "finished_at": ended})
    )


def test_summary_counts_every_state_with_zeros(ctx, job_store):
    now = utcnow()
    run("a", "export", now - 10 * SECOND, 2.0)
    run("b", "export", now - 10 * SECOND, 0.2, status="failed")
    get_store().write(
        "c", Write(now=now, expires_in=3600, task="sync", values={"status": "queued"})
    )

    counts = get_store().summary(now - 60 * SECOND).counts

    assert set(counts) == set(STATUSES)
    assert (counts["completed"], counts["failed"], counts["queued"], counts["working"]) == (
        1,
        1,
        1,
        0,
    )


def test_summary_buckets_the_durations_of_completed_jobs_by_task(ctx, job_store):
    now = utcnow()
    run("a", "export", now - 30 * SECOND, 2.0)
    run("b", "export", now - 30 * SECOND, 0.2)
    run("c", "sync", now - 30 * SECOND, 40.0, status="failed")

    durations = get_store().summary(now - 60 * SECOND, bounds=(0.5, 2.5, 10.0)).durations

    assert set(durations) == {"export"}  # a failed job has no completion to time
    export = durations["export"]
    assert export.buckets == (1, 2, 2)
    assert export.count == 2
    assert abs(export.total - 2.2) < 0.01


def test_summary_leaves_out_jobs_completed_before_the_window(ctx, job_store):
    now = utcnow()
    run("old", "export", now - 120 * SECOND, 1.0)
    run("new", "export", now - 20 * SECOND, 1.0)

    summary = get_store().summary(now - 60 * SECOND)

    assert summary.durations["export"].count == 1
    assert summary.counts["completed"] == 2  # both statuses still exist


@pytest.mark.job_stores("sql")  # Redis expires hashes on its own clock: ``now`` cannot move it
def test_summary_leaves_out_expired_statuses(ctx, job_store):
    now = utcnow()
    run("a", "export", now - 10 * SECOND, 1.0)

    summary = get_store().summary(now - 60 * SECOND, now=now + dt.timedelta(hours=2))

    assert summary.counts["completed"] == 0
    assert summary.durations == {}
