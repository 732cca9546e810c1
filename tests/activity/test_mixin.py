"""ActivityStatusable on a SQLAlchemy model (User) and on a plain object."""

from __future__ import annotations

import pytest

from tests.activity.factories import Service, user


@pytest.fixture(params=["model", "plain"])
def subject(request, ctx):
    owner = user()
    return owner if request.param == "model" else Service("calendar-1", user_id=owner.id)


def test_status_update_records_identity_and_owner(subject):
    a = subject.status_update("sync.completed", True, "12 items")
    expected_type = "user" if not isinstance(subject, Service) else "service"
    assert (a.subject_type, a.key, a.value, a.message) == (
        expected_type,
        "sync.completed",
        True,
        "12 items",
    )
    assert a.subject_id == str(subject.id if expected_type == "user" else "calendar-1")
    assert a.user_id is not None and a.id > 0 and a.created_at.tzinfo is not None


def test_action_status_update_prefixes_action(subject):
    a = subject.action_status_update("sync", False, "boom")
    assert a.key == "action.sync"
    assert subject.last_activity("action.sync").id == a.id
    assert subject.last_activity("sync") is None


def test_last_activity_success_and_error(subject):
    subject.status_update("sync", True)
    err = subject.status_update("sync", False, "timeout")
    ok = subject.status_update("sync", True)
    later = subject.status_update("sync", "partial")
    assert subject.last_activity("sync").id == later.id
    assert subject.last_success("sync").id == ok.id
    assert subject.last_error("sync").id == err.id
    assert subject.last_success("other") is None


def test_activities_are_newest_first_and_keyset_paged(subject):
    made = [subject.status_update("tick", i) for i in range(7)]
    first = subject.activities(limit=3)
    assert [a.value for a in first] == [6, 5, 4]
    second = subject.activities(limit=3, before=first[-1].id)
    assert [a.value for a in second] == [3, 2, 1]
    assert len(subject.activities(limit=50)) == len(made)


def test_activities_rejects_bad_limit(subject):
    with pytest.raises(ValueError, match="limit"):
        subject.activities(limit=0)


def test_current_statuses_holds_latest_per_key(subject):
    subject.status_update("sync", True)
    latest_sync = subject.status_update("sync", False)
    auth = subject.action_status_update("authentication.authenticated", True)
    statuses = subject.current_statuses()
    assert set(statuses) == {"sync", "action.authentication.authenticated"}
    assert statuses["sync"].id == latest_sync.id
    assert statuses["action.authentication.authenticated"].id == auth.id


def test_subjects_do_not_see_each_others_history(ctx):
    a, b = Service("a"), Service("b")
    a.status_update("sync", True)
    assert b.last_activity("sync") is None and b.activities() == []


def test_plain_object_without_identity_is_refused(ctx):
    class Nameless:
        pass

    from webapp.activity import record_activity

    with pytest.raises(ValueError, match="no activity identity"):
        record_activity("sync", subject=Nameless())
