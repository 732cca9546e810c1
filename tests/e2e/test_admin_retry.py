"""An admin opens a failed operation in Chromium, reads its stack trace, retries it, and
watches it complete without reloading the page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.admin import factories
from tests.support.browser import ConsoleErrors, chromium, log_in, screenshot
from tests.support.queue import running_consumer
from webapp.activity.health import PeriodicSubject
from webapp.database import utcnow

pytestmark = pytest.mark.browser


def test_admin_retries_a_failed_operation_and_sees_it_complete_live(
    app, backend, live_server, admin, tmp_path
):
    release = tmp_path / "release"
    op_id, allow = factories.failed_operation(
        app, tmp_path, "billing.charge", customer="c-42", release=str(release)
    )
    with chromium() as browser, running_consumer(workers=2):
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/operations/{op_id}")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        assert page.locator("#operation-state [data-state]").inner_text() == "failed"

        trace = page.locator("details.trace").first
        trace.locator("summary").click()
        assert trace.locator("pre").is_visible()
        assert "RuntimeError: card declined" in trace.locator("pre").inner_text()
        screenshot(page, f"admin-operation-failed-{backend.name}")

        allow.touch()  # the card goes through this time
        page.click("#retry-operation")
        page.click("#confirm-button")
        page.wait_for_url(f"{live_server.url}/admin/operations/{op_id}")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        page.evaluate("window.beaconMarker = 'same page'")
        page.wait_for_selector('#operation-state [data-state="running"]')

        release.touch()  # the action finishes now: the page must learn it by itself
        page.wait_for_selector('#operation-state [data-state="completed"]')
        assert page.evaluate("window.beaconMarker") == "same page"  # no reload happened
        assert page.locator('.action [data-state="failed"]').count() == 0
        screenshot(page, f"admin-operation-completed-{backend.name}")
        assert errors.messages == []


def test_health_page_screenshot(app, backend, live_server, admin):
    name = "operations.reaper"
    subject = PeriodicSubject(name)
    now = utcnow()
    # Oldest first, as they would have been recorded (health reads the newest by id).
    for days_ago in range(6, -1, -1):
        if days_ago in (1, 4):
            when = now - dt.timedelta(days=days_ago, hours=1)
            factories.activity(
                app,
                f"{name}.failed",
                False,
                "OperationalError: server closed",
                subject=subject,
                system=True,
                created_at=when,
            )
        for n in range(5 - days_ago % 3, -1, -1):
            when = now - dt.timedelta(days=days_ago, minutes=10 * n)
            factories.activity(
                app, f"{name}.completed", True, subject=subject, system=True, created_at=when
            )
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/health")
        assert page.locator(f'[id="task-{name}"] .state').inner_text() == "up"
        screenshot(page, f"admin-health-{backend.name}")
        assert errors.messages == []
