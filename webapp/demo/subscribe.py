"""Subscribe: start the fulfillment operation of a plan, and follow one's subscriptions."""

from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from tasks.demo.fulfillment import NAME, PLANS, start_fulfillment
from webapp.demo import bp
from webapp.extensions import db
from webapp.operations import Operation


def subscriptions_of(user_id: int, limit: int = 10) -> list[Operation]:
    """A user's fulfillment operations, newest first."""
    stmt = select(Operation).where(Operation.owner_id == user_id, Operation.name == NAME)
    return list(db.session.scalars(stmt.order_by(Operation.id.desc()).limit(limit)))


@bp.get("/subscribe")
@login_required
def subscribe() -> ResponseReturnValue:
    """The plans, and the user's subscriptions."""
    return render_template(
        "demo/subscribe.html",
        plans=PLANS,
        # A second submit of the same form finds the operation the first one started.
        request_id=uuid.uuid4().hex,
        subscriptions=subscriptions_of(current_user.id),
    )


@bp.post("/subscribe")
@login_required
def subscribe_to_plan() -> ResponseReturnValue:
    """Start the chosen plan's fulfillment."""
    try:
        op = start_fulfillment(
            current_user.id, request.form.get("plan", ""), request.form.get("request_id", "")
        )
    except ValueError as exc:
        abort(400, description=str(exc))
    flash(f"Your {op.globals['plan']} subscription is on its way (operation #{op.id}).", "success")
    return redirect(url_for("demo.subscribe"))
