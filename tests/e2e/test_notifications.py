"""The notification center in Chromium: the bell, the live feed, mark all read, progress
bars and alerts, as a subscriber sees them."""

from __future__ import annotations

import pytest

from tests.notifications.conftest import record
from tests.notifications.consumer_tasks import count_up, record_burst
from tests.support.browser import CHROMIUM_ARGS, ConsoleErrors, log_in, screenshot
from tests.support.queue import running_consumer
from tests.support.services import chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (each test gets its own context: its own cookies)."""
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, subscriber):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, subscriber)
        yield page
        assert errors.messages == []
    finally:
        context.close()


def open_feed(page, live_server):
    page.goto(f"{live_server.url}/notifications")
    # The socket is ready once the server has sent the unread count: wait for the script
    # to have connected before anything happens elsewhere.
    page.wait_for_function("() => window.io && document.querySelector('[data-feed]')")


def test_bell_counts_up_and_the_entry_appears_without_reload(
    page, live_server, subscriber, backend, processes, tmp_path
):
    from playwright.sync_api import expect

    env = {**backend.env(), "BEACON_EXTRA_TASK_MODULES": "tests.notifications.consumer_tasks"}
    processes.consumer(env, workers=1, log=tmp_path / "consumer.log")
    open_feed(page, live_server)
    page.evaluate("window.__sameDocument = true")
    count = page.locator("[data-unread-count]")
    expect(count).to_have_text("0")
    record_burst(subscriber.id, 1)  # a job, run by the separate consumer process
    expect(count).to_have_text("1", timeout=20000)
    entry = page.locator("[data-feed] .feed-item").first
    expect(entry.locator(".feed-label")).to_have_text("Burst recorded")
    assert page.evaluate("window.__sameDocument") is True


def test_mark_all_read_brings_the_count_to_zero(page, live_server, subscriber):
    from playwright.sync_api import expect

    for _ in range(3):
        record(live_server.app, user_id=subscriber.id)
    open_feed(page, live_server)
    count = page.locator("[data-unread-count]")
    expect(count).to_have_text("3")
    page.get_by_role("button", name="Mark all read").click()
    expect(count).to_have_text("0")
    expect(page.locator(".feed-item.unread")).to_have_count(0)


def test_progress_bar_of_a_running_job_moves_to_100_percent(page, live_server, subscriber):
    from playwright.sync_api import expect

    open_feed(page, live_server)
    count_up(20, 0.05, owner_id=subscriber.id)
    with running_consumer(workers=1):
        job = page.locator("[data-job-list] .job-item").first
        expect(job.locator("[data-job-percent]")).to_have_text("100%", timeout=15000)
    assert job.locator("progress").evaluate("bar => bar.value") == 100
    expect(job.locator("[data-job-state]")).to_have_text("completed")


def test_alert_shows_its_action_button_and_goes_away_when_resolved(page, live_server, subscriber):
    from playwright.sync_api import expect

    open_feed(page, live_server)
    record(
        live_server.app,
        "action.authenticate",
        False,
        "Your token expired",
        user_id=subscriber.id,
        action_required="reauthenticate",
        action_url="/login",
    )
    button = page.locator("[data-alerts] a.alert-action")
    expect(button).to_have_text("Re-authenticate", timeout=15000)
    expect(button).to_have_attribute("href", "/login")
    record(live_server.app, "authenticate", True, user_id=subscriber.id)
    expect(page.locator("[data-alerts]")).to_be_hidden()


def test_live_messages_show_as_text_never_as_markup(page, live_server, subscriber):
    from playwright.sync_api import expect

    open_feed(page, live_server)
    record(
        live_server.app,
        "sync.failed",
        False,
        "<img src=x onerror=alert(1)><b>bold</b>",
        user_id=subscriber.id,
    )
    message = page.locator("[data-feed] .feed-message").first
    expect(message).to_have_text("<img src=x onerror=alert(1)><b>bold</b>", timeout=15000)
    assert page.locator("[data-feed] img, [data-feed] b").count() == 0


def test_feed_page_screenshot(page, live_server, subscriber):
    from playwright.sync_api import expect

    app = live_server.app
    record(app, "sync.completed", True, "Imported 1,204 contacts", user_id=subscriber.id)
    record(
        app,
        "sync.failed",
        False,
        "Mailbox unreachable: timed out after 30 s",
        user_id=subscriber.id,
    )
    record(
        app,
        "export.completed",
        True,
        "<script>alert('x')</script> is just text",
        user_id=subscriber.id,
    )
    record(
        app,
        "action.authenticate",
        False,
        "Google revoked access",
        user_id=subscriber.id,
        action_required="reauthenticate",
        action_url="/login",
    )
    open_feed(page, live_server)
    expect(page.locator("[data-feed] .feed-item")).to_have_count(4)
    path = screenshot(page, "notifications-feed")
    page.locator("[data-bell-toggle]").click()
    expect(page.locator("[data-bell-menu]")).to_be_visible()
    screenshot(page, "notifications-bell")
    assert path.exists()


def test_after_the_server_ends_the_session_the_feed_catches_up_exactly_once(
    page, live_server, subscriber
):
    from playwright.sync_api import expect

    from tests.support.queue import wait_until

    open_feed(page, live_server)
    fanout = live_server.app.extensions["beacon.fanout"]
    wait_until(lambda: any(s.ready for s in fanout.sessions), message="a session")
    server = fanout.server
    dropped = set(fanout.sessions.by_sid)
    for sid in dropped:  # as a restarting server would: the page must connect again
        server.disconnect(sid, namespace="/notifications", ignore_queue=True)
    missed = [
        record(live_server.app, "sync.completed", True, f"missed {n}", user_id=subscriber.id)
        for n in range(2)
    ]
    for activity_id in missed:
        expect(page.locator(f'[data-feed] [data-id="{activity_id}"]')).to_have_count(
            1, timeout=15000
        )
    expect(page.locator("[data-unread-count]")).to_have_text("2")
    assert set(fanout.sessions.by_sid) - dropped, "the page reconnected with a new session"
    later = record(live_server.app, user_id=subscriber.id)
    expect(page.locator(f'[data-feed] [data-id="{later}"]')).to_have_count(1)
    expect(page.locator("[data-feed] .feed-item")).to_have_count(3)
