"""Subscription fulfillment: an operation whose path depends on the plan.

::

    main:               charge_card ──jump──► setup_subscription ─► send_receipt
    red_subscriptions:       └──► setup_red_subscription ──┘ (back on main)
    blue_subscriptions:      └──► setup_blue_subscription ─┘

``charge_card`` jumps to the plan's branch; when that branch is done the operation carries on
with main's first incomplete action. ``setup_subscription`` fails at BEACON_DEMO_FAILURE_RATE
(the subscription service is flaky), so admins see failed attempts, stack traces, and the
retry from the failed action.
"""

from __future__ import annotations

import random
import re
from typing import Any

from flask import current_app

from webapp.database import utcnow
from webapp.events import queue_event
from webapp.operations import ActionContext, Operation, start_operation

NAME = "subscriptions.fulfillment"
#: Price (cents) and the branch that sets each plan up.
PLANS: dict[str, dict[str, Any]] = {
    "red": {"price_cents": 900, "branch": "red_subscriptions"},
    "blue": {"price_cents": 1900, "branch": "blue_subscriptions"},
}
REQUEST_ID_RE = re.compile(r"[0-9a-f]{32}")


class SubscriptionServiceUnavailable(RuntimeError):
    """The (simulated) subscription service did not answer."""


def charge_card(action: ActionContext) -> None:
    """Charge the plan's price, then set the plan up on its own branch."""
    plan = action.get("plan")
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}")
    # Keyed by the action, so a second attempt would reuse the same charge.
    action.set("charge_id", "ch_" + action.idempotency_key.replace(":", "_"))
    action.set("amount_cents", PLANS[plan]["price_cents"])
    action.jump_to(PLANS[plan]["branch"])


def setup_red_subscription(action: ActionContext) -> None:
    """What only the red plan gets."""
    action.set("features", ["red dashboards", "priority support"])


def setup_blue_subscription(action: ActionContext) -> None:
    """What only the blue plan gets."""
    action.set("features", ["blue reports", "weekly digest", "audit log"])


def setup_subscription(action: ActionContext) -> None:
    """Activate the subscription; fails at BEACON_DEMO_FAILURE_RATE."""
    rate = float(current_app.config["BEACON_DEMO_FAILURE_RATE"])
    if random.random() < rate:  # noqa: S311 - a demo's dice, not security
        raise SubscriptionServiceUnavailable("subscription service unavailable (HTTP 503)")
    action.set("active_since", utcnow().isoformat())


def send_receipt(action: ActionContext) -> None:
    """Queue the receipt email for the subscriber."""
    if action.owner_id is None:
        return
    plan = action.get("plan")
    amount = action.get("amount_cents", 0) / 100
    # commit=False: the event joins the transaction that records this action's completion,
    # so the receipt is queued once, together with it (and not at all if the action fails).
    queue_event(
        "send_email",
        owner_id=action.owner_id,
        commit=False,
        people_ids=[action.owner_id],
        subject=f"Your {plan} subscription",
        body=f"Thank you! We charged ${amount:.2f} ({action.get('charge_id')}).",
    )


BRANCHES = {
    "main": [charge_card, setup_subscription, send_receipt],
    "red_subscriptions": [setup_red_subscription],
    "blue_subscriptions": [setup_blue_subscription],
}


def start_fulfillment(
    user_id: int, plan: str, request_id: str, *, retries: int = 1, retry_delay: float = 3
) -> Operation:
    """Start (or find, for the same request) the fulfillment of a plan for a user.

    ``request_id`` comes with the subscribe form: a second submit of the same form finds the
    operation the first one started. Bad input raises ValueError and starts nothing.
    """
    if plan not in PLANS:
        raise ValueError(f"plan must be one of {sorted(PLANS)}, got {plan!r:.40}")
    if not isinstance(request_id, str) or not REQUEST_ID_RE.fullmatch(request_id):
        raise ValueError(f"request id must be 32 hex digits, got {request_id!r:.40}")
    return start_operation(
        NAME,
        globals={"user_id": user_id, "plan": plan},
        branches=BRANCHES,
        owner_id=user_id,
        idempotency_key=f"subscribe:{user_id}:{request_id}",
        retries=retries,
        retry_delay=retry_delay,
    )
