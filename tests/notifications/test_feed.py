"""Feed queries and read state: what a user sees, and what counts as unread."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from tests.conftest import make_user
from webapp.activity import Activity, record_activity
from webapp.extensions import db
from webapp.notifications import feed
from webapp.notifications.models import ActivityRead


@pytest.fixture
def people(app):
    return (
        make_user(app, "a@example.com"),
        make_user(app, "b@example.com"),
        make_user(app, "root@example.com", role="admin"),
    )


def test_sql_and_python_visibility_agree(ctx, people):
    a, b, root = people
    rng = random.Random(7)
    for _ in range(120):
        record_activity(
            "sync.completed",
            user_id=rng.choice([a.id, b.id, root.id, None]),
            system=rng.random() < 0.3,
            private=rng.random() < 0.2,
            commit=False,
        )
    db.session.commit()
    rows = db.session.scalars(select(Activity)).all()
    for person in people:
        for include_system in (False, True):
            is_admin = person.role == "admin"
            cond = feed.visible_condition(
                person.id, include_system=include_system, is_admin=is_admin
            )
            in_sql = set(db.session.scalars(select(Activity.id).where(cond)))
            in_python = {
                r.id
                for r in rows
                if feed.is_visible(r, person.id, include_system=include_system, is_admin=is_admin)
            }
            assert in_sql == in_python


def test_feed_pages_newest_first_with_keyset_cursor(ctx, people):
    a, _, _ = people
    ids = [record_activity("sync.completed", user_id=a.id).id for _ in range(5)]
    first, next_before = feed.feed_page(a.id, limit=2)
    assert [i["id"] for i in first] == ids[:-3:-1]
    second, next_before = feed.feed_page(a.id, before=next_before, limit=2)
    assert [i["id"] for i in second] == [ids[2], ids[1]]
    last, next_before = feed.feed_page(a.id, before=next_before, limit=2)
    assert [i["id"] for i in last] == [ids[0]]
    assert next_before is None


def test_feed_never_shows_private_or_other_users_activities(ctx, people):
    a, b, _ = people
    mine = record_activity("sync.completed", user_id=a.id).id
    record_activity("sync.completed", user_id=a.id, private=True)
    record_activity("sync.completed", user_id=b.id)
    record_activity("sync.completed", system=True)
    items, _ = feed.feed_page(a.id, include_system=True)
    assert [i["id"] for i in items] == [mine]


def test_admin_with_system_sees_system_wide_activities(ctx, people):
    _, _, root = people
    wide = record_activity("cleanup.completed", system=True).id
    assert feed.feed_page(root.id)[0] == []
    assert [i["id"] for i in feed.feed_page(root.id, include_system=True, is_admin=True)[0]] == [
        wide
    ]


def test_item_has_the_documented_keys_and_a_label(ctx, people):
    a, _, _ = people
    record_activity("action.sync_contacts", False, "boom", user_id=a.id)
    [item], _ = feed.feed_page(a.id)
    assert set(item) >= {
        "id",
        "key",
        "value",
        "message",
        "created_at",
        "subject_type",
        "subject_id",
        "system",
        "action_required",
        "action_url",
        "read",
    }
    assert item["label"] == "Sync contacts"
    assert item["created_at"].endswith("Z")
    assert item["read"] is False


def test_feed_page_items_are_the_item_dicts_of_the_same_rows(ctx, people):
    a, _, _ = people
    _mixed_read_state(people)
    record_activity("action.sync", {"n": 1}, "x", subject=_Subject(), user_id=a.id)
    items, _ = feed.feed_page(a.id, limit=100)
    rows = db.session.scalars(
        select(Activity).where(feed.visible_condition(a.id)).order_by(Activity.id.desc())
    ).all()
    read = feed.read_ids(a.id, [r.id for r in rows])
    assert items == [feed.item_dict(r, r.id in read) for r in rows]
    assert {i["read"] for i in items} == {True, False}


class _Subject:
    activity_subject_type = "account"
    activity_subject_id = "7"


def test_unread_counts_own_visible_non_system_items(ctx, people):
    a, b, _ = people
    record_activity("sync.completed", user_id=a.id)
    record_activity("sync.completed", user_id=a.id, system=True)
    record_activity("sync.completed", user_id=a.id, private=True)
    record_activity("sync.completed", user_id=b.id)
    assert feed.unread_count(a.id) == 1


def test_marking_items_read_ignores_ids_of_other_users(ctx, people):
    a, b, _ = people
    mine = record_activity("sync.completed", user_id=a.id).id
    record_activity("sync.completed", user_id=a.id)
    theirs = record_activity("sync.completed", user_id=b.id).id
    assert feed.mark_read(a.id, [mine, theirs]) == 1
    assert feed.unread_count(b.id) == 1
    assert feed.read_ids(a.id, [mine, theirs]) == {mine}


def test_mark_all_read_is_one_cursor_and_later_items_are_unread(ctx, people):
    a, _, _ = people
    for _ in range(3):
        record_activity("sync.completed", user_id=a.id)
    assert feed.mark_all_read(a.id) == 0
    record_activity("sync.completed", user_id=a.id)
    assert feed.unread_count(a.id) == 1
    assert feed.mark_all_read(a.id) == 0


def _mixed_read_state(people) -> list[int]:
    """Activities of every kind for the three people; a reads some by mark, b all by cursor."""
    a, b, root = people
    rng = random.Random(11)
    ids = [
        record_activity(
            "sync.completed",
            user_id=rng.choice([a.id, b.id, root.id]),
            system=rng.random() < 0.2,
            private=rng.random() < 0.1,
        ).id
        for _ in range(40)
    ]
    feed.mark_all_read(b.id)
    ids += [record_activity("sync.completed", user_id=uid).id for uid in (a.id, b.id) * 3]
    a_ids = db.session.scalars(select(Activity.id).where(Activity.user_id == a.id)).all()
    feed.mark_read(a.id, a_ids[::3])
    return ids


def _read_in_python(user_id: int, ids: list[int]) -> tuple[set[int], int]:
    """The reference: which of ``ids`` the user has read, and their unread count, from the
    rows themselves (the cursor, the marks and ``is_visible``)."""
    cursor = feed.read_cursor(user_id)
    marks = set(
        db.session.scalars(select(ActivityRead.activity_id).where(ActivityRead.user_id == user_id))
    )
    read = {i for i in ids if i <= cursor or i in marks}
    unread = sum(
        1
        for row in db.session.scalars(select(Activity))
        if feed.is_visible(row, user_id, include_system=False, is_admin=False)
        and row.id > cursor
        and row.id not in marks
    )
    return read, unread


def test_read_state_of_many_users_agrees_with_the_rows_of_each(ctx, people):
    ids = _mixed_read_state(people)
    a, b, root = people
    wanted = {a.id: ids, b.id: ids[::2], root.id: []}
    expected = {uid: _read_in_python(uid, wanted_ids) for uid, wanted_ids in wanted.items()}
    assert sorted(unread for _, unread in expected.values()) != [0, 0, 0]
    for count_for in ([a.id, b.id, root.id], [b.id], []):
        flags, counts, _ = feed.read_state(wanted, count_for)
        assert flags == {uid: read for uid, (read, _) in expected.items()}
        assert counts == {uid: expected[uid][1] for uid in count_for}
    for uid, wanted_ids in wanted.items():
        assert feed.read_ids(uid, wanted_ids) == expected[uid][0]
        assert feed.unread_count(uid) == expected[uid][1]
    assert feed.read_state({}, [root.id]) == ({}, {root.id: expected[root.id][1]}, set())
    assert feed.read_state({}) == ({}, {}, set())


def test_bad_read_ids_raise_and_write_nothing(ctx, people):
    a, _, _ = people
    record_activity("sync.completed", user_id=a.id)
    for bad in (["1"], [True], [0], [2**63], "1", [1.5], list(range(1, 1002))):
        with pytest.raises(ValueError):
            feed.mark_read(a.id, bad)
    assert feed.unread_count(a.id) == 1


@pytest.mark.parametrize("value", ["0", "-1", "abc", "1.5", str(2**63)])
def test_bad_ids_are_refused(value):
    with pytest.raises(ValueError, match="before"):
        feed.parse_id(value, "before")


@pytest.mark.parametrize("value", ["0", "101", "x", "-5"])
def test_bad_limits_are_refused(value):
    with pytest.raises(ValueError, match="limit"):
        feed.parse_limit(value)
