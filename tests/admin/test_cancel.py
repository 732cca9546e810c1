"""Cancel from the admin pages: an operation (confirm page, then POST) and a job (POST)."""

from __future__ import annotations

from tests.admin import actions, factories
from webapp.extensions import db
from webapp.jobs import JobStatus
from webapp.operations import start_operation


def pending_operation(app) -> int:
    with app.app_context():
        op_id = start_operation("a.later", {}, {"main": [actions.ok]}, delay=3600).id
        db.session.rollback()
        return op_id


def test_the_confirm_page_explains_then_the_post_cancels_the_operation(app, admin_client):
    op_id = pending_operation(app)
    page = admin_client.get(f"/admin/operations/{op_id}")
    assert "cancel-operation" in page.get_data(as_text=True)
    confirm = admin_client.get(f"/admin/operations/{op_id}/cancel")
    assert confirm.status_code == 200 and "No further action runs" in confirm.get_data(as_text=True)
    resp = admin_client.post(f"/admin/operations/{op_id}/cancel", data={"confirm": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/admin/operations/{op_id}"
    assert factories.op_state(app, op_id) == "cancelled"
    again = admin_client.post(f"/admin/operations/{op_id}/cancel", data={"confirm": "yes"})
    assert again.status_code == 409 and "nothing to cancel" in again.get_data(as_text=True)
    retry = admin_client.post(f"/admin/operations/{op_id}/retry", data={"confirm": "yes"})
    assert retry.status_code == 409


def test_cancel_of_an_operation_needs_the_confirmation(app, admin_client):
    op_id = pending_operation(app)
    assert admin_client.post(f"/admin/operations/{op_id}/cancel").status_code == 400
    assert factories.op_state(app, op_id) == "pending"


def test_a_subscriber_cannot_cancel_from_the_admin_pages(app, subscriber_client):
    op_id = pending_operation(app)
    resp = subscriber_client.post(f"/admin/operations/{op_id}/cancel", data={"confirm": "yes"})
    assert resp.status_code == 403
    assert factories.op_state(app, op_id) == "pending"


def test_the_jobs_page_cancels_a_queued_job_and_refuses_a_finished_one(app, admin_client):
    with app.app_context():
        queued = actions.admin_counting_job(3).id
    page = admin_client.get("/admin/jobs").get_data(as_text=True)
    assert f"/admin/jobs/{queued}/cancel" in page
    resp = admin_client.post(f"/admin/jobs/{queued}/cancel")
    assert resp.status_code == 302
    with app.app_context():
        assert JobStatus.get(queued).status == "cancelled"
    assert admin_client.post(f"/admin/jobs/{queued}/cancel").status_code == 409
    assert admin_client.post("/admin/jobs/no-such-job/cancel").status_code == 404
    done = factories.completed_job(app)
    assert admin_client.post(f"/admin/jobs/{done}/cancel").status_code == 409
