"""The pages as people see them: in dark mode (the system's choice) the admin pages and the
notification feed are drawn dark, and at 390 px wide (a phone) no page scrolls sideways;
screenshots of both are saved in tests/artifacts/."""

from __future__ import annotations

import pytest
from flask import url_for

from tests.admin import factories
from tests.support.browser import ConsoleErrors, chromium, log_in, screenshot
from webapp.admin.templating import SECTIONS

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


@pytest.fixture
def pages(app) -> list[str]:
    """Every admin tab (a tab added later is drawn too), an operation's page and the feed."""
    with app.test_request_context():
        tabs = [url_for(endpoint) for endpoint, _label, _endpoints in SECTIONS]
    return [*tabs, "/admin/operations/{op_id}", "/notifications"]


#: The background's luminance (0 black .. 255 white), from its computed rgb().
LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}"""


@pytest.fixture
def op_id(app, tmp_path) -> int:
    op_id, _ = factories.failed_operation(app, tmp_path)
    factories.failed_event(app)
    factories.completed_job(app)
    return op_id


def name(path: str) -> str:
    return path.strip("/").replace("/", "-").replace("{op_id}", "op") or "home"


def test_dark_mode_draws_every_page_dark(app, live_server, admin, op_id, pages):
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        page.emulate_media(color_scheme="dark")
        log_in(page, live_server.url, admin)
        for path in pages:
            page.goto(live_server.url + path.format(op_id=op_id))
            assert page.evaluate(LUMINANCE) < 60, path
            screenshot(page, f"dark-{name(path)}")
        page.emulate_media(color_scheme="light")
        assert page.evaluate(LUMINANCE) > 200
        assert errors.messages == []


def test_no_page_scrolls_sideways_at_390_px(app, live_server, admin, op_id, pages):
    with chromium(viewport=(390, 844)) as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        for path in pages:
            page.goto(live_server.url + path.format(op_id=op_id))
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide"
            screenshot(page, f"390px-{name(path)}")
        assert errors.messages == []
