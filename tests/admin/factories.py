"""Builders for admin tests: real operations, events and jobs, run in-process.

Each pushes its own app context (the tests use the test client, which must not share one)
and returns plain ids.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import Flask

from tests.admin import actions
from tests.support.queue import drain
from webapp.activity import build_activity
from webapp.events import queue_event
from webapp.extensions import db
from webapp.operations import start_operation


def operation(app: Flask, name: str, branches: dict, globals_: dict | None = None, **kw: Any):
    """Start an operation and run its actions until none is left; its id."""
    with app.app_context():
        op_id = start_operation(name, globals_ or {}, branches, **kw).id
        db.session.rollback()
        drain()
        return op_id


def failed_operation(app: Flask, tmp_path: Path, name: str = "billing.charge", **globals_):
    """An operation whose second action failed (no retries left): (op id, allow file).
    Create the allow file and the action succeeds when retried."""
    allow = tmp_path / f"allow-{name}"
    op_id = operation(
        app,
        name,
        {"main": [actions.ok, actions.fails_until_allowed, actions.finish]},
        {"allow": str(allow), **globals_},
        retries=0,
    )
    return op_id, allow


def jumped_operation(app: Flask) -> int:
    """A completed operation whose first action jumped to the ``red`` branch."""
    return operation(
        app,
        "colours.paint",
        {"main": [actions.jump_to_red, actions.finish], "red": [actions.red_step]},
    )


def failed_event(app: Flask) -> int:
    with app.app_context():
        event_id = queue_event("admin_broken", label="x").id
        drain()
        return event_id


def done_event(app: Flask) -> int:
    with app.app_context():
        event_id = queue_event("admin_quiet").id
        drain()
        return event_id


def queued_job(app: Flask, count: int = 3) -> str:
    """A tracked job left queued (no consumer runs here)."""
    with app.app_context():
        return actions.admin_counting_job(count).id


def completed_job(app: Flask, count: int = 3) -> str:
    with app.app_context():
        result = actions.admin_counting_job(count)
        drain()
        return result.id


def activity(
    app: Flask,
    key: str,
    value: Any = True,
    message: str | None = None,
    *,
    created_at: dt.datetime | None = None,
    **kw: Any,
) -> int:
    """Append one activity, optionally dated in the past (as if recorded then)."""
    with app.app_context():
        row = build_activity(key, value, message, **kw)
        if created_at is not None:
            row.created_at = created_at
        db.session.add(row)
        db.session.commit()
        return row.id


def action_ids(app: Flask, op_id: int) -> dict[str, int]:
    """``{"<branch>/<short name>": action id}`` of an operation."""
    from webapp.operations import Operation

    with app.app_context():
        op = db.session.get(Operation, op_id)
        return {f"{a.branch}/{a.short_name}": a.id for a in op.actions}


def op_state(app: Flask, op_id: int) -> str:
    from webapp.operations import Operation

    with app.app_context():
        return db.session.get(Operation, op_id).state
