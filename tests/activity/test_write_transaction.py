"""write_transaction: the caller's rows and their activities commit together, are announced
after the commit, and vanish together on a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.activity import Activity, activity_committed, record_activity, write_transaction
from webapp.extensions import db


@pytest.fixture
def announced():
    received: list[list[int]] = []

    def receiver(sender, activities):
        received.append([item["id"] for item in activities])

    activity_committed.connect(receiver)
    yield received
    activity_committed.disconnect(receiver)


def count(key: str) -> int:
    value = db.session.scalar(select(func.count()).where(Activity.key == key))
    db.session.rollback()
    return value


def test_activities_commit_at_the_end_of_the_block_and_are_announced_after(ctx, announced):
    with write_transaction() as tx:
        first = tx.record("sync.started", None, "begun")
        second = tx.record("sync.completed", True, "done", system=True)
        assert announced == []
    assert announced == [[first, second]]
    assert count("sync.started") == 1 and count("sync.completed") == 1


def test_an_exception_rolls_everything_back_and_announces_nothing(ctx, announced):
    with pytest.raises(RuntimeError), write_transaction() as tx:
        tx.record("sync.doomed")
        raise RuntimeError("stop")
    assert announced == [] and count("sync.doomed") == 0


def test_rollback_undoes_the_block_without_an_exception(ctx, announced):
    with write_transaction() as tx:
        tx.record("sync.undone")
        tx.rollback()
    assert announced == [] and count("sync.undone") == 0


def test_bad_input_raises_a_value_error_naming_it_and_writes_nothing(ctx, announced):
    with pytest.raises(ValueError, match="user_id 999999"), write_transaction() as tx:
        tx.record("sync.kept")
        tx.record("sync.orphan", user_id=999_999)
    assert announced == [] and count("sync.kept") == 0


def test_it_joins_a_transaction_the_session_has_open(ctx, announced):
    pending = record_activity("sync.earlier", commit=False)
    with write_transaction() as tx:
        later = tx.record("sync.later")
    # One commit, the session's: both announced together, in id order.
    assert announced == [[pending.id, later]]
    assert count("sync.earlier") == 1
