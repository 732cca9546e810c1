"""Cancel on the admin pages, live: what one admin page cancels, every other open page shows
without reloading (the job row's state and Cancel button, the operation's state and its Cancel
button)."""

from __future__ import annotations

import pytest

from tests.admin import actions
from tests.support.browser import ConsoleErrors, chromium, log_in
from webapp.extensions import db
from webapp.operations import cancel_operation, start_operation

pytestmark = pytest.mark.browser
WAIT = 15_000


def row(job_id: str) -> str:
    return f'#recent-jobs tr[data-job-id="{job_id}"]'


def test_a_job_cancelled_on_one_jobs_page_ends_cancelled_on_another(app, live_server, admin):
    from playwright.sync_api import expect

    with app.app_context():
        job_id = actions.admin_counting_job(3).id  # no consumer: it stays queued
    with chromium() as browser:
        watching, pressing = browser.new_page(), browser.new_page()  # one session, two pages
        errors = ConsoleErrors(watching)
        log_in(watching, live_server.url, admin)
        for page in (watching, pressing):
            page.goto(f"{live_server.url}/admin/jobs")
        watching.wait_for_selector('#admin-page[data-live-ready="1"]')
        watching.evaluate("window.beaconMarker = 'same page'")
        expect(watching.locator(f"{row(job_id)} .job-cancel button")).to_be_visible()

        pressing.locator(f"{row(job_id)} .job-cancel button").click()
        pressing.wait_for_load_state()

        expect(watching.locator(f'{row(job_id)} [data-state="cancelled"]')).to_be_visible(
            timeout=WAIT
        )
        expect(watching.locator(f"{row(job_id)} .job-cancel button")).to_have_count(0)
        assert watching.evaluate("window.beaconMarker") == "same page"
        assert errors.messages == []


def test_an_operation_cancelled_elsewhere_shows_cancelled_on_its_open_page(app, live_server, admin):
    from playwright.sync_api import expect

    with app.app_context():
        op_id = start_operation("a.later", {}, {"main": [actions.ok]}, delay=3600).id
        db.session.rollback()
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/operations/{op_id}")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        page.evaluate("window.beaconMarker = 'same page'")
        expect(page.locator("#cancel-operation")).to_be_visible()

        with app.app_context():
            cancel_operation(op_id)

        expect(page.locator('#operation-state [data-state="cancelled"]')).to_be_visible(
            timeout=WAIT
        )
        expect(page.locator("#cancel-operation")).to_have_count(0)
        assert page.evaluate("window.beaconMarker") == "same page"
        assert errors.messages == []
