"""The README's tour in Chromium, on the seeded demo: a subscriber watches a sync arrive
live, meets a re-authenticate alert, follows it and sees it resolve; exports their activity
and downloads it; an admin retries a failed operation. Its screenshots illustrate the README."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tasks.demo.models import ConnectedAccount
from tasks.demo.provider import expire_token
from tasks.demo.sync import sync_accounts
from tests.conftest import Person
from tests.demo.conftest import demo_settings
from tests.support.browser import ARTIFACTS, ConsoleErrors, chromium, log_in, screenshot
from tests.support.queue import running_consumer
from webapp.demo.seed import DEMO_USERS
from webapp.extensions import db
from webapp.operations import Operation

pytestmark = pytest.mark.browser

WAIT = 20_000  # ms: generous for a loaded machine; the steps take well under a second


@pytest.fixture
def app_settings(tmp_path) -> dict:
    return demo_settings(tmp_path, export_pause=0.02)


@pytest.fixture
def demo(app) -> dict[str, Person]:
    """The seeded demo, as ``make run`` has it; its people by role name."""
    result = app.test_cli_runner().invoke(args=["beacon", "seed"])
    assert result.exit_code == 0, result.output
    from webapp.accounts import get_user_by_email

    people = {}
    with app.app_context():
        for email, password, role in DEMO_USERS:
            people[email.split("@")[0]] = Person(get_user_by_email(email).id, email, password, role)
    return people


def calendar_of(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(ConnectedAccount.id).where(
                ConnectedAccount.user_id == user_id, ConnectedAccount.service == "Calendar"
            )
        )


def view(page, name: str) -> None:
    """A screenshot of what the window shows (the README uses two of them)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def sweep(app) -> None:
    """Enqueue the periodic sync, as its crontab would."""
    with app.app_context():
        sync_accounts()


def test_the_tour(app, backend, live_server, demo):
    from playwright.sync_api import expect

    alice = demo["alice"]
    with chromium() as browser:
        feed = browser.new_page()
        errors = ConsoleErrors(feed)
        log_in(feed, live_server.url, alice)
        feed.goto(f"{live_server.url}/notifications")
        feed.evaluate("window.sameDocument = true")

        with running_consumer(workers=2):
            # 1. A sync arrives live (the week before is history, already read).
            sweep(app)
            synced = feed.locator('[data-feed] .feed-item.unread[data-key="action.sync"]')
            expect(synced.first).to_contain_text("synced:", timeout=WAIT)

            # 2. The provider refuses Calendar's token: the alert appears live.
            expire_token_of(app, alice)
            sweep(app)
            alert = feed.locator("[data-alerts] .alert-item")
            expect(alert).to_have_count(1, timeout=WAIT)
            expect(alert.locator("a.alert-action")).to_have_text("Re-authenticate")
            expect(alert).to_contain_text("Calendar")
            view(feed, f"tour-feed-{backend.name}")

            # 3. Follow it (in a second tab, so the feed stays open) and reconnect.
            tab = browser.new_page()
            tab_errors = ConsoleErrors(tab)
            tab.goto(f"{live_server.url}/notifications")
            tab.locator("[data-alerts] a.alert-action").click()
            tab.wait_for_url(f"**/demo/reauthenticate/{calendar_of(app, alice.id)}")
            tab.click("#reconnect-button")
            tab.wait_for_url("**/demo/accounts")
            expect(tab.locator(".flash")).to_contain_text("Calendar is connected again")
            expect(feed.locator("[data-alerts]")).to_be_hidden(timeout=WAIT)
            assert feed.evaluate("window.sameDocument") is True  # resolved live, no reload

        # 4. Export: queued while no consumer runs, so the bar is seen from its start.
        tab.click("#export-button")
        tab.wait_for_url("**/demo/accounts#exports")
        job = tab.locator("[data-job-list] .job-item").first
        expect(job.locator(".job-name")).to_have_text("Export activity")
        with running_consumer(workers=1):
            expect(job.locator("[data-job-percent]")).to_have_text("100%", timeout=WAIT)
            assert job.locator("progress").evaluate("bar => bar.value") == 100
            link = tab.locator("[data-export-download]").first
            expect(link).to_be_visible(timeout=WAIT)
        with tab.expect_download() as download:
            link.click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
        assert rows and {"id", "created_at", "key", "message"} <= set(rows[0])
        assert any(r["key"] == "authentication.authenticated" for r in rows)
        assert errors.messages == [] and tab_errors.messages == []

    # 5. An admin retries a failed operation and watches it complete.
    with app.app_context():
        op_id = db.session.scalar(
            select(Operation.id).where(Operation.state == "failed").order_by(Operation.id)
        )
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, demo["admin"])
        page.goto(f"{live_server.url}/admin/operations?state=failed")
        page.click(f'a[href="/admin/operations/{op_id}"]')
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        page.locator("details.trace summary").first.click()
        expect(page.locator("details.trace pre").first).to_contain_text(
            "SubscriptionServiceUnavailable"
        )
        screenshot(page, f"tour-operation-{backend.name}")  # the whole page
        with running_consumer(workers=2):
            page.click("#retry-operation")
            page.click("#confirm-button")
            page.wait_for_url(f"{live_server.url}/admin/operations/{op_id}")
            expect(page.locator('#operation-state [data-state="completed"]')).to_have_count(
                1, timeout=WAIT
            )
        assert errors.messages == []


def expire_token_of(app, person: Person) -> None:
    with app.app_context():
        expire_token(calendar_of(app, person.id))
