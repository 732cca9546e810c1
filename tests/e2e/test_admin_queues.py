"""The queues page, live: the queue's depth rises and falls as tasks are enqueued and
drained; a second consumer process appears and, killed, shows as gone."""

from __future__ import annotations

import signal

import pytest

from tests.consumers.test_consumers import noop
from tests.support.browser import ConsoleErrors, chromium, log_in, screenshot
from tests.support.queue import running_consumer
from webapp.extensions import huey

pytestmark = pytest.mark.browser
WAIT = 15_000


@pytest.fixture
def app_settings() -> dict:
    return {"BEACON_CONSUMER_HEARTBEAT": 0.2, "BEACON_CONSUMER_GONE_AFTER": 1.5}


def test_the_queue_depth_rises_as_tasks_are_enqueued_and_falls_as_they_drain(
    app, live_server, admin
):
    from playwright.sync_api import expect

    with app.app_context():
        huey.flush()
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/queues")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        page.evaluate("window.beaconMarker = 'same page'")
        expect(page.locator("#queue-pending")).to_have_text("0")

        with app.app_context():
            for priority in (30, 30, 20, 10, 10, 10):
                huey.enqueue(noop.s(priority=priority))
        expect(page.locator("#queue-pending")).to_have_text("6", timeout=WAIT)
        expect(page.locator('tr[data-priority="low"] [data-count]')).to_have_text("3")
        screenshot(page, "admin-queues-deep")

        with app.app_context(), running_consumer(workers=2):
            expect(page.locator("#queue-pending")).to_have_text("0", timeout=WAIT)
        assert page.evaluate("window.beaconMarker") == "same page"  # never reloaded
        assert errors.messages == []


def test_a_second_consumer_appears_and_shows_as_gone_once_killed(
    app, backend, live_server, admin, processes, tmp_path
):
    from playwright.sync_api import expect

    env = {**backend.env(), "BEACON_CONSUMER_HEARTBEAT": "0.2"}
    with app.app_context(), running_consumer(workers=1), chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/queues")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        alive = page.locator('#consumers tr[data-state="alive"]')
        expect(alive).to_have_count(1, timeout=WAIT)

        second = processes.consumer(env, workers=3, log=tmp_path / "consumer.log")
        theirs = page.locator(f'#consumers tr[data-consumer-id*=":{second.pid}:"]')
        expect(theirs).to_have_attribute("data-state", "alive", timeout=WAIT)
        expect(theirs.locator("td").nth(3)).to_contain_text("3 thread")
        expect(alive).to_have_count(2)
        screenshot(page, "admin-queues-two-consumers")

        processes.kill(second, signal.SIGKILL)  # no shutdown hook runs: it just goes silent
        expect(theirs).to_have_attribute("data-state", "gone", timeout=WAIT)
        expect(alive).to_have_count(1)
        assert errors.messages == []
