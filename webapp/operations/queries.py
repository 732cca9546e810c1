"""Read-only queries for the admin pages: operations filtered and keyset-paged, counts per
state, and one operation's branches with the path it took and the attempts of its actions.

Filters (all optional, combined with AND), shared by ``list_operations`` and
``state_counts``:

* ``name``: exact operation name; ``name_prefix``: names starting with it (``"subscriptions."``)
* ``state``: one of ``STATES``; ``owner_id``: the owner's user id
* ``created_from`` / ``created_to``: aware datetimes, ``from <= created_at < to``
* ``globals``: a dict the globals must contain (see ``Operation.globals_contains``; on SQLite
  sped up by the terms of ``webapp.operations.search``)

Bad filter values raise ValueError naming them. The results are ordinary ORM objects of the
current session; nothing here writes or commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.extensions import db
from webapp.operations.models import MAIN, STATES, Action, Attempt, Operation
from webapp.operations.search import globals_contain

MAX_PAGE = 200


@dataclass
class OperationPage:
    """One page, newest first; pass ``next_before`` as ``before`` for the next (None: last)."""

    items: list[Operation]
    next_before: int | None


@dataclass
class Branch:
    name: str
    actions: list[Action]


@dataclass
class PathStep:
    """One action on the path taken; ``via`` says how it was reached: ``"start"`` (first
    action), ``"next"`` (next on the same branch), ``"jump"`` (the previous action jumped
    here), ``"return"`` (back to the first incomplete action on main). ``current`` marks the
    action that has not completed yet (running, waiting, pending or failed)."""

    action: Action
    via: str
    current: bool = False


@dataclass
class OperationDetail:
    operation: Operation
    branches: list[Branch] = field(default_factory=list)
    path: list[PathStep] = field(default_factory=list)
    next_action: Action | None = None
    #: Every finished attempt of every action, in the order they started (a running attempt
    #: is its action: ``state`` running, ``started_at``, ``lease_holder``).
    attempts: list[Attempt] = field(default_factory=list)


def _check_time(value: Any, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, got {value!r}")
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(
    *,
    name: str | None = None,
    name_prefix: str | None = None,
    state: str | None = None,
    owner_id: int | None = None,
    created_from: dt.datetime | None = None,
    created_to: dt.datetime | None = None,
    globals: Mapping[str, Any] | None = None,  # noqa: A002 - the column's name
) -> list:
    """The WHERE clauses for these filters (see the module docstring)."""
    clauses = []
    if name is not None:
        if not isinstance(name, str):
            raise ValueError(f"name must be a string, got {name!r}")
        clauses.append(Operation.name == name)
    if name_prefix is not None:
        if not isinstance(name_prefix, str):
            raise ValueError(f"name_prefix must be a string, got {name_prefix!r}")
        clauses.append(Operation.name.like(_escape_like(name_prefix) + "%", escape="\\"))
    if state is not None:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; expected one of {list(STATES)}")
        clauses.append(Operation.state == state)
    if owner_id is not None:
        if isinstance(owner_id, bool) or not isinstance(owner_id, int):
            raise ValueError(f"owner_id must be an integer, got {owner_id!r}")
        clauses.append(Operation.owner_id == owner_id)
    if (start := _check_time(created_from, "created_from")) is not None:
        clauses.append(Operation.created_at >= start)
    if (end := _check_time(created_to, "created_to")) is not None:
        clauses.append(Operation.created_at < end)
    if globals is not None:
        clauses.append(globals_contain(globals))
    return clauses


def list_operations(*, before: int | None = None, limit: int = 50, **filters: Any) -> OperationPage:
    """Operations matching the filters, newest (highest id) first, keyset-paged by id."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}")
    if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
        raise ValueError(f"before must be an operation id, got {before!r}")
    stmt = select(Operation).where(*filtered(**filters)).order_by(Operation.id.desc())
    if before is not None:
        stmt = stmt.where(Operation.id < before)
    items = list(db.session.execute(stmt.limit(limit + 1)).scalars())
    more = len(items) > limit
    items = items[:limit]
    return OperationPage(items, items[-1].id if more else None)


def state_counts(**filters: Any) -> dict[str, int]:
    """How many operations match the filters in each state (every state present, 0 or more).
    A ``state`` filter is ignored: the counts are per state."""
    filters.pop("state", None)
    stmt = (
        select(Operation.state, func.count()).where(*filtered(**filters)).group_by(Operation.state)
    )
    counts = dict(db.session.execute(stmt).all())
    return {state: counts.get(state, 0) for state in STATES}


def operation_detail(op_id: int) -> OperationDetail | None:
    """One operation with its branches (main first, then in declaration order), each with its
    actions by position, the path taken so far, and the next action."""
    stmt = select(Operation).where(Operation.id == op_id).options(selectinload(Operation.actions))
    op = db.session.execute(stmt).scalar_one_or_none()
    if op is None:
        return None
    actions = sorted(op.actions, key=lambda a: a.id)  # ids follow declaration order
    names = [MAIN, *dict.fromkeys(a.branch for a in actions if a.branch != MAIN)]
    branches = [
        Branch(b, sorted((a for a in actions if a.branch == b), key=lambda a: a.position))
        for b in names
    ]
    by_id = {a.id: a for a in actions}
    nxt = by_id.get(op.next_action_id) if op.next_action_id else None
    return OperationDetail(op, branches, path_taken(actions, nxt), nxt, attempts_of(op_id))


def attempts_of(op_id: int) -> list[Attempt]:
    """The finished attempts of an operation's actions, in the order they started."""
    stmt = (
        select(Attempt)
        .join(Action, Action.id == Attempt.action_id)
        .where(Action.operation_id == op_id)
        .order_by(Attempt.started_at, Attempt.id)
    )
    return list(db.session.execute(stmt).scalars())


def path_taken(actions: list[Action], next_action: Action | None) -> list[PathStep]:
    """The completed actions in the order they ran, then the current one, with how each was
    reached."""
    done = sorted((a for a in actions if a.run_order is not None), key=lambda a: a.run_order or 0)
    order = done + ([next_action] if next_action is not None else [])
    steps: list[PathStep] = []
    for i, action in enumerate(order):
        if i == 0:
            via = "start"
        else:
            prev = order[i - 1]
            if prev.jumped_to_id == action.id:
                via = "jump"
            elif prev.branch == action.branch and action.position > prev.position:
                via = "next"
            else:
                via = "return"
        steps.append(PathStep(action, via, current=action.run_order is None))
    return steps
