"""cancel_job and POST /api/jobs/<id>/cancel: a queued job never starts, a working one stops
at its next progress write, a finished one refuses (ValueError, 409); timeouts fail attempts."""

from __future__ import annotations

import time

import pytest

from tests.jobs import sample_jobs as jobs
from tests.support.queue import running_consumer, wait_until
from webapp.activity import Activity
from webapp.extensions import db
from webapp.jobs import JobStatus, cancel_job


def _status(result) -> JobStatus:
    return JobStatus.get(result)


def _reaches(result, state: str, timeout: float = 15.0) -> JobStatus:
    return wait_until(
        lambda: (st := _status(result)) is not None and st.status == state and st,
        timeout=timeout,
        message=f"job to be {state}",
    )


def _cancelled_activities(job_id: str) -> list[Activity]:
    db.session.rollback()
    return list(
        db.session.scalars(
            db.select(Activity).where(
                Activity.key == "job.cancelled", Activity.subject_id == job_id
            )
        )
    )


def test_a_queued_job_cancelled_never_starts(ctx, subscriber):
    result = jobs.count_until_stopped("never", owner_id=subscriber.id)
    st = cancel_job(result, by_user_id=subscriber.id)
    assert st.status == "cancelled" and st.is_finished
    with running_consumer():
        time.sleep(0.5)  # the consumer dequeues the revoked task and drops it
    st = _status(result)
    assert st.status == "cancelled" and st.started_at is None and st.progress == 0
    [activity] = _cancelled_activities(result.id)
    assert activity.user_id == subscriber.id
    assert activity.value == {"by_user_id": subscriber.id, "task": "count_until_stopped"}


def test_a_job_writing_progress_stops_within_a_second_of_cancel(ctx, job_store):
    result = jobs.count_until_stopped("running")
    with running_consumer():
        jobs.wait_gate("running")
        wait_until(lambda: _status(result).progress.value > 0, message="progress")
        asked = time.monotonic()
        st = cancel_job(result)
        assert st.status == "working" and st.cancel_requested
        st = _reaches(result, "cancelled", timeout=5)
        took = time.monotonic() - asked
    assert took < 1.0, f"stopped {took:.2f} s after cancel_job"
    assert st.is_cancelled and st.finished_at is not None and st.progress.value < 3000
    assert st.attempts == 1  # never retried
    assert len(_cancelled_activities(result.id)) == 1


@pytest.mark.slow
def test_in_a_consumer_process_cancel_stops_a_queued_and_a_running_job(
    ctx, backend, processes, tmp_path
):
    env = {
        **backend.env(),
        "BEACON_EXTRA_TASK_MODULES": "tests.jobs.sample_jobs",
        "BEACON_CANCEL_POLL": "0.2",
    }
    queued = jobs.count_for_a_minute()
    cancel_job(queued)
    running = jobs.count_for_a_minute()
    processes.consumer(env, workers=2, log=tmp_path / "consumer.log")
    wait_until(lambda: _status(running).progress.value > 0, timeout=30, message="progress")
    asked = time.monotonic()
    cancel_job(running)
    st = _reaches(running, "cancelled", timeout=5)
    took = time.monotonic() - asked
    assert took < 1.0, f"stopped {took:.2f} s after cancel_job"
    assert st.attempts == 1 and st.progress.value < 6000
    never = _status(queued)
    assert never.status == "cancelled" and never.started_at is None and never.progress == 0


def test_cancel_of_a_finished_or_unknown_job_is_a_value_error(ctx):
    result = jobs.add_numbers(1, 2)
    with running_consumer():
        _reaches(result, "completed")
    with pytest.raises(ValueError, match="finished"):
        cancel_job(result)
    with pytest.raises(ValueError, match="unknown job"):
        cancel_job("no-such-job")
    assert _status(result).status == "completed"


def test_a_result_past_its_timeout_fails_the_attempt_and_is_retried(ctx):
    result = jobs.sleeps_past_its_timeout(0.5)
    with running_consumer():
        st = _reaches(result, "failed", timeout=20)
    assert st.attempts == 2  # retries=1: both attempts timed out


def test_cancel_over_http_owner_409_when_finished_404_for_others(
    app, subscriber, subscriber_client, other_client, admin_client
):
    with app.app_context():
        queued = jobs.count_until_stopped("http", owner_id=subscriber.id).id
        other = jobs.count_until_stopped("http2", owner_id=subscriber.id).id
    assert other_client.post(f"/api/jobs/{queued}/cancel").status_code == 404
    resp = subscriber_client.post(f"/api/jobs/{queued}/cancel")
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    resp = subscriber_client.post(f"/api/jobs/{queued}/cancel")
    assert resp.status_code == 409 and "finished" in resp.get_json()["error"]
    resp = admin_client.post(f"/api/jobs/{other}/cancel")
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert subscriber_client.post("/api/jobs/no-such-job/cancel").status_code == 404
