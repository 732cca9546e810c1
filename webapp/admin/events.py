"""/admin/events: queued events by status and priority, their errors, retrying failed ones
(a confirm page, then a POST with CSRF; 409 when the event is not failed), and pausing and
resuming a priority (a POST with CSRF)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from webapp.admin import bp
from webapp.admin.operations import require_confirmation
from webapp.admin.params import (
    bad,
    choice_arg,
    globals_arg,
    int_arg,
    limit_arg,
    link,
    text_arg,
)
from webapp.admin.queries import user_emails
from webapp.events import (
    STATUSES,
    EventMessage,
    event_counts,
    get_event,
    list_events,
    pause_priority,
    paused_priorities,
    resume_priority,
    retry_event,
)
from webapp.events.models import FAILED
from webapp.queue import PRIORITIES


def event_filters() -> dict[str, Any]:
    """The events filter the query string describes (400 on bad input)."""
    filters = {
        "status": choice_arg("status", STATUSES),
        "priority": choice_arg("priority", PRIORITIES),
        "name": text_arg("name", 100),
        "params": globals_arg("params"),
    }
    return {k: v for k, v in filters.items() if v}


@bp.route("/events")
def events() -> ResponseReturnValue:
    """Events newest first, filtered by status, priority, name and params, with counts on top."""
    try:
        rows, next_before = list_events(
            before=int_arg("before"), limit=limit_arg(), **event_filters()
        )
    except ValueError as exc:
        bad(str(exc))
    paused = paused_priorities()
    return render_template(
        "admin/events.html",
        rows=rows,
        counts=event_counts(),
        priorities=list(PRIORITIES),
        statuses=STATUSES,
        owners=user_emails([*(m.owner_id for m in rows), *(p.paused_by for p in paused.values())]),
        paused=paused,
        filters=request.args,
        params_text="\n".join(request.args.getlist("params")),
        next_url=link("admin.events", before=next_before) if next_before else None,
    )


def _retry_target(event_id: int) -> tuple[EventMessage, str | None]:
    """The event and why it cannot be retried now (None if it can)."""
    message = get_event(event_id)
    if message is None:
        abort(404, description=f"no event {event_id}")
    if message.status != FAILED:
        refusal = f"Event {event_id} ({message.name}) is {message.status}: only failed events"
        return message, refusal + " can be retried."
    return message, None


@bp.get("/events/<int:event_id>/retry")
def event_retry(event_id: int) -> ResponseReturnValue:
    """The confirm page: what retrying a failed event will do, or why it cannot."""
    message, refusal = _retry_target(event_id)
    page = render_template("admin/confirm_event.html", message=message, refusal=refusal)
    return page, 409 if refusal else 200


@bp.post("/events/<int:event_id>/retry")
def event_retry_confirmed(event_id: int) -> ResponseReturnValue:
    """Queue a failed event again."""
    message, refusal = _retry_target(event_id)
    require_confirmation()
    if refusal:
        abort(409, description=refusal)
    try:
        retry_event(event_id)
    except ValueError as exc:  # another admin retried it first
        abort(409, description=str(exc))
    flash(f"Event {event_id} ({message.name}) is queued again.", "success")
    return redirect(url_for("admin.events", status=FAILED))


@bp.post("/events/priorities/<priority>/pause")
def priority_pause(priority: str) -> ResponseReturnValue:
    """Pause a priority: its events wait, queued, until it is resumed; 404 for a bad one."""
    try:
        pause_priority(priority, by_user_id=current_user.id)
    except ValueError as exc:
        abort(404, description=str(exc))
    flash(f"{priority} events are paused: they wait, queued, until resumed.", "success")
    return redirect(url_for("admin.events", _anchor="priorities"))


@bp.post("/events/priorities/<priority>/resume")
def priority_resume(priority: str) -> ResponseReturnValue:
    """Resume a paused priority: every event of it waiting is handed to the consumers."""
    try:
        handed = resume_priority(priority, by_user_id=current_user.id)
    except ValueError as exc:
        abort(404, description=str(exc))
    flash(f"{priority} events are resumed: {handed} waiting handed to the consumers.", "success")
    return redirect(url_for("admin.events", _anchor="priorities"))
