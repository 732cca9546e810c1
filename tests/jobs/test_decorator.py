"""tracked_task: the owner, includes, Huey's own options, activities and the change signal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.jobs import sample_jobs as jobs
from tests.support.queue import drain, running_consumer, wait_until
from webapp.activity import Activity
from webapp.extensions import db
from webapp.jobs import JobStatus, job_status_changed, tracked_task


def _activities(key_prefix: str) -> list[Activity]:
    db.session.rollback()
    query = select(Activity).where(Activity.key.startswith(key_prefix)).order_by(Activity.id)
    return list(db.session.scalars(query))


def test_owner_id_keyword_is_stored_and_not_passed_to_the_function(ctx, subscriber):
    result = jobs.add_numbers(1, 2, owner_id=subscriber.id)
    assert JobStatus.get(result).owner_id == subscriber.id
    drain()
    assert result.get() == 3


def test_owner_defaults_to_the_logged_in_user_of_the_request(app, subscriber):
    @app.post("/_test/start-job")
    def start_job():
        return {"id": jobs.add_numbers(1, 1).id}

    client = login(app.test_client(), subscriber)
    job_id = client.post("/_test/start-job").get_json()["id"]
    with app.app_context():
        assert JobStatus.get(job_id).owner_id == subscriber.id


def test_job_enqueued_outside_a_request_has_no_owner(ctx):
    assert JobStatus.get(jobs.add_numbers(1, 1)).owner_id is None


def test_invalid_owner_id_is_refused_before_anything_is_queued(ctx):
    with pytest.raises(ValueError, match="owner_id must be an integer, got 'bob'"):
        jobs.add_numbers(1, 1, owner_id="bob")
    assert drain() == 0


def test_serialized_job_holds_task_args_and_kwargs_without_reserved_keywords(ctx):
    result = jobs.explode("boom", owner_id=None)
    assert JobStatus.get(result)["serialized_job"] == {
        "task": "explode",
        "args": ["boom"],
        "kwargs": {},
    }


def test_includes_can_be_overridden_per_call(ctx):
    result = jobs.explode_quietly("visible", includes=("exception",))
    drain()
    assert JobStatus.get(result)["exception"] == {"class": "ValueError", "message": "visible"}


def test_unknown_include_is_refused(ctx):
    with pytest.raises(ValueError, match="unknown include 'everything'"):
        jobs.add_numbers(1, 1, includes=("everything",))


def test_function_without_a_status_keyword_is_refused():
    with pytest.raises(TypeError, match="must accept a 'status' keyword"):

        @tracked_task()
        def no_status(x):
            return x


def test_function_with_a_reserved_parameter_is_refused():
    with pytest.raises(ValueError, match="'owner_id'"):

        @tracked_task()
        def takes_owner(owner_id, *, status):
            return owner_id


def test_context_option_still_passes_the_huey_task(ctx):
    result = jobs.with_context()
    drain()
    assert result.get() == result.id


def test_priority_names_are_honoured_by_the_consumer(ctx):
    jobs.SEEN.clear()
    jobs.low_job("low")
    jobs.high_job("high")
    with running_consumer(workers=1):
        wait_until(lambda: len(jobs.SEEN) == 2, message="both jobs")
    assert [seen["label"] for seen in jobs.SEEN] == ["high", "low"]


def test_completed_job_records_an_activity_for_its_owner(ctx, subscriber):
    result = jobs.add_numbers(1, 1, owner_id=subscriber.id)
    drain()
    [activity] = _activities("job.add_numbers.")
    assert activity.key == "job.add_numbers.completed" and activity.value is True
    assert activity.user_id == subscriber.id
    assert (activity.subject_type, activity.subject_id) == ("job", result.id)


def test_failed_job_records_a_failed_activity_with_the_error(ctx, subscriber):
    jobs.explode("no space left", owner_id=subscriber.id)
    drain()
    [activity] = _activities("job.explode.")
    assert activity.key == "job.explode.failed" and activity.value is False
    assert "ValueError: no space left" in activity.message


def test_progress_updates_record_no_activity(ctx):
    jobs.count_to(20)
    drain()
    assert [a.key for a in _activities("job.count_to.")] == ["job.count_to.completed"]


def test_every_stored_change_is_announced_with_the_job_and_its_owner(ctx, subscriber):
    seen = []

    def receiver(app, job, owner_id):
        seen.append((job["status"], job["step"] if "step" in job else None, owner_id))

    job_status_changed.connect(receiver, sender=ctx)
    try:
        result = jobs.gated("signal", owner_id=subscriber.id)
        jobs.GATES["signal"].release()
        drain()
    finally:
        job_status_changed.disconnect(receiver, sender=ctx)
    assert result.get() == "signal"
    assert seen == [
        ("queued", None, subscriber.id),
        ("working", None, subscriber.id),
        ("working", "waiting", subscriber.id),
        ("working", "done", subscriber.id),
        ("completed", "done", subscriber.id),
    ]
