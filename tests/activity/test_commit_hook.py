"""activity_committed fires after COMMIT, in id order, and never for a rollback."""

from __future__ import annotations

import pytest

from webapp.activity import activity_committed, record_activity, record_many
from webapp.extensions import db


@pytest.fixture
def announced():
    received: list[list[dict]] = []

    def receiver(sender, activities):
        received.append(activities)

    activity_committed.connect(receiver)
    yield received
    activity_committed.disconnect(receiver)


def test_hook_fires_after_commit_with_the_row(ctx, announced):
    a = record_activity("sync.completed", True, "done")
    assert [[item["id"] for item in batch] for batch in announced] == [[a.id]]
    assert announced[0][0]["key"] == "sync.completed"


def test_hook_waits_for_the_callers_commit(ctx, announced):
    a = record_activity("one", commit=False)
    b = record_activity("two", commit=False)
    assert announced == []
    db.session.commit()
    assert [item["id"] for item in announced[0]] == [a.id, b.id]


def test_hook_never_fires_for_a_rolled_back_transaction(ctx, announced):
    record_activity("doomed", commit=False)
    db.session.rollback()
    db.session.commit()
    assert announced == []


def test_hook_after_rollback_announces_only_the_next_commit(ctx, announced):
    record_activity("doomed", commit=False)
    db.session.rollback()
    kept = record_activity("kept")
    assert [[i["id"] for i in batch] for batch in announced] == [[kept.id]]


def test_bulk_is_announced_once(ctx, announced):
    ids = record_many({"key": "bulk", "value": i} for i in range(5))
    assert [[i["id"] for i in batch] for batch in announced] == [ids]
