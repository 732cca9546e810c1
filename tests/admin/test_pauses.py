"""Pause and resume from the admin pages: a periodic task on the health page, a priority on
the events page. Admins get the buttons (POST with CSRF), viewers see the state only."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.admin import factories
from tests.admin.test_health import task_row
from tests.conftest import csrf_token
from webapp.activity.health import PeriodicSubject
from webapp.database import utcnow
from webapp.events import EventPause
from webapp.extensions import db
from webapp.periodic import PeriodicPause

TASK = "operations.reaper"


def priority_item(page: str, priority: str) -> str:
    match = re.search(rf'<li id="priority-{priority}".*?</li>', page, re.S)
    assert match, f"no item for {priority}"
    return match.group(0)


def test_an_admin_pauses_and_resumes_a_periodic_task_from_the_health_page(app, admin_client):
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), TASK)
    assert f'action="/admin/health/{TASK}/pause"' in row

    resp = admin_client.post(f"/admin/health/{TASK}/pause")
    assert resp.status_code == 302
    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    row = task_row(page, TASK)
    assert 'data-state="paused"' in row and "admin@example.com" in row
    assert f'action="/admin/health/{TASK}/resume"' in row
    with app.app_context():
        assert db.session.get(PeriodicPause, TASK).paused

    assert admin_client.post(f"/admin/health/{TASK}/resume").status_code == 302
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), TASK)
    assert 'data-state="paused"' not in row and f"/admin/health/{TASK}/pause" in row


def test_a_paused_overdue_task_shows_paused_not_down(app, admin_client):
    subject = PeriodicSubject(TASK)
    long_ago = utcnow() - dt.timedelta(hours=5)
    factories.activity(
        app, f"{TASK}.completed", True, subject=subject, system=True, created_at=long_ago
    )
    assert 'data-state="down"' in task_row(
        admin_client.get("/admin/health").get_data(as_text=True), TASK
    )
    admin_client.post(f"/admin/health/{TASK}/pause")
    row = task_row(admin_client.get("/admin/health").get_data(as_text=True), TASK)
    assert 'data-state="paused"' in row and 'data-state="down"' not in row
    overview = admin_client.get("/admin/").get_data(as_text=True)
    assert f"<code>{TASK}</code>" not in overview  # not listed as unhealthy


def test_an_admin_pauses_and_resumes_a_priority_from_the_events_page(app, admin_client):
    item = priority_item(admin_client.get("/admin/events").get_data(as_text=True), "low")
    assert 'data-state="running"' in item and 'action="/admin/events/priorities/low/pause"' in item

    resp = admin_client.post("/admin/events/priorities/low/pause")
    assert resp.status_code == 302
    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    item = priority_item(page, "low")
    assert 'data-state="paused"' in item and "admin@example.com" in item
    assert 'action="/admin/events/priorities/low/resume"' in item
    assert 'data-state="running"' in priority_item(page, "high")

    resp = admin_client.post("/admin/events/priorities/low/resume")
    assert resp.status_code == 302
    assert "0 waiting handed to the consumers" in admin_client.get(
        resp.headers["Location"]
    ).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(EventPause)).all() == []


def test_a_viewer_sees_what_is_paused_but_no_buttons(app, admin_client, viewer_client):
    admin_client.post(f"/admin/health/{TASK}/pause")
    admin_client.post("/admin/events/priorities/low/pause")
    health = viewer_client.get("/admin/health").get_data(as_text=True)
    assert 'data-state="paused"' in task_row(health, TASK)
    assert 'class="pause-form"' not in health
    events = viewer_client.get("/admin/events").get_data(as_text=True)
    assert 'data-state="paused"' in priority_item(events, "low")
    assert 'class="pause-form"' not in events


def test_an_unknown_task_or_priority_is_a_404_naming_it(app, admin_client):
    for url in (
        "/admin/health/no.such_task/pause",
        "/admin/health/no.such_task/resume",
    ):
        resp = admin_client.post(url)
        assert resp.status_code == 404 and "unknown periodic task" in resp.get_data(as_text=True)
    for url in ("/admin/events/priorities/urgent/pause", "/admin/events/priorities/x/resume"):
        resp = admin_client.post(url)
        assert resp.status_code == 404 and "invalid event priority" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(PeriodicPause)).all() == []
        assert db.session.scalars(select(EventPause)).all() == []


def test_a_pause_without_the_csrf_token_is_refused(app, admin_client):
    del admin_client.environ_base["HTTP_X_CSRFTOKEN"]
    assert admin_client.post(f"/admin/health/{TASK}/pause").status_code == 400
    assert admin_client.post("/admin/events/priorities/low/pause").status_code == 400
    admin_client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token(admin_client, "/admin/")
    with app.app_context():
        assert db.session.scalars(select(PeriodicPause)).all() == []
