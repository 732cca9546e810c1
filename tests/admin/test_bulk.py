"""Bulk actions on the operations list: the confirm page counts what the filter matches, the
POST starts one tracked job that retries (or cancels) each one, and both are recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.admin import factories
from tests.conftest import csrf_token
from tests.support.queue import drain
from webapp.activity import Activity
from webapp.events import get_event
from webapp.extensions import db, huey
from webapp.jobs import JobStatus
from webapp.operations import Action, Operation, delete_operation


def _failed(app, tmp_path, n: int, name: str = "billing.charge") -> list[int]:
    ops = [factories.failed_operation(app, tmp_path, name=f"{name}{i}") for i in range(n)]
    for _op_id, allow in ops:
        allow.touch()  # a retry succeeds
    return [op_id for op_id, _ in ops]


def _activities(app, key: str) -> list[Activity]:
    """The activities of this key, or of every key under it when it ends in a dot."""
    match = Activity.key.startswith(key) if key.endswith(".") else Activity.key == key
    with app.app_context():
        return list(db.session.scalars(select(Activity).where(match)))


def test_the_confirm_page_counts_the_failed_operations_the_filter_matches(
    app, admin_client, tmp_path
):
    _failed(app, tmp_path, 3, "billing.charge")
    _failed(app, tmp_path, 1, "mail.send")
    page = admin_client.get("/admin/bulk/operations/retry?name=billing.")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Retry failed: 3 operations?" in text and "<code>name=billing.</code>" in text
    listed = admin_client.get("/admin/operations?name=billing.").get_data(as_text=True)
    assert "Retry failed (3)" in listed
    assert "/admin/bulk/operations/retry?name=billing." in listed


def test_a_bulk_retry_runs_as_a_tracked_job_and_retries_each_failed_operation(
    app, admin, admin_client, tmp_path
):
    op_ids = _failed(app, tmp_path, 4)
    token = csrf_token(admin_client, "/admin/bulk/operations/retry")
    resp = admin_client.post(
        "/admin/bulk/operations/retry?state=failed",
        data={"csrf_token": token, "confirm": "yes"},
    )
    assert resp.status_code == 302 and resp.location.endswith("/admin/jobs?task=beacon.bulk")
    with app.app_context():
        drain()
        (job,) = JobStatus.recent(task="beacon.bulk")
        assert job.status == "completed" and (job.progress.value, job.total) == (4, 4)
        assert (job.get_field("retried"), job.get_field("skipped")) == (4, 0)
        assert job.owner_id == admin.id
        states = {factories.op_state(app, op_id) for op_id in op_ids}
    assert states == {"completed"}
    (audit,) = _activities(app, "admin.bulk")
    assert audit.value == {
        "by_user_id": admin.id,
        "kind": "operations",
        "verb": "retry",
        "args": {"state": "failed"},
    }
    (outcome,) = _activities(app, "admin.bulk_retry")
    assert outcome.value["retried"] == 4 and outcome.value["by_user_id"] == admin.id
    assert outcome.private and outcome.system


def test_a_bulk_cancel_cancels_every_unfinished_operation_and_leaves_the_rest(
    app, admin_client, tmp_path
):
    (failed,) = _failed(app, tmp_path, 1)
    done = factories.operation(app, "done.op", {"main": [factories.actions.ok]})
    token = csrf_token(admin_client, "/admin/bulk/operations/cancel")
    resp = admin_client.post(
        "/admin/bulk/operations/cancel", data={"csrf_token": token, "confirm": "yes"}
    )
    assert resp.status_code == 302
    with app.app_context():
        drain()
    assert factories.op_state(app, failed) == "cancelled"
    assert factories.op_state(app, done) == "completed"


def test_a_bulk_action_that_matches_nothing_or_names_no_verb_is_refused(
    app, admin_client, tmp_path
):
    token = csrf_token(admin_client, "/admin/bulk/operations/retry")
    nothing = admin_client.post(
        "/admin/bulk/operations/retry", data={"csrf_token": token, "confirm": "yes"}
    )
    assert nothing.status_code == 409
    assert admin_client.get("/admin/bulk/operations/explode").status_code == 404
    assert admin_client.get("/admin/bulk/jobs/delete").status_code == 404
    assert admin_client.get("/admin/bulk/operations/retry?state=bogus").status_code == 400
    unconfirmed = admin_client.post("/admin/bulk/operations/retry", data={"csrf_token": token})
    assert unconfirmed.status_code == 400
    assert _activities(app, "admin.") == []  # refused writes are not audited
    with app.app_context():
        assert JobStatus.recent(task="beacon.bulk") == []


def test_a_bulk_delete_deletes_finished_operations_with_their_actions_and_keeps_the_log(
    app, admin_client, tmp_path
):
    (failed,) = _failed(app, tmp_path, 1)
    done = factories.operation(app, "done.op", {"main": [factories.actions.ok]})
    running = factories.operation(app, "later.op", {"main": [factories.actions.ok]}, delay=3600)
    token = csrf_token(admin_client, "/admin/bulk/operations/delete")
    page = admin_client.get("/admin/bulk/operations/delete").get_data(as_text=True)
    assert "Delete finished: 2 operations?" in page
    resp = admin_client.post(
        "/admin/bulk/operations/delete", data={"csrf_token": token, "confirm": "yes"}
    )
    assert resp.status_code == 302
    with app.app_context():
        drain()
        left = set(db.session.scalars(select(Operation.id)))
        actions = set(db.session.scalars(select(Action.operation_id)))
    assert left == actions == {running}
    assert _activities(app, "operation.started")  # the log keeps what happened
    (outcome,) = _activities(app, "admin.bulk_delete")
    assert outcome.value["deleted"] == 2 and failed and done


def test_delete_operation_refuses_an_unfinished_or_unknown_one(app):
    op_id = factories.operation(app, "later.op", {"main": [factories.actions.ok]}, delay=3600)
    with app.app_context():
        with pytest.raises(ValueError, match="has not finished"):
            delete_operation(op_id)
        with pytest.raises(ValueError, match="unknown"):
            delete_operation(op_id + 100)
        assert db.session.get(Operation, op_id) is not None


def test_a_bulk_retry_of_events_retries_the_failed_ones_the_filter_matches(app, admin_client):
    failed = [factories.failed_event(app) for _ in range(2)]
    done = factories.done_event(app)
    page = admin_client.get("/admin/bulk/events/retry?status=failed").get_data(as_text=True)
    assert "Retry failed: 2 events?" in page
    token = csrf_token(admin_client, "/admin/events")
    resp = admin_client.post(
        "/admin/bulk/events/retry", data={"csrf_token": token, "confirm": "yes"}
    )
    assert resp.status_code == 302
    with app.app_context():
        huey_run_only_the_bulk_job()
        statuses = {i: get_event(i).status for i in [*failed, done]}
    assert statuses == {failed[0]: "queued", failed[1]: "queued", done: "done"}


def test_a_bulk_delete_of_events_deletes_the_finished_ones(app, admin_client):
    failed, done = factories.failed_event(app), factories.done_event(app)
    token = csrf_token(admin_client, "/admin/events")
    resp = admin_client.post(
        "/admin/bulk/events/delete?name=admin_quiet", data={"csrf_token": token, "confirm": "yes"}
    )
    assert resp.status_code == 302
    with app.app_context():
        drain()
        assert get_event(done) is None and get_event(failed) is not None


def test_a_bulk_cancel_of_jobs_cancels_the_queued_ones_of_the_task(app, admin_client):
    queued = [factories.queued_job(app) for _ in range(3)]
    token = csrf_token(admin_client, "/admin/jobs")
    page = admin_client.get("/admin/bulk/jobs/cancel?status=queued").get_data(as_text=True)
    assert "Cancel unfinished: 3 jobs?" in page
    resp = admin_client.post(
        "/admin/bulk/jobs/cancel?status=queued", data={"csrf_token": token, "confirm": "yes"}
    )
    assert resp.status_code == 302
    with app.app_context():
        drain()
        assert {JobStatus.get(i).status for i in queued} == {"cancelled"}
        (job,) = JobStatus.recent(task="beacon.bulk")
        assert job.get_field("cancelled") == 3


def huey_run_only_the_bulk_job() -> None:
    """Run the queued bulk job alone (what it queues again stays queued)."""
    task = huey.dequeue()
    assert task is not None and task.name == "beacon.bulk"
    huey.execute(task)
