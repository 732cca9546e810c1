"""Retention deletes finished job statuses that ended before the cutoff, in both stores,
keeping the newest failure of each task and every unfinished status."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from webapp.database import utcnow
from webapp.extensions import db
from webapp.jobs import JobStatus, Write, get_store
from webapp.jobs.models import JobStatusField

NOW = utcnow()
CUTOFF = NOW - dt.timedelta(days=30)
#: Long enough that no status here expires by itself while the test runs.
LIFETIME = 400 * 86400.0
_ids = itertools.count(1)


def days_ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def status(state: str, enqueued: float, finished: float | None = None, task: str = "export"):
    """A status enqueued ``enqueued`` days ago, ``state`` since ``finished`` days ago (or since
    it was enqueued, for an unfinished one), with a custom field and an owner; its id."""
    job_id = f"job-{next(_ids)}"
    store = get_store()
    store.write(
        job_id,
        Write(
            now=days_ago(enqueued),
            expires_in=LIFETIME,
            task=task,
            owner_id=7,
            values={"status": "queued"},
            fields={"step": "A"},
        ),
    )
    if state != "queued":
        ended = days_ago(finished if finished is not None else enqueued)
        values = {"status": state, "finished_at": ended if finished is not None else None}
        store.write(job_id, Write(now=ended, expires_in=LIFETIME, values=values))
    return job_id


def remaining(*ids: str) -> set[str]:
    return set(get_store().read_many(ids))


def test_statuses_finished_before_the_cutoff_are_deleted(ctx, job_store):
    gone = [
        status("completed", enqueued=40, finished=40),
        status("cancelled", enqueued=50, finished=50),
        status("interrupted", enqueued=50, finished=49),
        status("failed", enqueued=60, finished=60),
    ]
    newest_failure = status("failed", enqueued=45, finished=45)
    assert get_store().purge_finished(CUTOFF, 1000) == 4
    assert remaining(*gone, newest_failure) == {newest_failure}


def test_deleted_statuses_leave_the_listings(ctx, job_store):
    status("completed", enqueued=40, finished=40)
    kept = status("completed", enqueued=1, finished=1)
    get_store().purge_finished(CUTOFF, 1000)
    assert [j.id for j in JobStatus.recent()] == [kept]
    assert [j.id for j in JobStatus.for_owner(7)] == [kept]


def test_recently_finished_statuses_stay(ctx, job_store):
    ids = [
        status("completed", enqueued=2, finished=2),
        status("failed", enqueued=3, finished=1, task="sync"),
        status("completed", enqueued=90, finished=1),
    ]
    assert get_store().purge_finished(CUTOFF, 1000) == 0
    assert remaining(*ids) == set(ids)


def test_unfinished_statuses_stay_however_old(ctx, job_store):
    ids = [status("queued", enqueued=365), status("working", enqueued=365)]
    assert get_store().purge_finished(CUTOFF, 1000) == 0
    assert remaining(*ids) == set(ids)


def test_the_newest_failure_of_each_task_stays_however_old(ctx, job_store):
    older = status("failed", enqueued=200, finished=200, task="sync")
    newest_sync = status("failed", enqueued=100, finished=100, task="sync")
    only_export = status("failed", enqueued=300, finished=300, task="export")
    assert get_store().purge_finished(CUTOFF, 1000) == 1
    assert remaining(older, newest_sync, only_export) == {newest_sync, only_export}


def test_batches_smaller_than_the_backlog_delete_it_all(ctx, job_store):
    ids = [status("completed", enqueued=40, finished=40) for _ in range(7)]
    assert get_store().purge_finished(CUTOFF, 3) == 7
    assert remaining(*ids) == set()


@pytest.mark.job_stores("sql")
def test_sql_statuses_take_their_fields_with_them(ctx, job_store):
    status("completed", enqueued=40, finished=40)
    kept = status("completed", enqueued=1, finished=1)
    get_store().purge_finished(CUTOFF, 1000)
    assert set(db.session.scalars(select(JobStatusField.job_id))) == {kept}


@pytest.mark.job_stores("redis")
def test_redis_statuses_leave_every_index(ctx, job_store):
    store = get_store()
    gone = status("completed", enqueued=40, finished=40)
    kept = status("completed", enqueued=1, finished=1)
    store.purge_finished(CUTOFF, 1000)
    assert not store.redis.exists(store.key(gone))
    for index in (store.recent_key, store.owner_key(7)):
        assert [m.decode() for m in store.redis.zrange(index, 0, -1)] == [kept]
