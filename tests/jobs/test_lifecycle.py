"""Each lifecycle transition of a tracked job, through a real consumer, on both backends."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.jobs import sample_jobs as jobs
from tests.support.queue import running_consumer, wait_until
from webapp.activity import Activity
from webapp.extensions import db, huey
from webapp.jobs import JobStatus


def _status(result) -> JobStatus | None:
    return JobStatus.get(result)


def _reaches(result, state: str) -> JobStatus:
    return wait_until(
        lambda: (st := _status(result)) is not None and st.status == state and st,
        message=f"job to be {state}",
    )


def test_queued_is_stored_before_the_enqueue_call_returns(ctx):
    result = jobs.add_numbers(1, 2)
    st = JobStatus.get(result)
    assert st.status == "queued" and st.is_queued
    assert st.task == "add_numbers" and st.enqueued_at is not None and st.started_at is None


def test_working_while_the_job_runs(ctx):
    result = jobs.gated("working")
    with running_consumer():
        st = wait_until(
            lambda: (s := _status(result)) and s.get_field("step") == "waiting" and s,
            message="job to start",
        )
        assert st.is_working and st.started_at is not None and st.finished_at is None
        jobs.GATES["working"].release()
        _reaches(result, "completed")


def test_completed_with_times_after_the_job_returns(ctx):
    result = jobs.add_numbers(2, 3)
    with running_consumer():
        assert result.get(blocking=True, timeout=15) == 5
        st = _reaches(result, "completed")
    assert st.enqueued_at <= st.started_at <= st.finished_at
    assert st.attempts == 1 and st.progress == 0


def test_exception_fails_the_job_with_class_and_message_when_included(ctx):
    result = jobs.explode("disk full")
    with running_consumer():
        st = _reaches(result, "failed")
    assert st.is_failed
    assert st["exception"] == {"class": "ValueError", "message": "disk full"}


def test_exception_is_not_stored_unless_included(ctx):
    result = jobs.explode_quietly("secret detail")
    with running_consumer():
        st = _reaches(result, "failed")
    assert "exception" not in st.to_dict()


def test_retrying_job_stays_working_until_retries_are_exhausted(ctx):
    result = jobs.fail_each_attempt("retry")
    with running_consumer():
        for attempt in (1, 2, 3):
            wait_until(
                lambda a=attempt: (s := _status(result)) and s.attempts == a and s.is_working,
                message=f"attempt {attempt} to run",
            )
            jobs.GATES["retry"].release()
        st = _reaches(result, "failed")
    assert st.attempts == 3
    assert st["exception"] == {"class": "RuntimeError", "message": "attempt 3 failed"}
    retried = db.session.scalars(
        select(Activity).where(Activity.subject_id == result.id, Activity.key.like("%.retried"))
    ).all()
    assert [a.value for a in retried] == [
        "RuntimeError: attempt 1 failed",
        "RuntimeError: attempt 2 failed",
    ]
    assert all(a.system and a.private and a.user_id is None for a in retried)


def test_revoked_job_ends_revoked(ctx):
    result = jobs.add_numbers(1, 1)
    result.revoke()
    with running_consumer():
        st = _reaches(result, "revoked")
    assert st.finished_at is not None and st.started_at is None


def test_expired_job_ends_expired(ctx):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    result = huey.enqueue(jobs.add_numbers.s(1, 1, expires=past))
    with running_consumer():
        st = _reaches(result, "expired")
    assert st.started_at is None


def test_error_swallowed_inside_the_job_ends_completed(ctx):
    result = jobs.swallow_error()
    with running_consumer():
        assert result.get(blocking=True, timeout=15) == "handled"
        _reaches(result, "completed")


def test_cancel_execution_handled_by_huey_ends_failed_not_working(ctx):
    result = jobs.cancel_without_retry()
    with running_consumer():
        st = _reaches(result, "failed")
    assert st["exception"]["class"] == "CancelExecution"
