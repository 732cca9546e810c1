"""The admin queries: filtered keyset pages, counts per state, one operation's path."""

from __future__ import annotations

import pytest

from tests.operations import actions as A
from tests.operations.helpers import fresh, start
from tests.support.queue import drain
from webapp.operations.queries import list_operations, operation_detail, state_counts


def make_ops(log, owner_id: int) -> dict[str, int]:
    """Five operations: two completed, one failed, two pending (never run)."""
    ids = {
        "done1": start("q.sync", {"log": str(log), "account": 1}, {"main": [A.step_a]}),
        "done2": start("q.sync", {"log": str(log), "account": 2}, {"main": [A.step_a]}),
        "failed": start(
            "q.bill",
            {"log": str(log), "fail_times": 9, "account": 1},
            {"main": [A.fail_until]},
            retries=0,
            owner_id=owner_id,
        ),
    }
    drain()
    ids["pending1"] = start("q.bill", {"log": str(log), "account": 2}, {"main": [A.step_a]})
    ids["pending2"] = start(
        "q.sync", {"log": str(log), "account": 3}, {"main": [A.step_a]}, owner_id=owner_id
    )
    return ids


def page_ids(**kw) -> list[int]:
    return [op.id for op in list_operations(**kw).items]


def test_list_filters_by_name_state_owner_and_globals(ctx, log, subscriber):
    ids = make_ops(log, subscriber.id)
    assert page_ids(name="q.sync") == [ids["pending2"], ids["done2"], ids["done1"]]
    assert page_ids(name_prefix="q.b") == [ids["pending1"], ids["failed"]]
    assert page_ids(state="failed") == [ids["failed"]]
    assert page_ids(owner_id=subscriber.id) == [ids["pending2"], ids["failed"]]
    assert page_ids(globals={"account": 1}) == [ids["failed"], ids["done1"]]
    assert page_ids(name="q.sync", state="completed", globals={"account": 2}) == [ids["done2"]]


def test_list_filters_by_created_range(ctx, log, subscriber):
    ids = make_ops(log, subscriber.id)
    middle = fresh(ids["failed"]).created_at
    last = fresh(ids["pending2"]).created_at
    assert page_ids(created_from=middle, created_to=last) == [ids["pending1"], ids["failed"]]


def test_list_pages_newest_first_by_keyset(ctx, log, subscriber):
    ids = sorted(make_ops(log, subscriber.id).values(), reverse=True)
    first = list_operations(limit=2)
    second = list_operations(limit=2, before=first.next_before)
    third = list_operations(limit=2, before=second.next_before)
    assert [op.id for op in first.items + second.items + third.items] == ids
    assert third.next_before is None


def test_state_counts_cover_every_state(ctx, log, subscriber):
    make_ops(log, subscriber.id)
    assert state_counts() == {
        "pending": 2,
        "waiting": 0,
        "running": 0,
        "completed": 2,
        "failed": 1,
        "cancelled": 0,
    }
    assert state_counts(name="q.sync")["completed"] == 2


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"state": "lost"}, "unknown state 'lost'"),
        ({"limit": 0}, "limit must be an integer from 1 to 200"),
        ({"before": "x"}, "before must be an operation id"),
        ({"owner_id": "1"}, "owner_id must be an integer"),
        ({"globals": [1]}, "globals filter must be a dict"),
        ({"created_from": "2024-01-01"}, "created_from must be an aware datetime"),
    ],
    ids=["state", "limit", "before", "owner", "globals", "created"],
)
def test_bad_filters_raise_value_error(ctx, filters, message):
    with pytest.raises(ValueError, match=message):
        list_operations(**filters)


def test_detail_lists_branches_in_order_and_the_path_taken(ctx, log):
    branches = {"main": [A.jump_by_global, A.step_b], "side": [A.side_x, A.side_y]}
    op_id = start("q.path", {"log": str(log), "jump": "side"}, branches)
    drain()
    detail = operation_detail(op_id)
    assert [(b.name, [a.short_name for a in b.actions]) for b in detail.branches] == [
        ("main", ["jump_by_global", "step_b"]),
        ("side", ["side_x", "side_y"]),
    ]
    assert [(s.action.short_name, s.via, s.current) for s in detail.path] == [
        ("jump_by_global", "start", False),
        ("side_x", "jump", False),
        ("side_y", "next", False),
        ("step_b", "return", False),
    ]
    assert detail.next_action is None


def test_detail_marks_the_failed_action_as_current(ctx, log):
    op_id = start(
        "q.fail", {"log": str(log), "fail_times": 9}, {"main": [A.step_a, A.fail_until]}, retries=0
    )
    drain()
    detail = operation_detail(op_id)
    assert [(s.action.short_name, s.via, s.current) for s in detail.path] == [
        ("step_a", "start", False),
        ("fail_until", "next", True),
    ]
    assert detail.next_action.state == "failed"


def test_detail_of_unknown_operation_is_none(ctx):
    assert operation_detail(12345) is None
