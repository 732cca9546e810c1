"""The events and jobs pages: failed events with their error and a retry; job progress."""

from __future__ import annotations

import pytest

from tests.admin import factories
from tests.support.queue import drain
from webapp.events import get_event


def event_status(app, event_id: int) -> str:
    with app.app_context():
        return get_event(event_id).status


def test_failed_event_shows_its_error_trace_and_retry(app, admin_client):
    event_id = factories.failed_event(app)
    page = admin_client.get("/admin/events?status=failed").get_data(as_text=True)
    assert f'id="event-{event_id}"' in page
    assert "admin broken event on purpose" in page and "Traceback" in page
    assert f"/admin/events/{event_id}/retry" in page


def test_events_filter_by_status_and_priority(app, admin_client):
    failed = factories.failed_event(app)
    done = factories.done_event(app)
    page = admin_client.get("/admin/events?status=done&priority=medium").get_data(as_text=True)
    assert f'id="event-{done}"' in page and f'id="event-{failed}"' not in page


def test_retry_queues_a_failed_event_again(app, admin_client):
    event_id = factories.failed_event(app)
    resp = admin_client.post(f"/admin/events/{event_id}/retry", data={"confirm": "yes"})
    assert resp.status_code == 302
    assert event_status(app, event_id) == "queued"
    with app.app_context():
        drain()
    assert event_status(app, event_id) == "failed"  # it fails again, as it always does


def test_event_retry_is_refused_with_409_unless_failed(app, admin_client):
    event_id = factories.done_event(app)
    resp = admin_client.post(f"/admin/events/{event_id}/retry", data={"confirm": "yes"})
    assert resp.status_code == 409 and "only failed events" in resp.get_data(as_text=True)
    assert event_status(app, event_id) == "done"


@pytest.mark.backends("sqlite")
@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/admin/events?status=lost", "unknown status"),
        ("/admin/events?priority=urgent", "unknown priority"),
        ("/admin/jobs?status=sleeping", "unknown status"),
        ("/admin/events?before=x", "before must be a whole number"),
    ],
)
def test_bad_filters_answer_400(admin_client, url, message):
    resp = admin_client.get(url)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_jobs_page_shows_progress_of_tracked_jobs(app, admin_client):
    job_id = factories.completed_job(app, count=3)
    page = admin_client.get("/admin/jobs?status=completed").get_data(as_text=True)
    assert f'data-job-id="{job_id}"' in page
    assert '<progress max="3" value="3">' in page


def test_jobs_filter_by_task(app, admin_client):
    job_id = factories.completed_job(app)
    assert f'data-job-id="{job_id}"' not in admin_client.get(
        "/admin/jobs?task=no.such:task"
    ).get_data(as_text=True)
