"""Bulk actions by filter: retry, cancel or delete every operation a filter matches, as one tracked
job (``beacon.bulk``) whose progress bar the jobs page shows live. Each item is done through
the same call a single retry or cancel makes; one that changed meanwhile (retried or finished
by someone else) is skipped and counted. The run's outcome is recorded as an
``admin.bulk_<verb>`` activity (system, private) naming who asked and what it did."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from webapp.activity import record_activity
from webapp.extensions import db
from webapp.jobs import JobStatus, tracked_task
from webapp.operations import (
    ACTIVE_STATES,
    CANCELLED,
    Operation,
    cancel_operation,
    delete_operation,
    retry_operation,
)
from webapp.operations.models import COMPLETED, FAILED
from webapp.operations.queries import filtered

#: The most items one bulk action takes (the oldest first); the confirm page says so.
LIMIT = 10_000


@dataclass(frozen=True)
class Verb:
    """What a bulk action does to each item it matches."""

    label: str  # "Retry failed"
    states: tuple[str, ...]  # the states it applies to (with the filter)
    apply: Callable[[int, int], object]  # (item id, by_user_id)
    past: str  # "retried"


OPERATION_VERBS: dict[str, Verb] = {
    "retry": Verb("Retry failed", (FAILED,), lambda op_id, by: retry_operation(op_id), "retried"),
    "cancel": Verb(
        "Cancel unfinished",
        (*ACTIVE_STATES, FAILED),
        lambda op_id, by: cancel_operation(op_id, by_user_id=by),
        "cancelled",
    ),
    "delete": Verb(
        "Delete finished",
        (COMPLETED, FAILED, CANCELLED),
        lambda op_id, by: delete_operation(op_id),
        "deleted",
    ),
}


def operation_ids(verb: str, filters: Mapping[str, Any], limit: int = LIMIT) -> list[int]:
    """The operations ``verb`` applies to under ``filters``, oldest first (ValueError on a
    bad verb or filter)."""
    states = _verb(verb).states
    stmt = (
        select(Operation.id)
        .where(*filtered(**filters), Operation.state.in_(states))
        .order_by(Operation.id)
        .limit(limit)
    )
    ids = list(db.session.scalars(stmt))
    db.session.rollback()
    return ids


def _verb(verb: str) -> Verb:
    if verb not in OPERATION_VERBS:
        expected = list(OPERATION_VERBS)
        raise ValueError(f"unknown bulk action {verb!r:.40}: expected one of {expected}")
    return OPERATION_VERBS[verb]


@tracked_task(name="beacon.bulk", throttle_interval=0.2)
def bulk_operations(
    verb: str, filters: dict[str, Any], by_user_id: int, *, status: JobStatus
) -> dict[str, int]:
    """Apply ``verb`` to every operation ``filters`` match (as they stand when it starts),
    the progress one per operation; returns the counts (``retried``/``cancelled``,
    ``skipped``)."""
    action = _verb(verb)
    ids = operation_ids(verb, filters)
    status.update(total=len(ids), kind="operations", verb=verb, force=True)
    counts = {action.past: 0, "skipped": 0}
    for op_id in ids:
        status.check_cancelled()
        try:
            action.apply(op_id, by_user_id)
            counts[action.past] += 1
        except ValueError:  # it changed since the filter matched it
            db.session.rollback()
            counts["skipped"] += 1
        status.add_progress(1)
    status.update(counts, force=True)
    done = ", ".join(f"{n} {what}" for what, n in counts.items())
    record_activity(
        f"admin.bulk_{verb}",
        {"by_user_id": by_user_id, "kind": "operations", "job_id": status.id, **counts},
        f"Bulk {action.label.lower()} of {len(ids)} operations: {done}",
        system=True,
        private=True,
    )
    return counts
