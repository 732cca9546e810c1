"""Every timestamp Beacon sends is ISO 8601 UTC written with ``Z``."""

from __future__ import annotations

import re

from tests.notifications.conftest import record
from webapp.jobs import JobStatus
from webapp.notifications.jobs import job_payload

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")


def test_feed_api_times_end_in_z(app, subscriber, subscriber_client):
    record(app, user_id=subscriber.id)
    items = subscriber_client.get("/api/notifications").get_json()["items"]
    assert items and all(ISO_Z.fullmatch(item["created_at"]) for item in items)


def test_job_dict_and_job_payload_times_end_in_z(ctx):
    JobStatus("times").update(status="working", total=10, progress=1, force=True)
    payload = job_payload(JobStatus.get("times").to_dict())
    times = [payload[k] for k in ("enqueued_at", "started_at", "finished_at") if payload[k]]
    assert times and all(ISO_Z.fullmatch(t) for t in times)
