"""An admin watches an operation's timeline in Chromium: the attempts of an action that fails
twice and then succeeds appear without a reload, each with its outcome; then the admin re-runs
the operation from its last step with edited globals, and the new attempt joins them."""

from __future__ import annotations

import json

import pytest

from tests.admin import actions, factories
from tests.operations import actions as op_actions
from tests.support.browser import ConsoleErrors, chromium, log_in, screenshot
from tests.support.queue import running_consumer
from webapp.extensions import db
from webapp.operations import start_operation

pytestmark = pytest.mark.browser
WAIT = 20_000
#: How far apart the tops of the diagram and the timeline are, read in one go (a live refresh
#: may swap the page's region between two separate reads).
BESIDE = """() => {
  const top = (selector) => document.querySelector(selector).getBoundingClientRect().top;
  return Math.abs(top("figure.diagram") - top("#timeline"));
}"""


def test_timeline_shows_the_attempts_of_a_retried_action_live(
    app, backend, live_server, admin, tmp_path
):
    from playwright.sync_api import expect

    log = tmp_path / "calls.log"
    with app.app_context():
        op_id = start_operation(
            "billing.timeline",
            {"log": str(log), "fail_times": 2, "plan": "red"},
            {"main": [actions.ok, op_actions.fail_until, actions.finish]},
            retries=2,
            retry_delay=0,
        ).id
        db.session.rollback()
    ids = factories.action_ids(app, op_id)
    failing, last = ids["main/fail_until"], ids["main/finish"]
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/operations/{op_id}")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        expect(page.locator("#no-attempts")).to_be_visible()
        page.evaluate("window.beaconMarker = 'same page'")

        with running_consumer(workers=2):  # the operation runs now: the page must learn it
            expect(page.locator('#operation-state [data-state="completed"]')).to_be_visible(
                timeout=WAIT
            )
            expect(page.locator("#timeline rect.attempt")).to_have_count(5, timeout=WAIT)
        assert page.evaluate("window.beaconMarker") == "same page"  # no reload happened
        bars = page.locator(f'#timeline rect.attempt[data-action-id="{failing}"]')
        outcomes = [bars.nth(i).get_attribute("data-outcome") for i in range(bars.count())]
        assert outcomes == ["failed", "failed", "completed"]
        rows = page.locator(f'#attempts tr.attempt-row[data-action-id="{failing}"]')
        expect(rows.nth(0)).to_contain_text("RuntimeError: planned failure 1")
        expect(rows.nth(2)).to_contain_text("completed")
        assert page.evaluate(BESIDE) < 2  # the timeline sits beside the diagram
        screenshot(page, f"admin-operation-timeline-{backend.name}")

        page.click(f"#action-{last} a.rerun-from")
        field = page.locator("#globals-field")
        globals_ = json.loads(field.input_value())
        field.fill(json.dumps({**globals_, "plan": "blue"}))
        screenshot(page, f"admin-operation-rerun-form-{backend.name}")
        with running_consumer(workers=2):
            page.click("#confirm-button")
            page.wait_for_url(f"{live_server.url}/admin/operations/{op_id}")
            expect(page.locator("#timeline rect.attempt")).to_have_count(6, timeout=WAIT)
            expect(page.locator('#operation-state [data-state="completed"]')).to_be_visible(
                timeout=WAIT
            )
        expect(page.locator(f'#timeline rect.attempt[data-action-id="{last}"]')).to_have_count(2)
        expect(page.locator(f'#timeline rect.attempt[data-action-id="{failing}"]')).to_have_count(3)
        expect(page.locator("pre.globals")).to_contain_text('"plan": "blue"')
        screenshot(page, f"admin-operation-rerun-{backend.name}")
        assert errors.messages == []
