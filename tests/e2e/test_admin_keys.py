"""Keyboard shortcuts on the admin lists: j / k move through the rows, Enter opens one, / goes
to the search field (where keys are the field's), ? shows the help and Esc closes it."""

from __future__ import annotations

import re

import pytest

from tests.admin import actions, factories
from tests.support.browser import ConsoleErrors, chromium, log_in

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite")]


def selected(page) -> int:
    """The index of the selected row of the list (-1: none)."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('#admin-page table tbody tr'))"
        ".findIndex(r => r.classList.contains('kb-selected'))"
    )


def test_j_k_enter_slash_and_help_on_the_operations_list(app, live_server, admin):
    from playwright.sync_api import expect

    for n in range(3):
        factories.operation(app, f"keys.op{n}", {"main": [actions.ok]}, delay=3600)
    with chromium() as browser:
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/operations")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')

        page.keyboard.press("j")
        page.keyboard.press("j")
        assert selected(page) == 1
        page.keyboard.press("k")
        assert selected(page) == 0

        page.keyboard.press("/")
        expect(page.locator("#f-name")).to_be_focused()
        page.keyboard.type("jk")
        expect(page.locator("#f-name")).to_have_value("jk")
        assert selected(page) == 0  # keys typed into a field are the field's
        page.locator("#f-name").fill("")
        page.locator("h1").first.click()

        page.keyboard.press("?")
        expect(page.locator("#shortcuts")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("#shortcuts")).to_be_hidden()

        first = page.locator("#admin-page table tbody tr").first.locator("a[href]").first
        href = first.get_attribute("href")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(re.escape(href) + "$"))
        assert errors.messages == []
