"""One user cannot read another's things: jobs, operations, activities, alerts, exports.

Where a thing has a URL, a stranger gets the same answer as for an id that does not exist, so
the answer does not even tell that it exists.
"""

from __future__ import annotations

import re

import pytest

from tests.reliability import workload as W
from tests.support.queue import drain
from webapp.activity import record_activity
from webapp.extensions import db
from webapp.operations import start_operation

UNKNOWN_JOB = "00000000-0000-0000-0000-000000000000"
#: A CSRF token wherever the page carries one (its meta tag, the logout form's hidden field).
CSRF_META = re.compile(r'"[\w-]+\.[\w-]{6}\.[\w-]{20,}"')


def without_token(response) -> str:
    """The page without its CSRF token (signed with the time, so it differs by the second)."""
    return CSRF_META.sub("", response.get_data(as_text=True))


@pytest.fixture
def owned(app, subscriber, tmp_path) -> dict:
    """A finished job, an operation, an activity and an open alert of the subscriber."""
    with app.app_context():
        job_id = W.reliability_job(str(tmp_path / "runs.log"), 2, owner_id=subscriber.id).id
        op = start_operation(
            "security.isolation",
            globals={"log": str(tmp_path / "runs.log")},
            branches={"main": [W.step]},
            owner_id=subscriber.id,
        )
        drain()
        activity = record_activity("secret.synced", {"token": "s3"}, user_id=subscriber.id).id
        alert = record_activity(
            "secret.authentication",
            False,
            action_required="reauthenticate",
            user_id=subscriber.id,
        ).id
        db.session.rollback()
        return {"job": job_id, "operation": op.id, "activity": activity, "alert": alert}


def test_someone_elses_job_status_is_404_like_an_unknown_id(subscriber_client, other_client, owned):
    mine = subscriber_client.get(f"/api/jobs/{owned['job']}")
    theirs = other_client.get(f"/api/jobs/{owned['job']}")
    unknown = other_client.get(f"/api/jobs/{UNKNOWN_JOB}")
    assert mine.status_code == 200
    assert (theirs.status_code, theirs.get_json()) == (unknown.status_code, unknown.get_json())
    assert theirs.status_code == 404


def test_someone_elses_operation_is_refused_like_an_unknown_id(other_client, owned):
    theirs = other_client.get(f"/admin/operations/{owned['operation']}")
    unknown = other_client.get("/admin/operations/987654")
    assert theirs.status_code == unknown.status_code == 403
    assert without_token(theirs) == without_token(unknown)


def test_someone_elses_activities_are_not_in_the_feed_or_alerts(other_client, owned):
    feed = other_client.get("/api/notifications?limit=100&system=1").get_json()
    alerts = other_client.get("/api/alerts").get_json()
    assert feed["items"] == [] and alerts["items"] == []
    assert other_client.get("/api/notifications/unread_count").get_json() == {"count": 0}


def test_marking_someone_elses_activities_read_changes_nothing(
    subscriber_client, other_client, owned
):
    before = subscriber_client.get("/api/notifications/unread_count").get_json()["count"]
    resp = other_client.post(
        "/api/notifications/read", json={"ids": [owned["activity"], owned["alert"]]}
    )
    assert resp.status_code == 200
    assert subscriber_client.get("/api/notifications/unread_count").get_json()["count"] == before
    assert before >= 2


def test_someone_elses_page_of_the_feed_is_not_reachable_by_cursor(other_client, owned):
    page = other_client.get(f"/api/notifications?before={owned['alert'] + 1}&limit=100")
    assert page.status_code == 200 and page.get_json()["items"] == []
