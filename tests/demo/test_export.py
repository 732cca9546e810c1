"""The CSV export: a tracked job whose progress counts the rows it writes, a file with the
owner's activity, downloadable by its owner only."""

from __future__ import annotations

import csv
import io

import pytest

from tasks.demo.export import TASK_NAME, export_path
from tests.support.queue import drain
from webapp.activity import record_activity
from webapp.jobs import JobStatus, job_status_changed


def fill(app, user_id: int, count: int) -> None:
    with app.app_context():
        for n in range(count):
            record_activity("sync.completed", True, f"row {n}", user_id=user_id)


def run_export(app, client) -> str:
    """Start an export through the page, run it; its job id."""
    resp = client.post("/demo/exports")
    assert resp.status_code == 302
    with app.app_context():
        jobs = JobStatus.recent(limit=5)
        drain()
    [job] = [j for j in jobs if j.task == TASK_NAME]
    return job.id


def test_progress_counts_rows_up_to_the_total(app, subscriber, subscriber_client):
    fill(app, subscriber.id, 230)  # three batches
    seen = []

    def on_change(sender, job, owner_id, **kw):
        if job["task"] == TASK_NAME:
            seen.append((job["status"], job["progress"], job["total"]))

    job_status_changed.connect(on_change, weak=False)
    try:
        job_id = run_export(app, subscriber_client)
    finally:
        job_status_changed.disconnect(on_change)
    with app.app_context():
        status = JobStatus.get(job_id)
        assert status.is_completed
        assert (status.record["progress"], status.total) == (230, 230)
        assert status["rows"] == 230
    progress = [p for _, p, total in seen if total == 230]
    assert progress == sorted(progress)
    assert progress[0] < 230 == progress[-1]


def test_file_holds_the_owners_feed_and_nothing_else(
    app, subscriber, other_subscriber, subscriber_client, tmp_path
):
    fill(app, subscriber.id, 3)
    fill(app, other_subscriber.id, 2)
    with app.app_context():
        record_activity("secret.thing", True, "hidden", user_id=subscriber.id, private=True)
    job_id = run_export(app, subscriber_client)
    resp = subscriber_client.get(f"/demo/exports/{job_id}")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    assert [r["message"] for r in rows] == ["row 0", "row 1", "row 2"]
    assert rows[0]["key"] == "sync.completed"
    assert rows[0]["value"] == "true"


def test_cells_that_a_spreadsheet_would_run_are_defused(app, subscriber, subscriber_client):
    with app.app_context():
        record_activity("sync.failed", False, '=HYPERLINK("http://x")', user_id=subscriber.id)
    job_id = run_export(app, subscriber_client)
    body = subscriber_client.get(f"/demo/exports/{job_id}").get_data(as_text=True)
    assert "'=HYPERLINK" in body


def test_another_user_cannot_download_it(app, subscriber, subscriber_client, other_client):
    fill(app, subscriber.id, 2)
    job_id = run_export(app, subscriber_client)
    assert other_client.get(f"/demo/exports/{job_id}").status_code == 404


def test_anonymous_is_sent_to_log_in(app, subscriber, subscriber_client, client):
    job_id = run_export(app, subscriber_client)
    resp = client.get(f"/demo/exports/{job_id}")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_unfinished_export_is_not_downloadable(app, subscriber, subscriber_client):
    subscriber_client.post("/demo/exports")
    with app.app_context():
        [job] = JobStatus.recent(limit=1)
        assert job.is_queued
    assert subscriber_client.get(f"/demo/exports/{job.id}").status_code == 404


@pytest.mark.parametrize("job_id", ["..%2F..%2Fsecret_key", "nope", "0" * 32])
def test_bad_or_unknown_ids_are_404(subscriber_client, job_id):
    assert subscriber_client.get(f"/demo/exports/{job_id}").status_code == 404


def test_export_path_refuses_anything_but_a_job_id(ctx):
    with pytest.raises(ValueError, match="not an export id"):
        export_path("../../etc/passwd")


def test_export_button_needs_the_csrf_token(app, subscriber_client):
    del subscriber_client.environ_base["HTTP_X_CSRFTOKEN"]
    assert subscriber_client.post("/demo/exports").status_code == 400
    with app.app_context():
        assert JobStatus.recent(limit=1) == []
