"""Reading events for the admin pages and the API: keyset pages, counts, one event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from webapp.database import iso_utc
from webapp.events.models import STATUSES, EventMessage
from webapp.events.search import params_contain
from webapp.extensions import db
from webapp.queue import PRIORITIES

MAX_PAGE = 200


def event_conditions(
    *,
    status: str | None = None,
    priority: str | None = None,
    name: str | None = None,
    owner_id: int | None = None,
    params: Mapping[str, Any] | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of these filters (the list's, a bulk action's); a bad status,
    priority, owner or params value raises ValueError naming it."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"invalid event status {status!r:.40}; expected one of {list(STATUSES)}")
    if priority is not None and priority not in PRIORITIES:
        raise ValueError(
            f"invalid event priority {priority!r:.40}; expected one of {list(PRIORITIES)}"
        )
    if owner_id is not None and (isinstance(owner_id, bool) or not isinstance(owner_id, int)):
        raise ValueError(f"owner_id must be an integer id, got {owner_id!r:.40}")
    clauses = []
    if status is not None:
        clauses.append(EventMessage.status == status)
    if priority is not None:
        clauses.append(EventMessage.priority == priority)
    if name is not None:
        clauses.append(EventMessage.name == name)
    if owner_id is not None:
        clauses.append(EventMessage.owner_id == owner_id)
    if params:
        clauses.append(params_contain(params))
    return clauses


def list_events(
    *,
    before: int | None = None,
    limit: int = 50,
    **filters: Any,
) -> tuple[list[EventMessage], int | None]:
    """Events newest first, filtered (``event_conditions``: status, priority, name, owner_id,
    and ``params``, a dict the params must contain, see ``webapp.json_terms``), keyset-paged:
    (items, next ``before`` or None).

    A bad filter, cursor or limit raises ValueError naming it.
    """
    if before is not None and (isinstance(before, bool) or not isinstance(before, int)):
        raise ValueError(f"before must be an integer id, got {before!r:.40}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r:.40}")
    stmt = select(EventMessage).where(*event_conditions(**filters))
    if before is not None:
        stmt = stmt.where(EventMessage.id < before)
    rows = list(db.session.scalars(stmt.order_by(EventMessage.id.desc()).limit(limit + 1)))
    next_before = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_before


def event_counts() -> dict[str, Any]:
    """How many events per status and priority, from one grouped query (zeros included)."""
    matrix = {s: dict.fromkeys(PRIORITIES, 0) for s in STATUSES}
    stmt = select(EventMessage.status, EventMessage.priority, func.count()).group_by(
        EventMessage.status, EventMessage.priority
    )
    for status, priority, count in db.session.execute(stmt):
        matrix.setdefault(status, {}).setdefault(priority, 0)
        matrix[status][priority] += count
    by_status = {s: sum(row.values()) for s, row in matrix.items()}
    by_priority = {p: sum(row.get(p, 0) for row in matrix.values()) for p in PRIORITIES}
    return {
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_priority": by_priority,
        "by_status_priority": matrix,
    }


def get_event(message_id: int) -> EventMessage | None:
    """One event by id, or None."""
    if isinstance(message_id, bool) or not isinstance(message_id, int):
        return None
    return db.session.get(EventMessage, message_id)


def _iso(value: dt.datetime | None) -> str | None:
    return iso_utc(value) if value is not None else None


def event_dict(message: EventMessage) -> dict[str, Any]:
    """An event as JSON-ready data for the admin pages and the API."""
    return {
        "id": message.id,
        "name": message.name,
        "params": message.params,
        "priority": message.priority,
        "status": message.status,
        "owner_id": message.owner_id,
        "attempts": message.attempts,
        "max_attempts": message.max_attempts,
        "error_message": message.error_message,
        "stack_trace": message.stack_trace,
        "queued_at": _iso(message.queued_at),
        "started_at": _iso(message.started_at),
        "finished_at": _iso(message.finished_at),
        "errored_at": _iso(message.errored_at),
        "consumer": message.consumer,
        "task_id": message.task_id,
    }
