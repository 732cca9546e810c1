"""Bulk actions by filter: retry, cancel or delete every operation, event or job a list's
filter matches, as one tracked job (``beacon.bulk``) whose progress bar the jobs page shows
live. Each item is done through the same call a single retry, cancel or delete makes; one
that changed meanwhile (retried or finished by someone else) is skipped and counted. The run's
outcome is recorded as an ``admin.bulk_<verb>`` activity (system, private) naming who asked
and what it did."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from webapp.activity import record_activity
from webapp.events import EventMessage, delete_event, event_conditions, retry_event
from webapp.events.models import DONE, HALTED
from webapp.events.models import FAILED as EVENT_FAILED
from webapp.extensions import db
from webapp.jobs import JobStatus, cancel_job, tracked_task
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
    apply: Callable[[Any, int], object]  # (item id, by_user_id)
    past: str  # "retried"


@dataclass(frozen=True)
class Kind:
    """The items of one admin list: how to find those a verb applies to, and the verbs."""

    noun: str  # "operations"
    ids: Callable[[tuple[str, ...], Mapping[str, Any], int], list[Any]]
    verbs: dict[str, Verb]


def _operation_ids(states: tuple[str, ...], filters: Mapping[str, Any], limit: int) -> list[int]:
    stmt = select(Operation.id).where(*filtered(**filters), Operation.state.in_(states))
    return list(db.session.scalars(stmt.order_by(Operation.id).limit(limit)))


def _event_ids(states: tuple[str, ...], filters: Mapping[str, Any], limit: int) -> list[int]:
    stmt = select(EventMessage.id).where(
        *event_conditions(**filters), EventMessage.status.in_(states)
    )
    return list(db.session.scalars(stmt.order_by(EventMessage.id).limit(limit)))


def _job_ids(states: tuple[str, ...], filters: Mapping[str, Any], limit: int) -> list[str]:
    """Jobs in these states (the store lists at most 1,000 a state), each state's oldest
    first."""
    wanted = filters.get("status")
    jobs = [
        job
        for state in states
        if wanted in (None, state)
        for job in JobStatus.recent(
            limit=1000, task=filters.get("task"), status=state, search=filters.get("search")
        )
    ]
    return [job.id for job in reversed(jobs)][:limit]


KINDS: dict[str, Kind] = {
    "operations": Kind(
        "operations",
        _operation_ids,
        {
            "retry": Verb("Retry failed", (FAILED,), lambda i, by: retry_operation(i), "retried"),
            "cancel": Verb(
                "Cancel unfinished",
                (*ACTIVE_STATES, FAILED),
                lambda i, by: cancel_operation(i, by_user_id=by),
                "cancelled",
            ),
            "delete": Verb(
                "Delete finished",
                (COMPLETED, FAILED, CANCELLED),
                lambda i, by: delete_operation(i),
                "deleted",
            ),
        },
    ),
    "events": Kind(
        "events",
        _event_ids,
        {
            "retry": Verb("Retry failed", (EVENT_FAILED,), lambda i, by: retry_event(i), "retried"),
            "delete": Verb(
                "Delete finished",
                (DONE, HALTED, EVENT_FAILED),
                lambda i, by: delete_event(i),
                "deleted",
            ),
        },
    ),
    "jobs": Kind(
        "jobs",
        _job_ids,
        {
            "cancel": Verb(
                "Cancel unfinished",
                ("queued", "working"),
                lambda i, by: cancel_job(i, by_user_id=by),
                "cancelled",
            )
        },
    ),
}


def verb_of(kind: str, verb: str) -> Verb:
    """The verb of a kind; ValueError naming either when unknown."""
    if kind not in KINDS:
        raise ValueError(f"unknown bulk kind {kind!r:.40}: expected one of {list(KINDS)}")
    verbs = KINDS[kind].verbs
    if verb not in verbs:
        raise ValueError(f"no bulk {verb!r:.40} for {kind}: expected one of {list(verbs)}")
    return verbs[verb]


def matching_ids(kind: str, verb: str, filters: Mapping[str, Any], limit: int = LIMIT) -> list:
    """The items ``verb`` applies to under ``filters``, oldest first (ValueError on a bad
    kind, verb or filter)."""
    states = verb_of(kind, verb).states
    ids = KINDS[kind].ids(states, filters, limit)
    db.session.rollback()
    return ids


# High priority: an admin's bulk cancel runs ahead of the backlog it cancels.
@tracked_task(name="beacon.bulk", throttle_interval=0.2, priority="high")
def bulk_action(
    kind: str, verb: str, filters: dict[str, Any], by_user_id: int, *, status: JobStatus
) -> dict[str, int]:
    """Apply ``verb`` to every item of ``kind`` that ``filters`` match (as they stand when it
    starts), the progress one per item; returns the counts (``retried``/``cancelled``/
    ``deleted``, ``skipped``)."""
    action = verb_of(kind, verb)
    ids = matching_ids(kind, verb, filters)
    status.update(total=len(ids), kind=kind, verb=verb, force=True)
    counts = {action.past: 0, "skipped": 0}
    for item in ids:
        status.check_cancelled()
        try:
            action.apply(item, by_user_id)
            counts[action.past] += 1
        except ValueError:  # it changed since the filter matched it
            db.session.rollback()
            counts["skipped"] += 1
        status.add_progress(1)
    status.update(counts, force=True)
    done = ", ".join(f"{n} {what}" for what, n in counts.items())
    record_activity(
        f"admin.bulk_{verb}",
        {"by_user_id": by_user_id, "kind": kind, "job_id": status.id, **counts},
        f"Bulk {action.label.lower()} of {len(ids)} {kind}: {done}",
        system=True,
        private=True,
    )
    return counts
