"""An admin watches a tracked job's progress bar move on the jobs page, without reloading."""

from __future__ import annotations

import pytest

from tests.admin.actions import admin_gated_job
from tests.support.browser import ConsoleErrors, chromium, log_in
from tests.support.queue import running_consumer

pytestmark = pytest.mark.browser


def bar(job_id: str, table: str) -> str:
    """JS: the value/max of the job's progress bar in that table, or null."""
    return (
        f'(() => {{ const b = document.querySelector(\'#{table} tr[data-job-id="{job_id}"] '
        "progress'); return b ? b.value + '/' + b.max : null; })()"
    )


def test_admin_sees_job_progress_live(app, live_server, admin, tmp_path):
    release = tmp_path / "release"
    with chromium() as browser, running_consumer(workers=2):
        page = browser.new_page()
        errors = ConsoleErrors(page)
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/admin/jobs")
        page.wait_for_selector('#admin-page[data-live-ready="1"]')
        page.evaluate("window.beaconMarker = 'same page'")

        with app.app_context():
            job_id = admin_gated_job(4, str(release)).id
        page.wait_for_function(f"() => {bar(job_id, 'running-jobs')} === '2/4'")

        release.touch()
        page.wait_for_selector(
            f'#recent-jobs tr[data-job-id="{job_id}"] .job-status [data-state="completed"]'
        )
        assert page.evaluate(bar(job_id, "recent-jobs")) == "4/4"
        assert page.locator("#running-jobs").count() == 0
        assert page.evaluate("window.beaconMarker") == "same page"
        assert errors.messages == []
