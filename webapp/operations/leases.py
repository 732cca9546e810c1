"""The leases of the actions running in this process, renewed while they run.

A run holds its action's lease (``lease_holder`` = its token) until ``lease_expires_at``. While
it runs, this process's heartbeat thread extends the lease to ``BEACON_ACTION_LEASE`` seconds
from now every third of that, in one statement for all its runs, so an action that runs for
an hour is never started a second time: only a run whose process stopped renewing (it died) is
resumed by the reaper, ``BEACON_ACTION_LEASE`` seconds after its last renewal. A run whose
lease was taken over anyway (its process stalled longer than the lease) learns it here
(``action.lease_lost``); its completion would be refused.

Every ``BEACON_CANCEL_POLL`` seconds the same thread looks for cancelled operations among
those of its runs: their ``action.cancel_requested`` turns True. (The heartbeat itself,
``transitions.running``, sits beside the runner, which also fails the runs past their timeout.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from flask import current_app

from webapp.activity import write_transaction
from webapp.database import utcnow
from webapp.extensions import db
from webapp.operations import steps
from webapp.operations.context import ActionContext


def lease_seconds() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["BEACON_ACTION_LEASE"])


def renew(running: Mapping[str, ActionContext]) -> int:
    """Extend the leases of these runs (token -> action); mark those no longer held. Returns
    how many were renewed."""
    if not running:
        return 0
    params = {
        "ids": [action.id for action in running.values()],
        "tokens": list(running),
        "expires": utcnow() + lease_seconds(),
    }
    # Like a claim, a renewal may be lost in a database crash without harm: the lease it
    # extends is still valid for a third of its length, and the next renewal comes before.
    with write_transaction(durable=False) as tx:
        held = set(tx.execute(steps.renew_leases(), params).scalars())
    for token, action in running.items():
        if token not in held:
            action.lease_lost = True
    return len(held)


def watch_cancels(running: Mapping[str, ActionContext]) -> None:
    """Tell the runs of cancelled operations (``action.cancel_requested``)."""
    if not running:
        return
    op_ids = sorted({action.operation_id for action in running.values()})
    with db.engine.connect() as conn:
        cancelled = set(conn.execute(steps.cancelled_among(), {"op_ids": op_ids}).scalars())
    for action in running.values():
        if action.operation_id in cancelled:
            action.cancel_requested = True
