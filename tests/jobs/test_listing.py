"""Listings for the notification center and the admin page: one owner's jobs, everyone's."""

from __future__ import annotations

import pytest

from tests.jobs import sample_jobs as jobs
from tests.support.queue import drain
from webapp.jobs import JobStatus


def test_for_owner_lists_only_that_owners_jobs_newest_first(
    ctx, job_store, subscriber, other_subscriber
):
    first = jobs.add_numbers(1, 1, owner_id=subscriber.id)
    jobs.add_numbers(2, 2, owner_id=other_subscriber.id)
    second = jobs.add_numbers(3, 3, owner_id=subscriber.id)
    listed = JobStatus.for_owner(subscriber.id, limit=10)
    assert [st.id for st in listed] == [second.id, first.id]


def test_for_owner_filters_by_status_and_limits(ctx, job_store, subscriber):
    done = jobs.add_numbers(1, 1, owner_id=subscriber.id)
    drain()
    waiting = [jobs.add_numbers(n, n, owner_id=subscriber.id) for n in range(3)]
    assert [st.id for st in JobStatus.for_owner(subscriber.id, status="completed")] == [done.id]
    assert [st.id for st in JobStatus.for_owner(subscriber.id, limit=2)] == [
        waiting[2].id,
        waiting[1].id,
    ]


def test_recent_filters_by_task_and_status(ctx, job_store):
    jobs.add_numbers(1, 1)
    failed = jobs.explode_quietly("x")
    drain()
    queued = jobs.add_numbers(2, 2)
    assert [st.id for st in JobStatus.recent(task="explode_quietly")] == [failed.id]
    assert [st.id for st in JobStatus.recent(status="queued")] == [queued.id]
    assert len(JobStatus.recent(limit=10)) == 3


def test_listing_refuses_an_unknown_status(ctx, job_store):
    with pytest.raises(ValueError, match="unknown job status 'stuck'"):
        JobStatus.recent(status="stuck")
