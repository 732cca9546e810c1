"""Statuses expire after ``expires_in`` seconds: honoured on read, purged by housekeeping."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.queue import drain, wait_until
from webapp.database import utcnow
from webapp.jobs import JobStatus, get_store, tracked_task
from webapp.jobs.tasks import housekeeping

LATER = dt.timedelta(seconds=61)


@tracked_task(expires_in=60)
def short_lived(*, status) -> None:
    status["step"] = "ran"


@pytest.mark.job_stores("sql")
def test_sql_status_is_unreadable_once_expired_even_before_the_purge(ctx, job_store):
    JobStatus("ephemeral", expires_in=60)["step"] = "A"
    store = get_store()
    assert store.read("ephemeral") is not None
    assert store.read("ephemeral", now=utcnow() + LATER) is None


@pytest.mark.job_stores("sql")
def test_sql_purge_deletes_expired_statuses_and_their_fields(ctx, job_store):
    JobStatus("old", expires_in=60)["step"] = "A"
    JobStatus("young", expires_in=3600)["step"] = "B"
    assert get_store().purge(now=utcnow() + LATER) == 1
    assert JobStatus.get("old") is None and JobStatus.get("young")["step"] == "B"


@pytest.mark.job_stores("sql")
def test_sql_expired_status_is_written_afresh_not_resurrected(ctx, job_store):
    store = get_store()
    JobStatus("reused", expires_in=60)["stale"] = True
    JobStatus("reused", expires_in=60).progress.increment()
    fresh = store.read("reused", now=utcnow())
    assert fresh["fields"] == {"stale": True}
    assert store.read("reused", now=utcnow() + LATER) is None


@pytest.mark.job_stores("redis")
def test_redis_status_is_gone_after_expires_in(ctx, job_store):
    JobStatus("ephemeral", expires_in=0.3)["step"] = "A"
    assert JobStatus.get("ephemeral") is not None
    wait_until(lambda: JobStatus.get("ephemeral") is None, message="the hash to expire")


@pytest.mark.job_stores("redis")
def test_redis_purge_drops_index_entries_of_expired_hashes(ctx, job_store):
    JobStatus("indexed", expires_in=0.2)["step"] = "A"
    wait_until(lambda: JobStatus.get("indexed") is None, message="the hash to expire")
    assert get_store().purge() >= 1
    assert JobStatus.recent() == []


def test_tracked_task_expiry_applies_to_its_statuses(ctx, job_store):
    result = short_lived()
    drain()
    assert JobStatus.get(result).record["expires_in"] == 60


def test_housekeeping_task_purges_and_reaps(ctx, job_store):
    assert housekeeping.call_local() == {"interrupted": 0, "purged": 0}
