"""start_operation: everything checked before writing; idempotent on name + globals + branches."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from tests.operations import actions as A
from tests.support.queue import drain
from webapp.database import utcnow
from webapp.extensions import db, huey
from webapp.operations import Action, Operation, start_operation


def make_local():
    def inner(action):
        pass

    return inner


MAIN = {"main": [A.step_a]}
NAIVE = dt.datetime(2030, 1, 1)
AWARE = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

BAD_STARTS = [
    pytest.param({"branches": {}}, "branches must be a non-empty dict", id="empty-branches"),
    pytest.param({"branches": None}, "branches must be a non-empty dict", id="no-branches"),
    pytest.param({"branches": {"side": [A.step_a]}}, "no 'main' branch", id="missing-main"),
    pytest.param({"branches": {"main": A.step_a}}, "branch 'main' must be a list", id="not-list"),
    pytest.param(
        {"branches": {"main": [A.step_a], "side": "tests.operations.actions:step_b"}},
        "branch 'side' must be a list",
        id="branch-is-string",
    ),
    pytest.param({"branches": {"main": []}}, "branch 'main' is empty", id="empty-main"),
    pytest.param(
        {"branches": {"main": [A.step_a], "bad name": [A.step_b]}},
        "invalid branch name 'bad name'",
        id="bad-branch-name",
    ),
    pytest.param(
        {"branches": {"main": [lambda action: None]}}, "is not importable", id="lambda-action"
    ),
    pytest.param({"branches": {"main": [make_local()]}}, "is not importable", id="local-function"),
    pytest.param(
        {"branches": {"main": ["tests.operations.nowhere:step"]}},
        "'tests.operations.nowhere:step' is not importable",
        id="missing-module",
    ),
    pytest.param(
        {"branches": {"main": ["tests.operations.actions:no_such_step"]}},
        "'tests.operations.actions:no_such_step' is not importable",
        id="missing-function",
    ),
    pytest.param(
        {"branches": {"main": ["tests.operations.actions:NOT_CALLABLE"]}},
        "'tests.operations.actions:NOT_CALLABLE' is not callable",
        id="not-callable",
    ),
    pytest.param({"branches": {"main": [42]}}, "is not importable", id="number-action"),
    pytest.param(
        {"branches": {"main": [(A.step_a, {"when": 1})]}},
        "unknown option(s) ['when']",
        id="unknown-option",
    ),
    pytest.param(
        {"branches": {"main": [(A.step_a, {"perform_at": NAIVE})]}},
        "perform_at 2030-01-01T00:00:00 is naive",
        id="naive-perform-at",
    ),
    pytest.param({"globals": {"when": utcnow()}}, "globals['when'] is", id="datetime-global"),
    pytest.param({"globals": {"s": {1, 2}}}, "globals['s'] is {1, 2}", id="set-global"),
    pytest.param({"globals": {1: "x"}}, "non-string key 1", id="int-key-global"),
    pytest.param({"globals": {"n": float("nan")}}, "globals['n'] is nan", id="nan-global"),
    pytest.param({"globals": ["a"]}, "globals must be a dict", id="list-globals"),
    pytest.param({"globals": {"big": "x" * 300_000}}, "bytes as JSON", id="oversize-globals"),
    pytest.param({"name": ""}, "operation name must be", id="empty-name"),
    pytest.param({"delay": 5, "eta": AWARE}, "delay or eta, not both", id="delay-and-eta"),
    pytest.param({"delay": -1}, "delay must not be negative", id="negative-delay"),
    pytest.param({"eta": NAIVE}, "eta 2030-01-01T00:00:00 is naive", id="naive-eta"),
    pytest.param({"retries": -1}, "retries must not be negative", id="negative-retries"),
    pytest.param({"retries": 1.5}, "retries must be a whole number", id="float-retries"),
    pytest.param({"retry_delay": "10"}, "retry_delay must be a number", id="text-retry-delay"),
    pytest.param({"owner_id": 999}, "owner_id 999 is not a user", id="unknown-owner"),
    pytest.param({"idempotency_key": ""}, "idempotency_key must be", id="empty-key"),
]


def counts() -> tuple[int, int, int]:
    ops = db.session.scalar(select(func.count()).select_from(Operation))
    acts = db.session.scalar(select(func.count()).select_from(Action))
    return ops, acts, huey.pending_count() + huey.scheduled_count()


@pytest.mark.parametrize(("override", "message"), BAD_STARTS)
def test_bad_start_raises_value_error_and_writes_nothing(ctx, override, message):
    args = {"name": "t.bad", "globals": {"a": 1}, "branches": MAIN, **override}
    with pytest.raises(ValueError) as info:
        start_operation(**args)
    assert message in str(info.value)
    assert counts() == (0, 0, 0)


def test_same_start_twice_returns_the_same_operation(ctx):
    first = start_operation("t.same", {"a": 1}, {"main": [A.step_a, A.step_b]}).id
    second = start_operation("t.same", {"a": 1}, {"main": [A.step_a, A.step_b]}).id
    assert first == second
    assert counts() == (1, 2, 1)


def test_other_globals_start_another_operation(ctx):
    first = start_operation("t.same", {"a": 1}, MAIN).id
    assert start_operation("t.same", {"a": 2}, MAIN).id != first


def test_other_idempotency_key_starts_another_operation(ctx):
    first = start_operation("t.same", {"a": 1}, MAIN, idempotency_key="k1").id
    assert start_operation("t.same", {"a": 1}, MAIN, idempotency_key="k2").id != first
    assert start_operation("t.same", {"a": 1}, MAIN, idempotency_key="k1").id == first


def test_idempotency_key_reused_with_other_globals_is_refused(ctx):
    start_operation("t.same", {"a": 1}, MAIN, idempotency_key="k1")
    with pytest.raises(ValueError, match="idempotency_key 'k1' already started operation"):
        start_operation("t.same", {"a": 2}, MAIN, idempotency_key="k1")
    assert counts()[0] == 1


def test_concurrent_starts_create_one_operation(app):
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def starter():
        with app.app_context():
            barrier.wait()
            ids.append(start_operation("t.race", {"a": 1}, MAIN).id)

    threads = [threading.Thread(target=starter) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 4 and len(set(ids)) == 1
    with app.app_context():
        assert counts()[:2] == (1, 1)


def test_start_with_delay_does_not_run_the_first_action_before_its_time(ctx):
    op = start_operation("t.later", {}, MAIN, delay=3600)
    (task,) = huey.pending()
    assert task.args == (op.actions[0].id,)
    assert abs((task.eta.replace(tzinfo=dt.UTC) - op.start_at).total_seconds()) < 1
    drain()  # the consumer's way: a task not yet due goes to the schedule
    assert huey.scheduled_count() == 1
    db.session.rollback()
    assert (op.state, op.actions[0].attempts_count) == ("pending", 0)
