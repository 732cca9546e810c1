"""Events: queue ``hello_world`` or ``send_email`` at any priority, and see how they went."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from webapp.demo import bp
from webapp.events import EventMessage, queue_event
from webapp.extensions import db
from webapp.queue import PRIORITIES

#: The events this page queues, and what each is for.
DEMO_EVENTS = {
    "hello_world": "prints a greeting in the consumer that takes it",
    "send_email": "emails you (delivery shows up in your notifications)",
}


def event_params(name: str) -> dict:
    """What the page sends with each event."""
    if name == "hello_world":
        return {"name": current_user.email}
    return {
        "people_ids": [current_user.id],
        "subject": "Hello from the events page",
        "body": "Queued from Beacon's demo.",
    }


def events_of(user_id: int, limit: int = 15) -> list[EventMessage]:
    """A user's latest events, newest first."""
    stmt = select(EventMessage).where(EventMessage.owner_id == user_id)
    return list(db.session.scalars(stmt.order_by(EventMessage.id.desc()).limit(limit)))


@bp.get("/events")
@login_required
def events() -> ResponseReturnValue:
    """A button per event and priority, and the user's latest events."""
    return render_template(
        "demo/events.html",
        demo_events=DEMO_EVENTS,
        priorities=list(PRIORITIES),
        messages=events_of(current_user.id),
    )


@bp.post("/events")
@login_required
def queue_demo_event() -> ResponseReturnValue:
    """Queue the chosen event at the chosen priority."""
    name, priority = request.form.get("event", ""), request.form.get("priority", "")
    if name not in DEMO_EVENTS:
        abort(400, description=f"event must be one of {sorted(DEMO_EVENTS)}, got {name!r:.40}")
    try:
        message = queue_event(name, priority, **event_params(name))
    except ValueError as exc:
        abort(400, description=str(exc))
    flash(f"Queued {message.name} at {message.priority} priority (event #{message.id}).")
    return redirect(url_for("demo.events"))
