"""A bulk retry from the operations list, in Chromium: 50 failed operations retried by one
tracked job whose progress bar the jobs page shows live, ending with 50 retried."""

from __future__ import annotations

import pytest

from tests.admin import actions
from tests.support.browser import ConsoleErrors, chromium, log_in, screenshot
from tests.support.queue import drain, running_consumer
from webapp.extensions import db
from webapp.operations import start_operation

pytestmark = pytest.mark.browser
WAIT = 30_000
COUNT = 50


def test_a_bulk_retry_of_50_failed_operations_shows_its_progress_and_ends_with_50_retried(
    app, backend, live_server, admin, tmp_path
):
    from playwright.sync_api import expect

    allow = tmp_path / "allow"
    with app.app_context():
        for i in range(COUNT):
            start_operation(
                "billing.charge",
                {"allow": str(allow), "n": i},
                {"main": [actions.ok, actions.fails_until_allowed]},
                retries=0,
            )
        db.session.rollback()
        drain()
    allow.touch()  # each one succeeds when retried

    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/operations?state=failed")
        page.click("#bulk-retry")
        expect(page.locator("h1")).to_have_text(f"Retry failed: {COUNT} operations?")
        page.click("#confirm-button")
        page.wait_for_url("**/admin/jobs?task=beacon.bulk")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        page.evaluate("window.beaconMarker = 'same page'")
        row = page.locator("#recent-jobs tr[data-job-id]")
        expect(row).to_have_count(1)
        expect(row.locator("progress")).to_be_visible()  # queued: no consumer yet
        expect(row.locator('[data-state="queued"]')).to_be_visible()

        with app.app_context(), running_consumer(workers=2):
            done = page.locator('#recent-jobs tr[data-job-id] [data-state="completed"]')
            expect(done).to_be_visible(timeout=WAIT)
            row = page.locator("#recent-jobs tr[data-job-id]")
            expect(row.locator(".progress-text")).to_have_text(f"{COUNT} / {COUNT}")
            expect(row).to_contain_text(f'"retried": {COUNT}')
            screenshot(page, f"admin-bulk-retry-{backend.name}")
        assert page.evaluate("window.beaconMarker") == "same page"
        page.goto(f"{live_server.url}/admin/operations?state=failed")
        expect(page.locator("#bulk-retry")).to_have_text("Retry failed (0)")
        assert errors.messages == []
