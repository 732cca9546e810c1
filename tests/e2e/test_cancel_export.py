"""A subscriber presses Cancel on their running export in Chromium and sees it end cancelled,
there and on another page of theirs left open."""

from __future__ import annotations

import pytest

from tests.demo.conftest import demo_settings
from tests.e2e.test_tour import demo  # noqa: F401  (fixture)
from tests.support.browser import ConsoleErrors, chromium, log_in
from tests.support.queue import running_consumer, wait_until
from webapp.jobs import JobStatus

pytestmark = pytest.mark.browser
WAIT = 15_000


@pytest.fixture
def app_settings(tmp_path) -> dict:
    return demo_settings(tmp_path, export_pause=3.0)  # a batch, then a long pause


def test_cancel_on_a_running_export_ends_it_cancelled(app, live_server, demo):  # noqa: F811
    from playwright.sync_api import expect

    with chromium() as browser:
        tab = browser.new_page()
        errors = ConsoleErrors(tab)
        log_in(tab, live_server.url, demo["alice"])
        tab.goto(f"{live_server.url}/demo/accounts")
        tab.click("#export-button")
        tab.wait_for_url("**/demo/accounts#exports")
        row = tab.locator("[data-export-id]").first
        job_id = row.get_attribute("data-export-id")
        other = browser.new_page()
        other.goto(f"{live_server.url}/demo/accounts")
        other_row = other.locator(f'[data-export-id="{job_id}"]')
        expect(other_row.locator("[data-export-cancel]")).to_be_visible()
        with running_consumer(workers=1):
            with app.app_context():
                wait_until(
                    lambda: (st := JobStatus.get(job_id)) is not None and st.progress.value > 0,
                    message="the export to write its first batch",
                )
            row.locator("[data-export-cancel]").click()
            expect(row.locator("[data-export-state]")).to_have_text("cancelled", timeout=WAIT)
            expect(row.locator("[data-export-cancel]")).to_be_hidden()
            expect(row.locator("[data-export-download]")).to_be_hidden()
            expect(other_row.locator("[data-export-state]")).to_have_text("cancelled", timeout=WAIT)
            expect(other_row.locator("[data-export-cancel]")).to_be_hidden()
        with app.app_context():
            assert JobStatus.get(job_id).status == "cancelled"
        assert errors.messages == []
