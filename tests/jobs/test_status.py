"""JobStatus on each store: progress, fields, throttling, validation, its dict and JSON."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.jobs import sample_jobs as jobs
from tests.support.queue import running_consumer, wait_until
from webapp.database import utcnow
from webapp.jobs import JobStatus, get_store


def stored(job_id: str) -> dict:
    return get_store().read(job_id)


def test_progress_ratio_is_progress_over_total(ctx, job_store):
    st = JobStatus("ratio")
    st.progress.total = 200
    st.progress.increment(50)
    assert JobStatus.get("ratio").progress == 0.25


def test_progress_ratio_is_zero_without_a_total(ctx, job_store):
    st = JobStatus("no-total")
    st.progress.increment(5)
    assert JobStatus.get("no-total").progress == 0.0 and st.total is None


def test_progress_ratio_is_zero_when_total_is_zero(ctx, job_store):
    st = JobStatus("zero-total")
    st.update(total=0, progress=3, force=True)
    assert JobStatus.get("zero-total").progress == 0.0


def test_finish_sets_progress_to_total(ctx, job_store):
    st = JobStatus("finish")
    st.progress.total = 40
    st.progress.increment(3)
    st.progress.finish()
    got = JobStatus.get("finish")
    assert got.progress == 1.0 and got["progress"] == 40


def test_decrement_and_value_assignment_move_the_count(ctx, job_store):
    st = JobStatus("moves")
    st.progress.value = 10
    st.progress.decrement(4)
    assert JobStatus.get("moves")["progress"] == 6


def test_update_sets_fields_total_and_progress_in_one_write(ctx, job_store):
    st = JobStatus("update")
    st.update(step="C", total=50, progress=0, force=True)
    got = JobStatus.get("update").to_dict()
    assert (got["step"], got["total"], got["progress"]) == ("C", 50, 0)


def test_item_assignment_is_stored_at_once(ctx, job_store):
    JobStatus("item")["path"] = "contacts.csv"
    assert JobStatus.get("item")["path"] == "contacts.csv"


def test_throttled_writes_are_coalesced_not_dropped(ctx, job_store):
    st = JobStatus("throttled", throttle_interval=10)
    st.update(step="A")  # the first write is stored: nothing was written recently
    for _ in range(25):
        st.progress.increment()
    st.update(step="B")
    assert stored("throttled")["progress"] == 0 and stored("throttled")["fields"]["step"] == "A"
    st.flush()
    assert stored("throttled")["progress"] == 25 and stored("throttled")["fields"]["step"] == "B"


def test_forced_update_stores_pending_throttled_changes_with_it(ctx, job_store):
    st = JobStatus("forced", throttle_interval=10)
    st.update(step="A")
    st.progress.increment(7)
    st.update({"path": "x.csv"}, force=True)
    assert stored("forced")["progress"] == 7 and stored("forced")["fields"]["path"] == "x.csv"


def test_throttled_job_stores_all_100_increments_when_it_completes(ctx, job_store):
    jobs.SEEN.clear()
    result = jobs.count_to(100)
    with running_consumer():
        st = wait_until(
            lambda: (s := JobStatus.get(result)) and s.is_completed and s, message="completion"
        )
    assert jobs.SEEN == [{"stored_before_end": 0}]
    assert st["progress"] == 100 and st.progress == 1.0


def test_to_dict_holds_status_counts_times_and_custom_fields(ctx, job_store):
    st = JobStatus("shape")
    st.update(status="working", total=10, progress=4, step="B", force=True)
    data = JobStatus.get("shape").to_dict()
    assert data["status"] == "working" and data["progress"] == 4 and data["total"] == 10
    assert data["step"] == "B" and data["id"] == "shape"
    assert dt.datetime.fromisoformat(data["enqueued_at"]).tzinfo is not None
    assert json.loads(JobStatus.get("shape").to_json()) == data


def test_estimated_finish_comes_from_the_observed_rate_while_working(ctx, job_store):
    st = JobStatus("eta")
    st.update(status="working", total=100, progress=0, force=True)
    st.progress.increment(50)
    got = JobStatus.get("eta")
    assert got.estimated_finish_at is not None and got.estimated_finish_at >= utcnow()
    got.update(status="completed", force=True)
    assert JobStatus.get("eta").estimated_finish_at is None


def test_unknown_job_reads_as_none(ctx, job_store):
    assert JobStatus.get("never-enqueued") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "done"}, "unknown job status 'done'"),
        ({"total": -1}, "total must be at least 0"),
        ({"progress": "7"}, "progress must be an integer"),
        ({"exception": "mine"}, "'exception' is written by Beacon"),
        ({"blob": object()}, "'blob': value"),
        ({"": 1}, "invalid status field name ''"),
    ],
)
def test_bad_update_raises_value_error_and_writes_nothing(ctx, job_store, change, message):
    st = JobStatus("bad")
    st["step"] = "kept"
    with pytest.raises(ValueError, match=message):
        st.update(change, force=True)
    assert stored("bad")["fields"] == {"step": "kept"} and stored("bad")["status"] is None


def test_bad_increment_is_refused(ctx, job_store):
    with pytest.raises(ValueError, match="increment must be an integer"):
        JobStatus("bad-inc").progress.increment(1.5)
    assert stored("bad-inc") is None


def test_invalid_job_id_is_refused(ctx, job_store):
    with pytest.raises(ValueError, match="invalid job id"):
        JobStatus.get("x" * 65)
