"""The action runner (one Huey task per action run) and the reaper of expired leases.

A run takes the action's lease with one conditional UPDATE: only a pending or waiting action
that is its operation's next action, and is due, can be taken, so two consumers never run it
at once and a stray or duplicate task does nothing. The lease lasts ``BEACON_ACTION_LEASE``
seconds: it must outlast the longest action, or the reaper may start a second run while the
first is still going.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import traceback
import uuid

from huey import crontab
from sqlalchemy import select

from webapp.activity import periodic_task, write_transaction
from webapp.database import utcnow
from webapp.extensions import db, huey
from webapp.operations import steps
from webapp.operations.advance import complete_action, fail_action, reap_action
from webapp.operations.context import ActionContext, ActionRef
from webapp.operations.models import (
    ACTIVE_STATES,
    PENDING,
    RUNNING,
    WAITING,
    Action,
    Operation,
)
from webapp.operations.service import lease_seconds
from webapp.operations.signals import announce
from webapp.operations.spec import callable_for
from webapp.queue import PRIORITIES

log = logging.getLogger(__name__)

#: Huey priority of action runs.
ACTION_PRIORITY = PRIORITIES["medium"]
#: How many expired actions one reaper pass handles at most.
REAP_BATCH = 200


def lease_token() -> str:
    """Who holds a lease: host, process, thread, and a nonce for this run."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def claim_action(action_id: int, token: str) -> ActionContext | None:
    """Take the lease on a due action that is its operation's next one; None if not ours."""
    now = utcnow()
    params = {"aid": action_id, "now": now}
    # On PostgreSQL the claim commits without waiting for the disk: a claim lost in a
    # database crash leaves the action pending with its start deadline, and the reaper runs
    # it again, as after a consumer that died mid-run. The completion commits durably.
    with write_transaction(durable=False) as conn:
        op = conn.execute(steps.claim_operation(), params).first()
        taken = op is not None and (
            conn.execute(
                steps.claim_action(),
                {**params, "token": token, "expires": now + lease_seconds()},
            ).rowcount
            == 1
        )
        if not taken:
            conn.rollback()
            log.info(
                "action %s not taken: not due, not next, or already running or done", action_id
            )
            return None
        # Committed as the block ends, before the action runs: no transaction (on SQLite, no
        # write lock) stays open while it works.
        rows = conn.execute(steps.operation_actions(), {"op_id": op.id}).all()
    me = next(a for a in rows if a.id == action_id)
    action = ActionContext(
        operation_id=op.id,
        operation_name=op.name,
        owner_id=op.owner_id,
        action_id=me.id,
        branch=me.branch,
        position=me.position,
        name=me.name,
        attempt=me.attempts_count,
        globals_=op.globals or {},
        actions=[
            ActionRef(a.id, a.branch, a.position, a.name, a.state, a.perform_at) for a in rows
        ],
        start_at=op.start_at,
    )
    announce(op.id, RUNNING, op.name)
    return action


def run(action_id: int, task=None) -> str:
    """Claim, run and record one action: "completed", "failed", "retrying", or "skipped"."""
    token = lease_token()
    action = claim_action(action_id, token)
    if action is None:
        return "skipped"
    try:
        callable_for(action.name)(action)
    except Exception as exc:
        trace = traceback.format_exc()
        error = "".join(traceback.format_exception_only(exc)).strip()
        db.session.rollback()  # whatever the action left unflushed goes with it
        outcome = fail_action(action, token, error, trace)
        if task is not None:
            # The database decides whether Huey retries, whatever the task was enqueued with.
            final = outcome is None or outcome[0]
            task.retries = 0 if final else max(task.retries, 1)
            if outcome is not None:
                task.retry_delay = outcome[1]
        raise
    return "completed" if complete_action(action, token) else "skipped"


@huey.task(context=True, name="operations.run_action", priority=ACTION_PRIORITY)
def run_action(action_id: int, task=None) -> None:
    """The action-runner task: one run of one action (retries are set per failure)."""
    run(action_id, task)


def reap_expired_actions(now: dt.datetime | None = None) -> int:
    """Resume actions whose lease expired while running (their consumer died), or that were
    never picked up by their deadline; never touches a valid lease. Returns how many."""
    now = now or utcnow()
    seen = db.session.execute(
        select(Action.id, Action.lease_expires_at)
        .join(Operation, Operation.next_action_id == Action.id)
        .where(
            Action.state.in_((PENDING, WAITING, RUNNING)),
            Action.lease_expires_at < now,
            Operation.state.in_(ACTIVE_STATES),
        )
        .order_by(Action.lease_expires_at)
        .limit(REAP_BATCH)
    ).all()
    db.session.rollback()
    return sum(reap_action(action_id, expiry, now) for action_id, expiry in seen)


@periodic_task(crontab(minute="*"), period=dt.timedelta(minutes=1), name="operations.reaper")
def reaper() -> int:
    """Every minute: resume actions whose consumer died (see reap_expired_actions)."""
    return reap_expired_actions()
