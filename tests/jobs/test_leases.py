"""Never stuck in ``working``: a job whose consumer died is interrupted by the lease reaper
(and queued again when it has retries left); a live or retry-waiting job is left alone."""

from __future__ import annotations

import datetime as dt
import signal

import pytest

from tests.jobs import sample_jobs as jobs
from tests.jobs.conftest import HEARTBEAT
from tests.support.queue import drain, running_consumer, wait_until
from webapp.database import utcnow
from webapp.jobs import JobStatus, Write, get_store, job_status_changed, reap

TIMEOUT = HEARTBEAT["BEACON_JOB_HEARTBEAT_TIMEOUT"]


def _consumer_env(backend) -> dict[str, str]:
    return {
        **backend.env(),
        "BEACON_EXTRA_TASK_MODULES": "tests.jobs.sample_jobs",
        "BEACON_JOB_HEARTBEAT": str(HEARTBEAT["BEACON_JOB_HEARTBEAT"]),
        "BEACON_JOB_HEARTBEAT_TIMEOUT": str(TIMEOUT),
    }


def _sleeping(result) -> JobStatus:
    return wait_until(
        lambda: (st := JobStatus.get(result)) and st.get_field("step") == "sleeping" and st,
        timeout=60,
        message="the job to run in the consumer process",
    )


def _killed_mid_job(processes, backend, tmp_path, job):
    consumer = processes.consumer(_consumer_env(backend), log=tmp_path / "consumer.log")
    result = job(30)
    assert _sleeping(result).is_working
    processes.kill(consumer, signal.SIGKILL)
    return result


@pytest.mark.slow
def test_consumer_killed_mid_job_leaves_it_interrupted_not_working(
    ctx, backend, processes, tmp_path
):
    result = _killed_mid_job(processes, backend, tmp_path, jobs.sleep_job)

    def reaped() -> JobStatus | None:
        reap()
        st = JobStatus.get(result)
        return st if st.is_finished else None

    st = wait_until(reaped, timeout=TIMEOUT * 10, message="the reaper to interrupt the job")
    assert st.status == "interrupted" and st.finished_at is not None


@pytest.mark.slow
def test_interrupted_job_with_retries_left_runs_again_on_a_live_consumer(
    ctx, backend, processes, tmp_path
):
    seen: list[str] = []

    def record(app, job, owner_id):
        if job["id"] == result.id:
            seen.append(job["status"])

    result = _killed_mid_job(processes, backend, tmp_path, jobs.sleep_job_with_retry)
    job_status_changed.connect(record, sender=ctx)
    try:
        with running_consumer():  # its lease monitor reaps, its workers run the retry
            st = wait_until(
                lambda: (s := JobStatus.get(result)) and s.is_completed and s,
                timeout=TIMEOUT * 10,
                message="the job to be interrupted, queued again and completed",
            )
    finally:
        job_status_changed.disconnect(record, sender=ctx)
    assert st.attempts == 2 and result.get() == 2
    assert seen[:2] == ["interrupted", "queued"] and seen[-1] == "completed"


def test_running_job_with_a_live_consumer_is_not_reaped_past_the_timeout(ctx):
    result = jobs.gated("alive")
    with running_consumer():
        st = wait_until(lambda: (s := JobStatus.get(result)) and s.is_working and s)
        wait_until(
            lambda: utcnow() - st.started_at > dt.timedelta(seconds=2 * TIMEOUT),
            message="twice the heartbeat timeout to pass",
        )
        assert reap() == 0 and JobStatus.get(result).is_working
        jobs.GATES["alive"].release()


def test_job_waiting_for_its_retry_holds_no_lease_and_is_not_reaped(ctx):
    result = jobs.retry_later()
    drain(include_scheduled=False)
    assert JobStatus.get(result).is_working
    assert reap(now=utcnow() + dt.timedelta(minutes=5)) == 0
    assert JobStatus.get(result).is_working


def test_a_stale_job_is_interrupted_by_one_reaper_only(ctx, job_store):
    store = get_store()
    then = utcnow() - dt.timedelta(seconds=10)
    store.write("stale", Write(now=then, expires_in=60, values={"status": "working"}, lease="take"))
    before = utcnow() - dt.timedelta(seconds=TIMEOUT)
    assert store.stale(before) == ["stale"]
    assert store.interrupt("stale", before, utcnow()) is not None
    assert store.interrupt("stale", before, utcnow()) is None
    assert JobStatus.get("stale").is_interrupted and store.stale(before) == []
