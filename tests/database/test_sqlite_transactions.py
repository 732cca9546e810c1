"""SQLite transactions take the write lock only when they write: a read through ``db.session``
left open (a page, a ``flask shell``, a script, a test) never blocks a consumer's write."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import select

from tests.operations.helpers import start, wait_for_state
from tests.support.queue import running_consumer
from webapp.extensions import db
from webapp.operations import Operation

pytestmark = pytest.mark.backends("sqlite")

STEPS = ["tests.operations.actions.step_a", "tests.operations.actions.step_b"]


@pytest.fixture
def log(tmp_path):
    return tmp_path / "calls.log"


def database_path(backend) -> str:
    return backend.settings["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def can_take_write_lock(backend) -> bool:
    """Whether another connection gets the write lock at once (within 0.2 s)."""
    other = sqlite3.connect(database_path(backend), timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def test_an_open_read_does_not_hold_the_write_lock(app, backend):
    with app.app_context():
        op_id = start("sqlite.read", {"log": "unused"}, {"main": STEPS[:1]})
        db.session.get(Operation, op_id)  # a read, left open
        assert db.session().in_transaction()
        assert can_take_write_lock(backend)
        db.session.rollback()


def test_a_read_left_open_does_not_block_the_next_action(app, backend, log):
    with app.app_context():
        op_id = start("sqlite.open_read", {"log": str(log)}, {"main": STEPS})
    with app.app_context():
        # The read the consumer must not wait for: an operation's state, left open.
        assert db.session.scalar(select(Operation.state).where(Operation.id == op_id))
        assert db.session().in_transaction()
        began = time.monotonic()
        with running_consumer(workers=1):
            with app.app_context():  # another context, another session: sees new commits
                wait_for_state(op_id, "completed", timeout=5)
        took = time.monotonic() - began
        assert db.session().in_transaction(), "the read stayed open throughout"
        db.session.rollback()
    assert took < 5, f"the actions waited {took:.1f} s for the open read"


def test_a_shell_style_pushed_context_does_not_block_the_consumer(app, backend, log):
    """``flask shell`` pushes an app context and leaves it; every query there reads in one
    transaction that stays open until the user commits or rolls back."""
    context = app.app_context()
    context.push()
    try:
        op_id = start("sqlite.shell", {"log": str(log)}, {"main": STEPS})
        ops = db.session.scalars(select(Operation)).all()  # what a user types at the prompt
        assert [op.id for op in ops] == [op_id]
        with running_consumer(workers=1):
            with app.app_context():
                wait_for_state(op_id, "completed", timeout=5)
        assert db.session().in_transaction()
    finally:
        db.session.rollback()
        context.pop()


def test_a_write_first_transaction_takes_the_write_lock(app, backend):
    with app.app_context():
        op_id = start("sqlite.write", {"log": "unused"}, {"main": STEPS[:1]})
        db.session.execute(
            Operation.__table__.update().where(Operation.id == op_id).values(name="renamed")
        )
        assert not can_take_write_lock(backend)
        db.session.rollback()
        assert can_take_write_lock(backend)
